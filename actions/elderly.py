"""Senior mode: offered (never imposed) to people of 60 and over, or chosen by the user.

It changes pace and wording in every channel: speech slower, answers shorter
(fewer items at a time), every number read back as soon as it is given. The
channels are told with a custom message ``{"elderly_mode": true}`` so that
they switch too (bigger buttons, spoken replies).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import conversation_language
from actions.texts import text

#: The age from which senior mode is offered when an ID number shows it.
SENIOR_AGE = 60


def in_elderly_mode(tracker: Tracker) -> bool:
    """Whether the conversation is in senior mode (or the user asked for slower speech)."""
    return bool(tracker.get_slot("elderly_mode")) or tracker.get_slot("speech_rate") == "slow"


def offer_elderly_mode(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Offer senior mode once (a button; nothing changes unless the user takes it)."""
    if tracker.get_slot("elderly_mode") is not None:
        return
    language = conversation_language(tracker)
    button = {"title": text("button_elderly_mode", language), "payload": "/elderly_mode"}
    dispatcher.utter_message(text=text("offer_elderly_mode", language), buttons=[button])


class ActionSetElderlyMode(Action):
    """Turn senior mode on for the rest of the conversation."""

    def name(self) -> str:
        return "action_set_elderly_mode"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("elderly_mode_on", conversation_language(tracker)),
                                 json_message={"elderly_mode": True, "speech_rate": "slow"})
        return [SlotSet("elderly_mode", True), SlotSet("speech_rate", "slow")]
