"""A person when it is needed: handing a conversation to an operator, and relaying until it comes back.

``action_hand_off`` opens a handoff on the desk (``bot/handoff.py``) with the
transcript and the reason, and from then on the assistant stops answering:
``action_relay_to_person`` passes each citizen message to the desk and gives
the citizen the operators' replies. Outside the hours operators answer live,
the assistant takes a callback number instead (``callback_form``).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import CHINA_TIME, GuidedFormValidation
from actions.language import conversation_language
from actions.portal_client import Office, PortalError, get_offices
from actions.texts import text
from bot.handoff import HandoffDesk
from bot.language import Language
from bot.settings import get_settings
from bot.validators import group_digits

#: Lines of the conversation kept with a handoff for the operator.
TRANSCRIPT_LINES = 40


@functools.lru_cache(maxsize=1)
def desk() -> HandoffDesk:
    """Return the handoff desk of the settings."""
    return HandoffDesk.from_settings(get_settings())


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """Return the conversation so far as lines for an operator (who said what)."""
    lines = [{"from": "citizen" if e.get("event") == "user" else "assistant",
              "text": str(e.get("text") or "")}
             for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return lines[-TRANSCRIPT_LINES:]


def _open_intervals(office: Office, day: datetime) -> list[tuple[datetime, datetime]]:
    intervals = []
    for hours in office.opening_hours:
        if day.isoweekday() in hours.weekdays:
            start = datetime.combine(day.date(), datetime.strptime(hours.open, "%H:%M").time(), CHINA_TIME)
            end = datetime.combine(day.date(), datetime.strptime(hours.close, "%H:%M").time(), CHINA_TIME)
            intervals.append((start, end))
    return intervals


def next_opening(offices: list[Office], now: datetime) -> Optional[datetime]:
    """Return when operators are next at work (now, if a hall is open), within a week."""
    for days in range(8):
        day = now + timedelta(days=days)
        starts = [start if start > now else now for office in offices
                  for start, end in _open_intervals(office, day) if end > now]
        if starts:
            return min(starts)
    return None


def say_when(moment: datetime, now: datetime, language: Language) -> str:
    """Say a time the way people do: 今天 14:00 / 明天（星期一）9:00 / Monday 9:00."""
    clock = moment.strftime("%H:%M").lstrip("0")
    clock = clock if not clock.startswith(":") else "0" + clock
    if language == "zh":
        names = "一二三四五六日"
        day = {0: "今天", 1: "明天"}.get((moment.date() - now.date()).days,
                                        f"星期{names[moment.weekday()]}")
        return f"{day} {clock}"
    day = {0: "today", 1: "tomorrow"}.get((moment.date() - now.date()).days, moment.strftime("%A"))
    return f"{day} at {clock}"


async def staffed_until_when(language: Language) -> tuple[bool, Optional[datetime]]:
    """Return whether operators answer now, and if not, when they next do."""
    hours = get_settings().handoff_hours
    now = datetime.now(CHINA_TIME)
    if hours == "always":
        return True, now
    if hours == "never":
        return False, None
    try:
        offices = await get_offices(language)
    except PortalError:
        return False, None  # cannot tell: take a number rather than leave the citizen waiting
    opening = next_opening(offices, now)
    return opening is not None and opening <= now, opening


class ActionHandOff(Action):
    """Pass the conversation to a person, or take a callback number outside working hours."""

    def name(self) -> str:
        return "action_hand_off"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = "asked for a person" if intent == "human_handoff" else "could not be helped by the assistant"
        callback_phone = tracker.get_slot("callback_phone")
        now = datetime.now(CHINA_TIME)
        if callback_phone:
            handoff = desk().open(tracker.sender_id, language, reason, transcript(tracker), callback_phone)
            _, opening = await staffed_until_when(language)
            when = say_when(opening, now, language) if opening else text("next_working_day", language)
            dispatcher.utter_message(text=text("callback_taken", language, when=when,
                                               phone=group_digits(callback_phone, (3, 4, 4)),
                                               number=handoff.id))
            return [SlotSet("callback_phone", None), SlotSet("handed_off", False),
                    SlotSet("next_form", "none")]
        staffed, opening = await staffed_until_when(language)
        if not staffed:
            when = say_when(opening, now, language) if opening else text("next_working_day", language)
            dispatcher.utter_message(text=text("after_hours", language, when=when))
            return [SlotSet("handed_off", False), SlotSet("next_form", "callback_form")]
        handoff = desk().open(tracker.sender_id, language, reason, transcript(tracker))
        dispatcher.utter_message(text=text("handed_off", language, number=handoff.id))
        return [SlotSet("handed_off", True), SlotSet("next_form", "none")]


class ActionRelayToPerson(Action):
    """While a person handles the conversation: pass the message on, give the citizen the replies."""

    def name(self) -> str:
        return "action_relay_to_person"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        handoff = desk().current(tracker.sender_id)
        pending = desk().undelivered(tracker.sender_id)
        for message in pending:
            dispatcher.utter_message(text=text("operator_says", language, name=message.name or "",
                                               text=message.text))
        desk().mark_delivered([m.id for m in pending])
        if handoff is None:  # handed back: the assistant answers again
            dispatcher.utter_message(text=text("handed_back", language))
            return [SlotSet("handed_off", False)]
        desk().record_citizen(handoff.id, str(tracker.latest_message.get("text") or ""))
        if not pending and handoff.status == "waiting":
            dispatcher.utter_message(text=text("still_waiting", language))
        return [SlotSet("handed_off", True)]


class ValidateCallbackForm(GuidedFormValidation):
    """The callback number taken outside working hours."""

    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Take a mainland mobile number."""
        return self.take_mobile("callback_phone", value, dispatcher, tracker)


class AskCallbackPhone(Action):
    """Ask for the number to call back."""

    def name(self) -> str:
        return "action_ask_callback_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("ask_callback_phone", conversation_language(tracker)))
        return []
