"""Answers to questions about catalogue services."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import conversation_language
from actions.texts import text
from bot.services import catalogue

#: Services offered as buttons when a question names none (the most asked first).
COMMON_SERVICES = ("id_card", "social_security_card", "pension", "medical_insurance",
                   "elderly_benefits", "hukou")


class ActionAnswerService(Action):
    """Answer a question about a service, or ask which service is meant."""

    def name(self) -> str:
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        services = catalogue()
        named = [value for value in tracker.get_latest_entity_values("service") if value in services]
        if not named:
            buttons = [
                {"title": services[sid].name(language),
                 "payload": f'/ask_service{{"service":"{sid}"}}'}
                for sid in COMMON_SERVICES
            ]
            dispatcher.utter_message(text=text("ask_which_service", language), buttons=buttons)
            return []
        dispatcher.utter_message(
            text=text("service_overview", language, service_name=services[named[0]].name(language))
        )
        return []
