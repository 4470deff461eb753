"""Actions that control the conversation itself: repeat, slower, language."""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import conversation_language
from actions.texts import text
from bot.input_check import find_input_problem, is_button_payload
from bot.language import detect_language, other_language, requested_language

# Keys of a bot event's data that make up what the user saw, besides the text.
_MESSAGE_PARTS = ("buttons", "image", "custom", "attachment", "elements", "quick_replies")


def last_bot_turn(events: list[dict[str, Any]], without_question_of: Optional[str] = None
                  ) -> list[dict[str, Any]]:
    """Return the bot messages of the assistant's last answer.

    The last answer is the run of ``bot`` events that came before the user's
    latest message (the request to repeat) and after the message before it.

    Args:
        events: The tracker's events, oldest first.
        without_question_of: A form that is still active: its last message
            (the question it asks again by itself after the repeat) is left out.

    Returns:
        The bot events of that answer, oldest first; empty when there is none.

    """
    user_seen = 0
    turn: list[tuple[Optional[str], dict[str, Any]]] = []
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "user":
            user_seen += 1
            if user_seen == 2:
                break
        elif event.get("event") == "bot" and user_seen == 1:
            turn.append((_producing_action(events, index), event))
    turn.reverse()
    if without_question_of and turn and turn[-1][0] == without_question_of:
        turn = turn[:-1]
    return [event for _, event in turn]


def _producing_action(events: list[dict[str, Any]], index: int) -> Optional[str]:
    """Return the name of the action whose run logged the bot event at ``index``."""
    for event in reversed(events[:index]):
        if event.get("event") == "action":
            return str(event.get("name"))
        if event.get("event") == "user":
            return None
    return None


class ActionRepeat(Action):
    """Say the assistant's last answer again, word for word."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        active_form = (tracker.active_loop or {}).get("name")
        turn = last_bot_turn(tracker.events, without_question_of=active_form)
        if not turn:
            if not active_form:
                dispatcher.utter_message(text=text("nothing_to_repeat", conversation_language(tracker)))
            return []
        for event in turn:
            data = event.get("data") or {}
            parts = {key: data[key] for key in _MESSAGE_PARTS if data.get(key)}
            dispatcher.utter_message(text=event.get("text"), **parts)
        return []


class ActionSlowDown(Action):
    """Remember that the user wants slower speech and shorter sentences."""

    def name(self) -> str:
        return "action_slow_down"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [SlotSet("speech_rate", "slow")]


class ActionDetectLanguage(Action):
    """Keep the ``language`` slot on the language the user writes in.

    Runs on every user message (it is the slot's custom mapping). A request to
    change language that names one ("说英语", "Chinese please") switches to
    it; one that names none ("switch language") toggles between Chinese and
    English; any other message that is clearly Chinese or English sets that
    language. Neutral or unreadable messages ("ok", digits, emoji) change
    nothing.
    """

    def name(self) -> str:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        current = conversation_language(tracker)
        if find_input_problem(text) is not None:
            return []  # unreadable: no evidence of a language
        if intent == "change_language":  # typed, or a command such as Telegram's /language
            chosen = (tracker.latest_message.get("metadata") or {}).get("language")  # a channel's own switch
            named = chosen if chosen in ("zh", "en") else (
                None if is_button_payload(text) else requested_language(text))
            language: Optional[str] = named or other_language(current)
        elif is_button_payload(text):
            return []  # a button's payload says nothing about the user's language
        else:
            language = detect_language(text)
        if language is None or language == tracker.get_slot("language"):
            return []
        return [SlotSet("language", language)]
