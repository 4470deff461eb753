"""Helpers for actions that speak in the conversation's language."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.language import Language, normalise_language


def conversation_language(tracker: Tracker) -> Language:
    """Return the language the assistant currently replies in."""
    return normalise_language(tracker.get_slot("language"))
