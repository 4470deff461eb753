"""The questions the forms ask, one small action each (``action_ask_<slot>``).

Questions are actions rather than domain responses so that their choices
(reasons, certification methods, services) come from the same tables the
validation uses, in the conversation's language.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.language import conversation_language
from actions.services import COMMON_SERVICES
from actions.texts import text
from bot.language import Language
from bot.services import catalogue

#: Kinds of answer a question can expect (see ``AskQuestion.expects``).
DIGITS = "digits"
YES_NO = "yes_no"

#: Choices offered as buttons; the payload is the title, which the validation understands.
REASONS = ("expired", "lost", "damaged", "info_changed")
METHODS = ("hall", "home_visit", "online_face")


class AskQuestion(Action, ABC):
    """Ask for one slot with a text from ``texts.py`` and, where useful, buttons."""

    @property
    @abstractmethod
    def asks_for(self) -> str:
        """The part of the action name after ``action_ask_`` (a slot, or ``<form>_<slot>``)."""

    def name(self) -> str:
        return f"action_ask_{self.asks_for}"

    #: What kind of answer fits, for channels that listen (``digits``, ``yes_no``), or None.
    #: Sent as a custom message ``{"expects": ...}``; the kiosk narrows recognition to it.
    expects: Optional[str] = None

    def choices(self, language: Language) -> list[str]:
        """Return the button titles offered with the question (none by default)."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        buttons = [{"title": title, "payload": title} for title in self.choices(language)]
        dispatcher.utter_message(text=text(f"ask_{self.asks_for}", language), buttons=buttons)
        if self.expects:
            dispatcher.utter_message(json_message={"expects": self.expects})
        return []


class AskIdCardReason(AskQuestion):
    """Why a new ID card is needed."""

    asks_for = "id_card_reason"

    def choices(self, language: Language) -> list[str]:
        """Offer the four reasons."""
        return [text(f"reason_{reason}", language) for reason in REASONS]


class AskApplicantName(AskQuestion):
    """The applicant's name."""

    asks_for = "applicant_name"


class AskIdNumber(AskQuestion):
    """The applicant's resident ID number."""

    asks_for = "id_number"
    expects = DIGITS


class AskPhone(AskQuestion):
    """A mobile number to reach the applicant."""

    asks_for = "phone"
    expects = DIGITS


class AskStatusPhone(AskQuestion):
    """The mobile number given in the application being checked."""

    asks_for = "application_status_form_phone"
    expects = DIGITS


class AskPensionMethod(AskQuestion):
    """How to do the pension certification."""

    asks_for = "pension_method"

    def choices(self, language: Language) -> list[str]:
        """Offer the three methods."""
        return [text(f"method_{method}", language) for method in METHODS]


class AskHomeAddress(AskQuestion):
    """Where to visit for a home certification."""

    asks_for = "home_address"


class AskAppointmentService(AskQuestion):
    """Which service an appointment is for."""

    asks_for = "appointment_service"

    def choices(self, language: Language) -> list[str]:
        """Offer the most asked services."""
        services = catalogue()
        return [services[sid].name(language) for sid in COMMON_SERVICES]


class AskApplicationNo(AskQuestion):
    """The number of the application to check."""

    asks_for = "application_no"
    expects = DIGITS


class AskProxyName(AskQuestion):
    """The name of the person applying on an elder's behalf."""

    asks_for = "proxy_name"


class AskProxyPhone(AskQuestion):
    """The proxy applicant's mobile number."""

    asks_for = "proxy_phone"
    expects = DIGITS


class AskProxyConsent(AskQuestion):
    """Whether the elder agrees to the proxy application."""

    asks_for = "proxy_consent"
    expects = YES_NO

    def choices(self, language: Language) -> list[str]:
        """Offer yes (the payload is the title, which the validation understands)."""
        return [text("button_consent_yes", language)]
