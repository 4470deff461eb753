"""Validation of the application forms.

Every form's validation shares one base class, :class:`GuidedFormValidation`:
- an answer that does not fit is refused with an explanation and an example;
  the second time, the choices come as buttons; the third time, a person is
  offered as well;
- a question about a service in the middle of a form is answered, and the
  form then asks its question again;
- the last field, ``confirmed``, is the read-back: "yes" submits, and naming
  a field ("电话不对，是…") corrects just that one.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from rasa_sdk.utils import call_potential_coroutine

from actions.elderly import SENIOR_AGE, in_elderly_mode, offer_elderly_mode
from actions.fields import (
    PROXY_FIELDS,
    display_value,
    field_named_in,
    form_fields,
    format_date,
    value_after_field_word,
)
from actions.language import conversation_language
from actions.portal_client import (
    Office,
    PortalError,
    Slot,
    call_portal,
    get_offices,
    new_idempotency_key,
    portal_client,
)
from actions.services import answer_service_question, asks_about_a_service
from actions.texts import text
from bot.language import Language
from bot.services import find_services
from bot.validators import (
    id_number_problem,
    normalise_digits,
    parse_application_no,
    parse_date,
    parse_id_number,
    parse_mobile,
    parse_name,
    parse_time_of_day,
)

#: China Standard Time: dates people say are dates there.
CHINA_TIME = timezone(timedelta(hours=8))

#: Free-text answers a form takes as a choice by position ("第二个", "the second one").
_ORDINALS = {
    "第一": 0, "第1": 0, "头一个": 0, "first": 0, "1st": 0,
    "第二": 1, "第2": 1, "second": 1, "2nd": 1,
    "第三": 2, "第3": 2, "third": 2, "3rd": 2,
    "第四": 3, "第4": 3, "fourth": 3, "4th": 3,
    "第五": 4, "第5": 4, "fifth": 4, "5th": 4,
    "第六": 5, "第6": 5, "sixth": 5, "6th": 5,
}
_YES_WORDS = re.compile(r"^(对|对的|是|是的|没错|正确|都对|确认|提交|可以|好|好的|行|"
                        r"yes|yeah|yep|correct|right|ok|okay|confirm|submit|that's right|all correct)"
                        r"[。.!！\s]*$", re.IGNORECASE)
_REASONS = (
    ("lost", ("丢", "掉了", "找不到", "被偷", "遗失", "lost", "stolen", "missing")),
    ("expired", ("过期", "到期", "期满", "快到期", "expired", "expir", "out of date", "renew")),
    ("damaged", ("坏", "破", "损", "刷不出", "消磁", "damaged", "broken", "worn")),
    ("info_changed", ("信息", "改名", "变更", "地址变", "改了", "changed", "change", "details")),
)
_METHODS = (
    ("home_visit", ("上门", "到家", "家里", "home", "visit")),
    ("online_face", ("刷脸", "手机", "网上", "浙里办", "app", "face", "online", "phone")),
    ("hall", ("大厅", "窗口", "现场", "去办", "hall", "in person", "office")),
)
_PARTS_OF_DAY = (("morning", ("上午", "早上", "早", "morning", "am")),
                 ("afternoon", ("下午", "中午", "afternoon", "pm")))


def today_in_china() -> date:
    """Return today's date in China."""
    return datetime.now(CHINA_TIME).date()


def choice_by_position(message: str) -> Optional[int]:
    """Return the 0-based position a user picked ("第二个" → 1), if any."""
    lowered = message.lower().replace(" ", "")
    for word, index in _ORDINALS.items():
        if word in lowered:
            return index
    stripped = lowered.strip("。.!！")
    if stripped.isdigit() and 1 <= int(stripped) <= 9:
        return int(stripped) - 1
    return None


def _keyword_choice(message: str, choices: tuple[tuple[str, tuple[str, ...]], ...]) -> Optional[str]:
    lowered = message.lower()
    for value, words in choices:
        if any(word in lowered for word in words):
            return value
    return None


