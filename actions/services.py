"""Answers to questions about catalogue services, from the portal's live guides.

An answer is short enough to read on a phone or hear in one breath: one part
of the guide (what to bring, the fee, where to go…) at a time, lists cut
after a few items with "want to hear more?". Guides live in the portal, so an
updated guide needs no retraining.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.elderly import in_elderly_mode
from actions.language import conversation_language
from actions.portal_client import Guide, PortalError, get_guide
from actions.texts import text
from bot.input_check import is_button_payload
from bot.language import Language
from bot.services import catalogue

#: Services offered as buttons when a question names none (the most asked first).
COMMON_SERVICES = ("id_card", "social_security_card", "pension", "medical_insurance",
                   "elderly_benefits", "hukou")
#: Services the assistant can apply for online, and the form that does it.
APPLICATION_FORMS = {"id_card": "id_card_form", "pension": "pension_certification_form"}
#: List items per answer; the rest come after "want to hear more?".
ITEMS_PER_ANSWER = 3
#: Halls per answer.
OFFICES_PER_ANSWER = 2

#: Words that ask about one part of a guide, checked in this order.
ASPECT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("materials", ("材料", "带什么", "带啥", "带哪些", "要带", "证件", "需要什么", "需要啥", "要啥",
                   "准备什么", "bring", "document", "papers", "what do i need", "paperwork")),
    ("fee", ("多少钱", "费用", "收费", "花钱", "要钱", "免费", "钱", "cost", "fee", "price", "how much",
             "free", "charge", "pay")),
    ("time", ("多久", "几天", "多长时间", "多少天", "什么时候能拿", "啥时候", "how long", "how many days",
              "when will", "how soon")),
    ("online", ("网上", "手机上", "线上", "app", "浙里办", "在家办", "不出门", "online", "internet",
                "website")),
    ("elderly", ("老人", "老年", "腿脚", "上门", "卧床", "代办", "行动不便", "elderly", "senior",
                 "old people", "can't walk", "cannot walk", "home visit", "on behalf", "bedridden")),
    ("eligibility", ("条件", "能不能办", "可以办吗", "谁能", "谁可以", "资格", "符合", "eligib", "who can",
                     "qualify", "requirement", "allowed")),
    ("where", ("哪里", "哪儿", "去哪", "在哪", "地址", "窗口", "大厅", "几点", "上班", "开门", "where",
               "address", "office", "hall", "open", "hours")),
)
ASPECTS = tuple(aspect for aspect, _ in ASPECT_WORDS)


def aspect_asked(message: str) -> Optional[str]:
    """Return the part of a guide a question is about ("要带什么" → ``materials``), if any."""
    lowered = message.lower()
    for aspect, words in ASPECT_WORDS:
        for word in words:
            if (re.search(rf"\b{re.escape(word)}", lowered) if word.isascii() else word in lowered):
                return aspect
    return None


def asks_about_a_service(tracker: Tracker) -> bool:
    """Whether the latest message is a question about a service (and not an answer to a form)."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    if intent.get("name") != "ask_service" or float(intent.get("confidence") or 0) < 0.5:
        return False
    named = any(e.get("entity") == "service" for e in latest.get("entities") or [])
    return named or aspect_asked(latest.get("text") or "") is not None


def _items_text(items: list[str], language: Language) -> str:
    separator = "；" if language == "zh" else "; "
    return separator.join(items) + ("。" if language == "zh" else ".")


def _aspect_parts(guide: Guide, aspect: str, language: Language) -> tuple[str, list[str]]:
    """Return an aspect's text key and its items (one item for single-text aspects)."""
    if aspect == "materials":
        return "guide_materials", list(guide.materials)
    if aspect == "eligibility":
        return "guide_eligibility", list(guide.eligibility)
    if aspect == "elderly":
        return "guide_elderly", list(guide.elderly_notes)
    if aspect == "where":
        offices = [text("guide_office", language, name=o.name, address=o.address, hours=o.opening_hours_text,
                        phone=o.phone) for o in guide.offices]
        return "guide_where", offices
    return f"guide_{aspect}", []


def answer_size(aspect: str, slow: bool) -> int:
    """Return how many items one answer says (fewer, for slower speech and senior mode)."""
    size = OFFICES_PER_ANSWER if aspect == "where" else ITEMS_PER_ANSWER
    return max(1, size - 1) if slow else size


def render_aspect(guide: Guide, aspect: str, language: Language, offset: int = 0,
                  slow: bool = False) -> tuple[str, int]:
    """Return the answer about one part of a guide, and how many list items are left.

    Args:
        guide: The service guide, in the reply language.
        aspect: One of :data:`ASPECTS`.
        language: The reply language.
        offset: How many list items were already said.
        slow: Senior mode or slower speech: fewer items at a time.

    """
    key, items = _aspect_parts(guide, aspect, language)
    if key == "guide_fee":
        return text(key, language, name=guide.name, fee=guide.fee, time=guide.processing_time), 0
    if key == "guide_time":
        return text(key, language, name=guide.name, time=guide.processing_time), 0
    if key == "guide_online":
        return text(key, language, name=guide.name, online=guide.online), 0
    size = answer_size(aspect, slow)
    chunk = items[offset:offset + size]
    left = max(0, len(items) - offset - len(chunk))
    return text(key, language, name=guide.name, items=_items_text(chunk, language)), left


