"""Texts that custom actions say, in Chinese and English.

Fixed replies live in ``domain.yml``; these are the ones an action builds
(with names or numbers filled in). Every text has both languages
(``tests/unit/test_bilingual_texts.py`` checks).
"""

from __future__ import annotations

from typing import Any

from bot.language import Language

TEXTS: dict[str, dict[Language, str]] = {
    "nothing_to_repeat": {
        "zh": "我刚才还没说什么。请问您想办什么事？",
        "en": "I haven't said anything yet. What can I help you with?",
    },
    "ask_which_service": {
        "zh": "请问您想办哪一项？可以点下面的按钮，也可以直接说。",
        "en": "Which service do you mean? Tap a button below or just tell me.",
    },
    # -- service guides -------------------------------------------------------
    "guide_summary": {
        "zh": "关于「{name}」：{summary}",
        "en": "{name}: {summary}",
    },
    "guide_choose_aspect": {
        "zh": "您想了解哪一项？",
        "en": "What would you like to know?",
    },
    "guide_materials": {"zh": "办「{name}」要带：{items}", "en": "For {name}, bring: {items}"},
    "guide_fee": {"zh": "「{name}」的费用：{fee}。办好要多久：{time}", "en": "{name} fee: {fee}. How long it takes: {time}"},
    "guide_time": {"zh": "「{name}」办好要多久：{time}", "en": "How long {name} takes: {time}"},
    "guide_eligibility": {"zh": "「{name}」谁可以办：{items}", "en": "Who can apply for {name}: {items}"},
    "guide_online": {"zh": "「{name}」网上怎么办：{online}", "en": "{name} online: {online}"},
    "guide_elderly": {"zh": "老年人办「{name}」：{items}", "en": "{name} for older people: {items}"},
    "guide_where": {"zh": "「{name}」可以到这些地方办：{items}", "en": "You can do {name} at: {items}"},
    "guide_office": {"zh": "{name}（{address}，{hours}，电话 {phone}）", "en": "{name} ({address}; {hours}; phone {phone})"},
    "guide_more_left": {
        "zh": "还有 {count} 项，要继续听吗？",
        "en": "There are {count} more. Shall I go on?",
    },
    "guide_nothing_more": {
        "zh": "这一项我已经说完了。还想了解什么？",
        "en": "That is all for this part. What else would you like to know?",
    },
    "guide_unavailable": {
        "zh": "抱歉，办事指南暂时查不到（系统连不上）。请过一会儿再问我，或者拨打政务服务热线 12345。",
        "en": "Sorry, I can't reach the service guides right now. Please ask me again in a little while, "
              "or call the government service hotline 12345.",
    },
    "aspect_materials": {"zh": "要带什么", "en": "What to bring"},
    "aspect_fee": {"zh": "多少钱、多久", "en": "Fee and time"},
    "aspect_where": {"zh": "去哪里办", "en": "Where to go"},
    "aspect_online": {"zh": "网上怎么办", "en": "Online"},
    "aspect_eligibility": {"zh": "谁能办", "en": "Who can apply"},
    "aspect_elderly": {"zh": "老年人便利", "en": "Help for older people"},
    "button_more": {"zh": "继续听", "en": "Go on"},
    "button_apply": {"zh": "在线申请", "en": "Apply now"},
    "button_book": {"zh": "预约去大厅", "en": "Book a visit"},
    "button_status": {"zh": "查办理进度", "en": "Check my application"},
    # -- questions the forms ask -------------------------------------------------------
    "ask_id_card_reason": {
        "zh": "为什么要办新的身份证？是过期了、丢了、坏了，还是信息变了？",
        "en": "Why do you need a new ID card: has it expired, was it lost, is it damaged, or did your details change?",
    },
    "ask_applicant_name": {
        "zh": "请问办事人叫什么名字？",
        "en": "What is the applicant's full name?",
    },
    "ask_id_number": {
        "zh": "请说一下办事人的身份证号码，18位，可以一位一位地说。",
        "en": "Please tell me the applicant's ID number: 18 digits (or 17 digits and an X). You can say it digit by digit.",
    },
    "ask_phone": {
        "zh": "请说一个能联系到的手机号码，11位。",
        "en": "Please give a mobile number we can reach you on: 11 digits.",
    },
    "ask_application_status_form_phone": {
        "zh": "请说申请时留的手机号码。",
        "en": "Please tell me the mobile number given in the application.",
    },
    "ask_pension_method": {
        "zh": "您想怎么做资格认证？可以去大厅，可以请工作人员上门，也可以在手机上刷脸。",
        "en": "How would you like to do the certification: at a service hall, by a home visit, or by face recognition on a phone?",
    },
    "ask_home_address": {
        "zh": "请说一下上门的详细地址，比如「西湖区文三路 100 号 2 幢 301 室」。",
        "en": "Please tell me the full address for the home visit, for example \"Room 301, Building 2, 100 Wensan Road, Xihu District\".",
    },
    "ask_appointment_service": {
        "zh": "您想预约办哪一项？",
        "en": "Which service would you like to book an appointment for?",
    },
    "ask_application_no": {
        "zh": "请说一下申请号，一共12位数字，在提交申请后的短信里。",
        "en": "Please tell me the application number: 12 digits, in the message you got after applying.",
    },
    "ask_proxy_name": {
        "zh": "您是帮老人代办的。请问您（代办人）叫什么名字？",
        "en": "You are applying on someone's behalf. What is your own full name?",
    },
    "ask_proxy_phone": {
        "zh": "请说一下您（代办人）的手机号码，11位。",
        "en": "Please give your own mobile number: 11 digits.",
    },
    "ask_proxy_consent": {
        "zh": "代办需要老人本人同意。老人同意您帮他（她）办吗？",
        "en": "Applying for someone needs their agreement. Does the applicant agree to you applying for them?",
    },
    # -- starting an application ------------------------------------------------
    "which_application": {
        "zh": "您想办哪一件事？可以点下面的按钮。",
        "en": "What would you like to do? Tap a button below.",
    },
    "apply_id_card": {"zh": "补办或换领身份证", "en": "Renew or replace an ID card"},
    "apply_pension": {"zh": "养老金资格认证", "en": "Pension certification"},
    "not_online": {
        "zh": "「{name}」需要到大厅办理，这里还不能在线申请。我可以帮您预约去大厅的时间，也可以先告诉您要带什么。",
        "en": "{name} has to be done at a service hall; it can't be applied for here. I can book you a visit, "
              "or tell you first what to bring.",
    },
    "starting_form": {
        "zh": "好的，我来帮您办「{name}」。我会一个一个地问，随时可以说「取消」。",
        "en": "OK, I will help you with: {name}. I will ask one thing at a time; say \"cancel\" at any time.",
    },
    "starting_status": {
        "zh": "好的，我帮您查办理进度。",
        "en": "OK, let me check your application.",
    },
    # -- answers that did not fit ---------------------------------------------------
    "bad_name": {
        "zh": "这个名字我没听清楚。请只说姓名，比如「王秀英」。",
        "en": "I didn't catch the name. Please say just the full name, for example \"Mary Chen\".",
    },
    "bad_id_length": {
        "zh": "身份证号码应该是18位，我听到的是 {count} 位。请再说一遍，比如「330106 19490512 0022」。",
        "en": "An ID number has 18 characters, but I got {count}. Please say it again, "
              "for example \"330106 19490512 0022\".",
    },
    "bad_id_characters": {
        "zh": "身份证号码只有数字，最后一位可能是 X。请再说一遍，可以一位一位地说。",
        "en": "An ID number has only digits, and the last one may be an X. Please say it again, digit by digit.",
    },
    "bad_id_birth_date": {
        "zh": "这个号码里的出生日期（第7到14位）不对。请看着身份证再说一遍。",
        "en": "The birth date in this number (digits 7 to 14) is not a real date. "
              "Please read it again from the card.",
    },
    "bad_id_check_digit": {
        "zh": "这个号码好像有一位说错了（最后一位对不上）。请看着身份证再说一遍。",
        "en": "One digit seems wrong (the last digit does not match). Please read the number again from the card.",
    },
    "bad_phone": {
        "zh": "手机号码应该是1开头的11位数字，比如「138 1234 5678」。请再说一遍。",
        "en": "A mobile number has 11 digits and starts with 1, for example \"138 1234 5678\". "
              "Please say it again.",
    },
    "bad_reason": {
        "zh": "请说是哪种情况：过期了、丢了、坏了，还是信息变了。",
        "en": "Please say which it is: expired, lost, damaged, or details changed.",
    },
    "bad_office": {
        "zh": "请从下面的大厅里选一个，可以说名字，也可以说「第一个」。",
        "en": "Please choose one of the halls below: say its name, or \"the first one\".",
    },
    "bad_method": {
        "zh": "请说：去大厅、上门认证，还是手机刷脸。",
        "en": "Please say: at a hall, home visit, or face recognition on a phone.",
    },
    "bad_address": {
        "zh": "地址要详细一点，要有区、街道（路）和门牌号，比如「西湖区文三路 100 号 2 幢 301 室」。",
        "en": "Please give a fuller address with the district, street and number, for example "
              "\"Room 301, Building 2, 100 Wensan Road, Xihu District\".",
    },
    "bad_service": {
        "zh": "请说想办哪一项，比如「身份证」或「社保卡」。",
        "en": "Please say which service, for example \"ID card\" or \"social security card\".",
    },
    "bad_date": {
        "zh": "请说哪一天，比如「明天」「下周二」或「12月5号」。",
        "en": "Please say which day, for example \"tomorrow\", \"next Tuesday\" or \"5 December\".",
    },
    "no_slots_on_date": {
        "zh": "{date}没有空的号了。下面这几天还有空，请选一天。",
        "en": "There are no free times on {date}. These days still have free times; please choose one.",
    },
    "no_slots_at_all": {
        "zh": "这个大厅最近两周都约满了，请换一个大厅。",
        "en": "This hall is fully booked for the next two weeks. Please choose another hall.",
    },
    "bad_time": {
        "zh": "请从下面的时间里选一个，比如「9点半」或「第一个」。",
        "en": "Please choose one of the times below, for example \"9:30\" or \"the first one\".",
    },
    "bad_application_no": {
        "zh": "申请号是12位数字，比如「2611 2400 0123」。请再说一遍。",
        "en": "An application number has 12 digits, for example \"2611 2400 0123\". Please say it again.",
    },
    "bad_confirmation": {
        "zh": "请说「对」就提交；哪一项不对，就说那一项，比如「电话不对」。",
        "en": "Say \"yes\" to submit; if something is wrong, name it, for example \"the phone number is wrong\".",
    },
    "offer_person": {
        "zh": "这一步好像不太顺利。需要的话可以转人工，请工作人员帮您。",
        "en": "This step seems difficult. If you like, I can pass you to a person who can help.",
    },
    "button_person": {"zh": "转人工", "en": "Talk to a person"},
    "portal_unavailable_question": {
        "zh": "抱歉，系统暂时连不上，这一步先查不了。您填的信息我都记着，过一会儿再说一遍就行。",
        "en": "Sorry, I can't reach the system for this step right now. I have kept your answers; "
              "please say it again in a little while.",
    },
    # -- reading back and correcting ----------------------------------------------------
    "readback": {
        "zh": "请核对一下：\n{lines}\n都对吗？对就提交；哪一项不对，直接说，比如「电话不对」。",
        "en": "Please check:\n{lines}\nIs everything right? Say yes to submit, or tell me what is wrong, "
              "for example \"the phone number is wrong\".",
    },
    "which_field_wrong": {
        "zh": "哪一项要改？请点下面的按钮，或者直接说。",
        "en": "Which one should I change? Tap a button below or just tell me.",
    },
    "button_confirm": {"zh": "对，提交", "en": "Yes, submit"},
    "button_wrong": {"zh": "有不对的", "en": "Something is wrong"},
    "button_cancel": {"zh": "取消", "en": "Cancel"},
    "field_wrong": {"zh": "{label}不对", "en": "{label} is wrong"},
    "label_id_card_reason": {"zh": "原因", "en": "Reason"},
    "label_applicant_name": {"zh": "姓名", "en": "Name"},
    "label_id_number": {"zh": "身份证号", "en": "ID number"},
    "label_phone": {"zh": "手机", "en": "Mobile"},
    "label_collection_office": {"zh": "领证地点", "en": "Collect at"},
    "label_pension_method": {"zh": "认证方式", "en": "How"},
    "label_home_address": {"zh": "上门地址", "en": "Address"},
    "label_appointment_service": {"zh": "办理事项", "en": "Service"},
    "label_appointment_office": {"zh": "大厅", "en": "Hall"},
    "label_appointment_date": {"zh": "日期", "en": "Date"},
    "label_appointment_time": {"zh": "时间", "en": "Time"},
    "reason_expired": {"zh": "过期了", "en": "expired"},
    "reason_lost": {"zh": "丢了", "en": "lost"},
    "reason_damaged": {"zh": "坏了", "en": "damaged"},
    "reason_info_changed": {"zh": "信息变了", "en": "details changed"},
    "method_hall": {"zh": "去大厅认证", "en": "at a service hall"},
    "method_home_visit": {"zh": "工作人员上门", "en": "home visit"},
    "method_online_face": {"zh": "手机刷脸", "en": "face recognition on a phone"},
    "ask_collection_office": {
        "zh": "办好以后，想到哪个大厅领证？",
        "en": "When the card is ready, which hall would you like to collect it from?",
    },
    "ask_appointment_office": {
        "zh": "想去哪个大厅办？",
        "en": "Which hall would you like to go to?",
    },
    "ask_appointment_date": {
        "zh": "想哪一天去？下面这几天有空，也可以直接说，比如「明天」「下周二」。",
        "en": "Which day would you like to go? These days have free times, or just say a day, "
              "for example \"tomorrow\" or \"next Tuesday\".",
    },
    "ask_appointment_time": {
        "zh": "{date}这些时间有空，您想几点去？",
        "en": "On {date} these times are free. What time would you like?",
    },
    # -- submitting ----------------------------------------------------------------------
    "submit_unavailable": {
        "zh": "抱歉，办事系统现在连不上，申请还没有办成。您说的信息我都记着。请过几分钟说「再试一次」，"
              "我会重新提交，不会重复提交。着急的话可以拨打 12345。",
        "en": "Sorry, the service system can't be reached right now, so this is not done yet. I have kept "
              "all your answers. Say \"try again\" in a few minutes and I will submit it once, without "
              "duplicates. If it is urgent, call 12345.",
    },
    "submit_refused": {
        "zh": "抱歉，系统没有接受这份申请（{reason}）。请拨打 12345，或者到大厅请工作人员帮您。",
        "en": "Sorry, the system did not accept this application ({reason}). Please call 12345 or ask "
              "the staff at a service hall.",
    },
    "slot_taken": {
        "zh": "抱歉，这个时间刚刚被别人约走了。请换一个时间。",
        "en": "Sorry, that time was just taken by someone else. Please choose another time.",
    },
    "nothing_to_retry": {
        "zh": "现在没有要重新提交的申请。请问您想办什么？",
        "en": "There is nothing waiting to be submitted. What can I help you with?",
    },
    "button_try_again": {"zh": "再试一次", "en": "Try again"},
    "submitted_id_card": {
        "zh": "申请已经提交了！申请号：{number}（请记下来）。\n接下来：{processing}，办好后会发短信到 {phone}。"
              "\n到{office}领证：{address}，{hours}。\n领证时请带：{materials}。\n想查进度，就对我说「查进度」。",
        "en": "Your application is submitted! Application number: {number} (please write it down).\n"
              "Next: {processing}; we will text {phone} when it is ready.\nCollect it at {office}: "
              "{address}, {hours}.\nPlease bring: {materials}.\nTo check progress, say \"check my application\".",
    },
    "submitted_pension": {
        "zh": "资格认证申请已经提交了！申请号：{number}（请记下来）。\n接下来：{next_step}\n请准备好：{materials}。"
              "\n想查进度，就对我说「查进度」。",
        "en": "Your certification request is submitted! Application number: {number} (please write it down).\n"
              "Next: {next_step}\nPlease have ready: {materials}.\nTo check progress, say \"check my application\".",
    },
    "pension_next_hall": {
        "zh": "请带上身份证，在{hours}到{office}（{address}）做认证，一次就能办好。",
        "en": "Bring your ID card to {office} ({address}), {hours}; it is done in one visit.",
    },
    "pension_next_home_visit": {
        "zh": "社区工作人员会在3个工作日内打电话到 {phone}，约好上门时间。",
        "en": "A community worker will call {phone} within 3 working days to arrange the home visit.",
    },
    "pension_next_online_face": {
        "zh": "工作人员会发短信到 {phone}，告诉您在「浙里办」里刷脸认证的入口，家里人可以帮您操作。",
        "en": "We will text {phone} with the link for face recognition in the Zheliban app; "
              "a family member can help you with it.",
    },
    "booked": {
        "zh": "预约好了！预约号：{number}。\n时间：{date} {start}-{end}。\n地点：{office}，{address}。"
              "\n请带：{materials}。\n到了以后在取号机上输入手机号 {phone} 就能取号。",
        "en": "Booked! Appointment number: {number}.\nWhen: {date}, {start}-{end}.\nWhere: {office}, "
              "{address}.\nPlease bring: {materials}.\nWhen you arrive, enter your mobile number {phone} "
              "at the ticket machine.",
    },
    "cancelled_application": {
        "zh": "好的，已经取消了，什么都没有提交，刚才说的信息也已经清除。还有别的事吗？",
        "en": "OK, I have stopped. Nothing was submitted and your answers have been cleared. "
              "Is there anything else?",
    },
    # -- status ----------------------------------------------------------------------------
    "status_report": {
        "zh": "申请号 {number}（{service}）现在的进度：{status}。{note}",
        "en": "Application {number} ({service}) is now: {status}. {note}",
    },
    "status_not_found": {
        "zh": "没有查到这个申请。请核对申请号和手机号是不是申请时留的，或者拨打 12345 查询。",
        "en": "I could not find that application. Please check the application number and that the mobile "
              "number is the one given when applying, or call 12345.",
    },
    "status_submitted": {"zh": "已提交，等待受理", "en": "submitted, waiting to be accepted"},
    "status_accepted": {"zh": "已受理", "en": "accepted"},
    "status_processing": {"zh": "正在办理", "en": "being processed"},
    "status_ready": {"zh": "已办好，可以领取了", "en": "ready to collect"},
    "status_completed": {"zh": "已办结", "en": "completed"},
    "status_rejected": {"zh": "没有通过", "en": "not approved"},
    # -- senior mode -------------------------------------------------------------------------------
    "offer_elderly_mode": {
        "zh": "如果需要，我可以打开长辈模式：说得慢一点，字大一点，每一步都跟您核对。",
        "en": "If you like, I can turn on senior mode: slower speech, bigger text, and every step checked with you.",
    },
    "button_elderly_mode": {"zh": "打开长辈模式", "en": "Senior mode on"},
    "elderly_mode_on": {
        "zh": "好的，长辈模式已经打开：我会说得慢一点，一次只说一件事，每一步都跟您核对。",
        "en": "OK, senior mode is on: I will speak more slowly, say one thing at a time, and check each step with you.",
    },
    "noted_value": {"zh": "记下了：{value}。", "en": "Noted: {value}."},
    # -- resuming ----------------------------------------------------------------------------------
    "resuming": {
        "zh": "好的，我们接着办「{name}」，前面填好的都还在。",
        "en": "OK, let's carry on with {name}; what you gave me before is kept.",
    },
    "nothing_to_resume": {
        "zh": "没有找到没办完的申请。请问您想办什么？",
        "en": "I can't find an unfinished application. What would you like to do?",
    },
    # -- a person ------------------------------------------------------------------------------
    "handed_off": {
        "zh": "好的，已经为您转接工作人员（排队号 {number}）。请稍等，工作人员会在这里回复您。您现在说的话都会转给工作人员。",
        "en": "OK, I have passed you to a member of staff (queue number {number}). Please wait; they will reply here. "
              "Everything you say now goes to them.",
    },
    "after_hours": {
        "zh": "现在工作人员下班了，{when}上班。请留一个手机号，工作人员上班后给您回电话。",
        "en": "Our staff are not at work now; they start again {when}. Please leave a mobile number and they will "
              "call you back.",
    },
    "ask_callback_phone": {
        "zh": "请说一个能打通的手机号码，11位。不想留的话，说「取消」。",
        "en": "Please tell me a mobile number we can call: 11 digits. Say \"cancel\" if you would rather not.",
    },
    "callback_taken": {
        "zh": "记下了：{phone}（回电编号 {number}）。工作人员会在{when}之后给您打电话。现在我还可以继续回答您的问题。",
        "en": "Noted: {phone} (callback number {number}). A member of staff will call you after {when}. "
              "Meanwhile I can go on answering your questions.",
    },
    "next_working_day": {"zh": "下一个工作日上午", "en": "the next working day"},
    "operator_says": {"zh": "工作人员{name}：{text}", "en": "Staff {name}: {text}"},
    "still_waiting": {
        "zh": "工作人员马上就来，请稍等。您说的话已经转过去了。",
        "en": "A member of staff will be with you shortly. What you said has been passed on.",
    },
    "handed_back": {
        "zh": "工作人员已经结束了这次服务，现在由我继续为您服务。请问还有什么要办的？",
        "en": "The member of staff has finished; I am back to help you. What else can I do for you?",
    },
    # -- help inside a form ------------------------------------------------------------------
    "form_help": {
        "zh": "我们正在办「{name}」，现在要填的是：{label}。您可以直接回答；说「再说一遍」我就重复，"
              "说「取消」就不办了，说「转人工」可以找工作人员。也可以随时问办事的问题。",
        "en": "We are doing: {name}. I am asking for: {label}. You can answer directly; say \"repeat\" "
              "to hear it again, \"cancel\" to stop, or \"talk to a person\" for a person. "
              "You can also ask a question about a service at any time.",
    },
    "label_proxy_name": {"zh": "代办人", "en": "Applying for them"},
    "label_proxy_phone": {"zh": "代办人手机", "en": "Their mobile"},
    "label_proxy_consent": {"zh": "本人同意", "en": "Applicant agrees"},
    "proxy_consent_given": {"zh": "已同意", "en": "yes"},
    "button_consent_yes": {"zh": "老人同意", "en": "They agree"},
    "bad_consent": {
        "zh": "没有老人本人同意，不能代办。老人同意的话，请说「同意」；不办了就说「取消」。",
        "en": "Without the applicant's agreement we cannot apply for them. Say \"they agree\" if they do, or \"cancel\".",
    },
    "label_confirmed": {"zh": "核对信息", "en": "checking your answers"},
    "label_application_no": {"zh": "申请号", "en": "application number"},
    "form_name_id_card_form": {"zh": "补办或换领身份证", "en": "renewing or replacing an ID card"},
    "form_name_pension_certification_form": {"zh": "养老金资格认证", "en": "pension certification"},
    "form_name_appointment_form": {"zh": "预约去大厅办事", "en": "booking a visit to a service hall"},
    "form_name_application_status_form": {"zh": "查办理进度", "en": "checking an application"},
}


def text(key: str, language: Language, **values: Any) -> str:
    """Return a text in a language with its placeholders filled.

    Args:
        key: The text's key in ``TEXTS``.
        language: ``zh`` or ``en``.
        **values: Values for the text's ``{placeholders}``.

    """
    return TEXTS[key][language].format(**values)