def match_office(message: str, offices: list[Office], *more_names: dict[str, str]) -> Optional[Office]:
    """Return the office a user picked by name, short name or position.

    Args:
        message: What the user said.
        offices: The offices offered, in the order shown.
        more_names: Office names by id in other languages, also accepted.

    """
    position = choice_by_position(message)
    if position is not None and position < len(offices):
        return offices[position]
    said = re.sub(r"[\s，,。.!！]", "", message.lower())
    if not said:
        return None
    for office in offices:
        names = [office.name, office.id, *(names.get(office.id, "") for names in more_names)]
        for name in names:
            key = re.sub(r"[\s，,。.!！]", "", name.lower())
            if not key:
                continue
            short = re.split(r"(区|县|市|district|citizen|service|centre|center)", key)[0]
            if said in key or key in said or (len(short) >= 2 and short in said):
                return office
    return None


class GuidedFormValidation(FormValidationAction, ABC):
    """What every application form does with an answer, right or wrong."""

    @abstractmethod
    def name(self) -> str:
        """The validation action's name: ``validate_<form>``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer a service question asked mid-form, else validate as usual."""
        requested = tracker.get_slot("requested_slot")
        if requested and self._is_question_instead_of_answer(tracker, requested):
            await answer_service_question(dispatcher, tracker)
            return [SlotSet(requested, None)]
        return list(await super().run(dispatcher, tracker, domain))

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        """Ask about a proxy applicant only when someone applies on an elder's behalf."""
        if tracker.slots.get("proxy_relationship"):
            return domain_slots
        return [slot for slot in domain_slots if slot not in PROXY_FIELDS]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate the answers just given (not the slots an action just cleared)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        updates: dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot not in required:
                continue
            updates[slot] = value
            validate = getattr(self, f"validate_{slot}", None)
            if value is None or validate is None:
                continue
            result = await call_potential_coroutine(validate(value, dispatcher, tracker, domain))
            updates.update(result)
            tracker.slots.update(result)
        return [SlotSet(slot, value) for slot, value in updates.items()]

    @staticmethod
    def _is_question_instead_of_answer(tracker: Tracker, requested: str) -> bool:
        message = tracker.latest_message.get("text") or ""
        if requested in ("appointment_service",):
            return False  # naming a service is the answer here
        if requested in ("id_number", "phone", "application_no") and (
                parse_mobile(message) or parse_application_no(message) or parse_id_number(message)):
            return False
        return asks_about_a_service(tracker)

    # -- shared refusal with escalation ------------------------------------------------

    def refuse(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, key: str,
               choices: Optional[list[tuple[str, str]]] = None, **values: Any) -> dict[str, Any]:
        """Explain why an answer was not taken, escalating with each failure.

        Args:
            dispatcher: Sends the explanation.
            tracker: The conversation.
            slot: The slot being asked.
            key: The explanation's text key (it includes an example).
            choices: (title, payload) buttons offered from the second failure on.
            **values: Values for the text's placeholders.

        Returns:
            Slot updates: the slot cleared and the failure counted.

        """
        language = conversation_language(tracker)
        failures = int(tracker.get_slot("failed_attempts") or 0) + 1
        buttons = [{"title": title, "payload": payload} for title, payload in (choices or [])]
        if failures >= 3:
            buttons.append({"title": text("button_person", language), "payload": "/human_handoff"})
            explanation = text(key, language, **values) + "\n" + text("offer_person", language)
            dispatcher.utter_message(text=explanation, buttons=buttons)
        elif failures == 2 and buttons:
            dispatcher.utter_message(text=text(key, language, **values), buttons=buttons)
        else:
            dispatcher.utter_message(text=text(key, language, **values))
        return {slot: None, "failed_attempts": float(failures)}

    @staticmethod
    def read_back(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: str) -> None:
        """In senior mode, read a number back as soon as it is given (in groups)."""
        if in_elderly_mode(tracker):
            language = conversation_language(tracker)
            dispatcher.utter_message(text=text("noted_value", language,
                                               value=display_value(slot, value, language, {})))

    @staticmethod
    def accept(slot: str, value: Any, **more: Any) -> dict[str, Any]:
        """Return slot updates that take an answer and reset the failure count."""
        return {slot: value, "failed_attempts": 0.0, **more}

    # -- fields shared by several forms ----------------------------------------------

    def take_name(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> dict[str, Any]:
        """Take a Chinese or English name into a slot."""
        name = parse_name(str(value or ""))
        if name is None:
            return self.refuse(dispatcher, tracker, slot, "bad_name")
        return self.accept(slot, name)

    def take_mobile(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> dict[str, Any]:
        """Take a mainland mobile number into a slot (read back at once in senior mode)."""
        phone = parse_mobile(str(value or ""))
        if phone is None:
            return self.refuse(dispatcher, tracker, slot, "bad_phone")
        self.read_back(dispatcher, tracker, slot, phone)
        return self.accept(slot, phone)

    def take_choice(self, slot: str, value: Any, table: tuple[tuple[str, tuple[str, ...]], ...], label: str,
                    dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Take one of a few choices said in words; refused with ``bad_<label>`` and the choices as buttons.

        Args:
            slot: The slot being asked.
            value: What the user said.
            table: Each choice with the words that pick it.
            label: The text-key prefix of the choices' names (``reason`` → ``reason_lost``…).
            dispatcher: Sends the explanation.
            tracker: The conversation.

        """
        choice = _keyword_choice(str(value or ""), table)
        if choice is None:
            language = conversation_language(tracker)
            names = [text(f"{label}_{value}", language) for value, _ in table]
            return self.refuse(dispatcher, tracker, slot, f"bad_{label}", [(n, n) for n in names])
        return self.accept(slot, choice)

    def validate_applicant_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Take the applicant's name."""
        return self.take_name("applicant_name", value, dispatcher, tracker)

    def validate_id_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        """Take an 18-character resident ID number with a valid check digit and birth date."""
        said = str(value or "")
        resident = parse_id_number(said, today_in_china())
        if resident is not None:
            if resident.age_on(today_in_china()) >= SENIOR_AGE:
                offer_elderly_mode(dispatcher, tracker)
            self.read_back(dispatcher, tracker, "id_number", resident.number)
            return self.accept("id_number", resident.number)
        problem = id_number_problem(said, today_in_china()) or "characters"
        return self.refuse(dispatcher, tracker, "id_number", f"bad_id_{problem}",
                           count=len(normalise_digits(said)) or len(re.sub(r"\s", "", said)))

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        """Take the applicant's mobile number."""
        return self.take_mobile("phone", value, dispatcher, tracker)

    def validate_proxy_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """Take the name of the person applying on the elder's behalf."""
        return self.take_name("proxy_name", value, dispatcher, tracker)

    def validate_proxy_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        """Take the proxy applicant's mobile number."""
        return self.take_mobile("proxy_phone", value, dispatcher, tracker)

    def validate_proxy_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        """The elder must agree to someone applying for them; a no stops the application."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        said = str(value or "").strip()
        if intent == "affirm" or _YES_WORDS.match(said) or re.search(r"同意|agree|consent", said, re.I):
            if not re.search(r"不同意|没同意|disagree|not agree|doesn't agree|does not", said, re.I):
                return self.accept("proxy_consent", "yes")
        language = conversation_language(tracker)
        choices = [(text("button_consent_yes", language), "/affirm"),
                   (text("button_cancel", language), "/cancel")]
        return self.refuse(dispatcher, tracker, "proxy_consent", "bad_consent", choices)

    # -- the read-back -------------------------------------------------------------------

    async def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        """Take "yes" to submit, or a correction of one field, or "no" (ask which)."""
        message = str(value or "")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        fields = form_fields(self.form_name(), tracker.slots)
        field = field_named_in(message, fields)
        if field is not None:
            return await self._correct(field, message, dispatcher, tracker, domain)
        if intent == "affirm" or _YES_WORDS.match(message.strip()):
            return self.accept("confirmed", "yes", pending_form=self.form_name(),
                               submission_key=tracker.get_slot("submission_key") or new_idempotency_key())
        if intent == "deny":
            return {"confirmed": None}  # action_ask_confirmed asks which field is wrong
        language = conversation_language(tracker)
        choices = [(text("button_confirm", language), "/affirm"), (text("button_wrong", language), "/deny")]
        return self.refuse(dispatcher, tracker, "confirmed", "bad_confirmation", choices)

    async def _correct(self, field: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        """Change one field: to the new value given with it, or ask for it again."""
        new_value = value_after_field_word(message)
        validate = getattr(self, f"validate_{field}", None)
        if validate is not None and new_value and new_value != message:
            silent = CollectingDispatcher()
            result = await call_potential_coroutine(validate(new_value, silent, tracker, domain))
            if result.get(field) is not None:
                return {**result, "confirmed": None, "failed_attempts": 0.0}
        return {field: None, "confirmed": None, "submission_key": None, "failed_attempts": 0.0}


class ValidateIdCardForm(GuidedFormValidation):
    """Renewing or replacing a resident ID card."""

    def name(self) -> str:
        return "validate_id_card_form"

    def validate_id_card_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Take why a new card is needed: expired, lost, damaged or details changed."""
        return self.take_choice("id_card_reason", value, _REASONS, "reason", dispatcher, tracker)

    async def validate_collection_office(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Take one of the halls that hand out ID cards."""
        return await _validate_office("collection_office", "id_card", self, value, dispatcher, tracker)


class ValidatePensionCertificationForm(GuidedFormValidation):
    """The yearly pension eligibility certification (养老金领取资格认证)."""

    def name(self) -> str:
        return "validate_pension_certification_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        """Ask for a home address only for a home visit."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.slots.get("pension_method") not in (None, "home_visit"):
            return [slot for slot in slots if slot != "home_address"]
        return slots

    def validate_pension_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Take how to certify: at a hall, by a home visit, or by face recognition."""
        return self.take_choice("pension_method", value, _METHODS, "method", dispatcher, tracker)

    def validate_home_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        """Take an address with enough detail for a visit (a place and a number)."""
        address = re.sub(r"\s+", " ", str(value or "")).strip(" ，,。.")
        has_number = bool(re.search(r"\d|[一二三四五六七八九十百]+号", address))
        long_enough = len(address) >= (8 if re.search(r"[\u4e00-\u9fff]", address) else 12)
        if not (has_number and long_enough and len(address) <= 200):
            return self.refuse(dispatcher, tracker, "home_address", "bad_address")
        return self.accept("home_address", address)


class ValidateAppointmentForm(GuidedFormValidation):
    """Booking a visit to a service hall from the real free slots."""

    def name(self) -> str:
        return "validate_appointment_form"

    def validate_appointment_service(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        """Take a catalogue service."""
        found = find_services(str(value or ""), fuzzy=True, lenient=True)
        if not found:
            return self.refuse(dispatcher, tracker, "appointment_service", "bad_service")
        return self.accept("appointment_service", found[0].service_id)

    async def validate_appointment_office(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Take a hall that offers the service and still has free times."""
        service = tracker.get_slot("appointment_service") or "id_card"
        result = await _validate_office("appointment_office", service, self, value, dispatcher, tracker)
        office_id = result.get("appointment_office")
        if office_id is None:
            return result
        try:
            slots = await call_portal(portal_client().free_slots, office_id, service)
        except PortalError:
            dispatcher.utter_message(text=text("portal_unavailable_question", conversation_language(tracker)))
            return {"appointment_office": None}
        if not slots:
            return self.refuse(dispatcher, tracker, "appointment_office", "no_slots_at_all")
        return result

    async def validate_appointment_date(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Take a day said naturally that has free times at the chosen hall."""
        language = conversation_language(tracker)
        spoken = parse_date(str(value or ""), today_in_china())
        if spoken is None:
            return self.refuse(dispatcher, tracker, "appointment_date", "bad_date")
        office, service = tracker.get_slot("appointment_office"), tracker.get_slot("appointment_service")
        try:
            slots = await call_portal(portal_client().free_slots, office, service)
        except PortalError:
            dispatcher.utter_message(text=text("portal_unavailable_question", language))
            return {"appointment_date": None}
        on_day = [s for s in slots if s.date == spoken.day]
        if not on_day:
            said_day = format_date(spoken.day, language)
            dispatcher.utter_message(text=text("no_slots_on_date", language, date=said_day),
                                     buttons=day_buttons(slots, language))
            return {"appointment_date": None}
        return self.accept("appointment_date", spoken.day.isoformat(),
                           appointment_part_of_day=spoken.part_of_day)

    async def validate_appointment_time(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Take one of the free times of the chosen day (by time, position or part of the day)."""
        language = conversation_language(tracker)
        try:
            offered = await offered_times(tracker)
        except PortalError:
            dispatcher.utter_message(text=text("portal_unavailable_question", language))
            return {"appointment_time": None}
        chosen = pick_time(str(value or ""), offered)
        if chosen is None:
            choices = [(s.start, s.start) for s in offered[:8]]
            return self.refuse(dispatcher, tracker, "appointment_time", "bad_time", choices)
        return self.accept("appointment_time", f"{chosen.start}-{chosen.end}",
                           appointment_slot_id=str(chosen.id))


class ValidateApplicationStatusForm(GuidedFormValidation):
    """Checking an application's status."""

    def name(self) -> str:
        return "validate_application_status_form"

    def validate_application_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Take a 12-digit application number."""
        number = parse_application_no(str(value or ""))
        if number is None:
            return self.refuse(dispatcher, tracker, "application_no", "bad_application_no")
        return self.accept("application_no", number)


async def _validate_office(slot: str, service: str, form: GuidedFormValidation, value: Any,
                           dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Take one of the halls offering a service, said by name or position."""
    language: Language = conversation_language(tracker)
    try:
        offices = await get_offices(language, service)
        other = await get_offices("en" if language == "zh" else "zh", service)
    except PortalError:
        dispatcher.utter_message(text=text("portal_unavailable_question", language))
        return {slot: None}
    office = match_office(str(value or ""), offices, {o.id: o.name for o in other})
    if office is None:
        choices = [(o.name, o.name) for o in offices[:6]]
        return form.refuse(dispatcher, tracker, slot, "bad_office", choices)
    return form.accept(slot, office.id)


#: How many days are offered as buttons when asking for a date.
DAYS_OFFERED = 5


def day_buttons(slots: list[Slot], language: Language) -> list[dict[str, str]]:
    """Buttons for the first days that have free times (the payload is the ISO date)."""
    days = sorted({slot.date for slot in slots})[:DAYS_OFFERED]
    return [{"title": format_date(day, language), "payload": day.isoformat()} for day in days]


async def offered_times(tracker: Tracker) -> list[Slot]:
    """Return the free times offered on the chosen day (in the part of the day asked for)."""
    office, service = tracker.get_slot("appointment_office"), tracker.get_slot("appointment_service")
    day = date.fromisoformat(str(tracker.get_slot("appointment_date")))
    slots = await call_portal(portal_client().free_slots, office, service, day)
    part = tracker.get_slot("appointment_part_of_day")
    in_part = [s for s in slots if _part_of_day(s.start) == part] if part else []
    return in_part or slots


def _part_of_day(start: str) -> str:
    return "morning" if int(start.split(":")[0]) < 12 else "afternoon"


def pick_time(message: str, offered: list[Slot]) -> Optional[Slot]:
    """Return the offered slot a user picked by time, position or part of the day.

    Args:
        message: What the user said ("9点半", "第二个", "上午", "14:00").
        offered: The slots offered, in the order shown.

    """
    if not offered:
        return None
    when = parse_time_of_day(message)
    if when is not None:
        hour, minute = when
        for slot in offered:
            start_hour, start_minute = (int(x) for x in slot.start.split(":"))
            end_hour, end_minute = (int(x) for x in slot.end.split(":"))
            if (start_hour, start_minute) <= (hour, minute) < (end_hour, end_minute):
                return slot
        return None
    position = choice_by_position(message)
    if position is not None:
        return offered[position] if position < len(offered) else None
    part = _keyword_choice(message, _PARTS_OF_DAY)
    if part is not None:
        return next((s for s in offered if _part_of_day(s.start) == part), None)
    return None