def aspect_buttons(service_id: str, guide: Guide, language: Language) -> list[dict[str, str]]:
    """Return buttons for the parts of a guide, and to apply or book when possible."""
    buttons = [
        {"title": text(f"aspect_{aspect}", language),
         "payload": f'/ask_service{{"service":"{service_id}","aspect":"{aspect}"}}'}
        for aspect in ("materials", "fee", "where", "online", "elderly")
    ]
    if service_id in APPLICATION_FORMS and guide.application_kinds:
        buttons.append({"title": text("button_apply", language),
                        "payload": f'/start_application{{"service":"{service_id}"}}'})
    buttons.append({"title": text("button_book", language),
                    "payload": f'/book_appointment{{"service":"{service_id}"}}'})
    return buttons


async def answer_service_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Answer the latest question about a service from its guide.

    Args:
        dispatcher: Sends the answer.
        tracker: The conversation.

    Returns:
        Events that remember where a cut-short answer stopped.

    """
    language = conversation_language(tracker)
    services = catalogue()
    named = [v for v in tracker.get_latest_entity_values("service") if v in services]
    service_id = named[0] if named else tracker.get_slot("service")
    if service_id not in services:
        buttons = [{"title": services[sid].name(language), "payload": f'/ask_service{{"service":"{sid}"}}'}
                   for sid in COMMON_SERVICES]
        dispatcher.utter_message(text=text("ask_which_service", language), buttons=buttons)
        return [SlotSet("more_available", False), SlotSet("guide_cursor", None)]
    requested = [v for v in tracker.get_latest_entity_values("aspect") if v in ASPECTS]
    said = tracker.latest_message.get("text") or ""
    aspect = requested[0] if requested else None if is_button_payload(said) else aspect_asked(said)
    try:
        guide = await get_guide(service_id, language)
    except PortalError:
        dispatcher.utter_message(text=text("guide_unavailable", language))
        return [SlotSet("more_available", False), SlotSet("guide_cursor", None)]
    if aspect is None:
        dispatcher.utter_message(text=text("guide_summary", language, name=guide.name, summary=guide.summary))
        dispatcher.utter_message(text=text("guide_choose_aspect", language),
                                 buttons=aspect_buttons(service_id, guide, language))
        return [SlotSet("service", service_id), SlotSet("more_available", False),
                SlotSet("guide_cursor", None)]
    slow = in_elderly_mode(tracker)
    return [SlotSet("service", service_id), *_say_aspect(dispatcher, guide, aspect, language, 0, slow)]


def _say_aspect(dispatcher: CollectingDispatcher, guide: Guide, aspect: str, language: Language,
                offset: int, slow: bool = False) -> list[EventType]:
    answer, left = render_aspect(guide, aspect, language, offset, slow)
    if left:
        dispatcher.utter_message(
            text=answer + "\n" + text("guide_more_left", language, count=left),
            buttons=[{"title": text("button_more", language), "payload": "/more_info"}])
        size = answer_size(aspect, slow)
        cursor = json.dumps({"service": guide.id, "aspect": aspect, "offset": offset + size})
        return [SlotSet("more_available", True), SlotSet("guide_cursor", cursor)]
    dispatcher.utter_message(text=answer)
    return [SlotSet("more_available", False), SlotSet("guide_cursor", None)]


class ActionAnswerService(Action):
    """Answer a question about a service, or ask which service is meant."""

    def name(self) -> str:
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await answer_service_question(dispatcher, tracker)


class ActionContinueGuide(Action):
    """Say the rest of an answer that was cut short ("还有呢" / "go on")."""

    def name(self) -> str:
        return "action_continue_guide"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        try:
            cursor = json.loads(tracker.get_slot("guide_cursor") or "null")
        except ValueError:
            cursor = None
        if not isinstance(cursor, dict) or not re.fullmatch(r"\w+", str(cursor.get("service", ""))):
            dispatcher.utter_message(text=text("guide_nothing_more", language))
            return [SlotSet("more_available", False), SlotSet("guide_cursor", None)]
        try:
            guide = await get_guide(str(cursor["service"]), language)
        except PortalError:
            dispatcher.utter_message(text=text("guide_unavailable", language))
            return []
        offset = int(cursor.get("offset", 0))
        slow = in_elderly_mode(tracker)
        return _say_aspect(dispatcher, guide, str(cursor.get("aspect")), language, offset, slow)
