"""What the kiosk remembers about each conversation, and how it turns answers into speech.

A kiosk page keeps a session id in the browser; the conversation behind it
(``kiosk-<session id>`` on the assistant's REST channel) lives in the
assistant's tracker, so a page that reloads or reconnects carries on where it
was. Here the kiosk only keeps what it needs to listen and speak well: the
language, how slowly to speak, and what the last question expects.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from bot.language import detect_language
from connectors.assistant_client import Reply
from voice.grammars import grammar_for
from voice.speech_text import speech_for

#: Session ids the page may choose: URL-safe, long enough not to be guessed.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Each "slower" press multiplies the speaking rate by this ...
SLOWER_STEP = 0.85
#: ... down to this (on top of the senior pace every kiosk reply has).
SLOWEST = 0.55
LANGUAGES = ("zh", "en")


def new_session_id() -> str:
    """A fresh, unguessable session id."""
    return secrets.token_urlsafe(18)


@dataclass
class KioskConversation:
    """One kiosk conversation."""

    session_id: str
    language: str = "zh"
    rate_factor: float = 1.0
    #: ``digits`` / ``yes_no`` when the last question said what it expects.
    expects: Optional[str] = None
    #: The titles of the buttons offered with the last answer.
    choices: tuple[str, ...] = ()
    #: Raised for every new answer; speech of an older turn is dropped.
    turn: int = 0
    #: The assistant hears one message of a conversation at a time, in order.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def sender(self) -> str:
        """The conversation id on the assistant's REST channel."""
        return f"kiosk-{self.session_id}"

    def grammar(self) -> Optional[list[str]]:
        """The phrases to listen for after the last answer (None: free speech)."""
        return grammar_for(self.expects, self.choices, self.language)

    def slower(self) -> None:
        """Speak more slowly from now on."""
        self.rate_factor = max(SLOWEST, round(self.rate_factor * SLOWER_STEP, 3))

    def switch_language(self, language: Optional[str] = None) -> str:
        """Switch to ``language`` (or to the other one); return the new language."""
        self.language = language if language in LANGUAGES else ("en" if self.language == "zh" else "zh")
        return self.language

    def take_answer(self, replies: list[Reply]) -> None:
        """Learn from the assistant's answer: its language and what its question expects."""
        self.turn += 1
        texts = [reply.text for reply in replies if reply.text]
        language = detect_language("\n".join(texts)) if texts else None
        if language in LANGUAGES:
            self.language = language
        self.expects = None
        self.choices = ()
        for reply in replies:
            expects = reply.custom.get("expects")
            if isinstance(expects, str):
                self.expects = expects
            if reply.buttons:
                self.choices = tuple(button.title for button in reply.buttons)


def speech_parts(texts: list[str], language: str) -> list[str]:
    """Split an answer's speech in two: the first sentence, then the rest.

    The first part is short, so it is ready to play soon after the user
    stopped speaking; the rest is made while it plays.
    """
    sentences = [sentence for text in texts for sentence in speech_for(text, language)]
    if len(sentences) <= 1:
        return sentences
    return [sentences[0], "\n".join(sentences[1:])]


class Conversations:
    """Every recent kiosk conversation, at most ``limit`` (the oldest unused are forgotten)."""

    def __init__(self, limit: int = 2000) -> None:
        """Create an empty register."""
        self.limit = limit
        self._conversations: OrderedDict[str, KioskConversation] = OrderedDict()

    def get(self, session_id: str, language: str) -> KioskConversation:
        """Return the conversation of a session, starting one in ``language`` if it is new."""
        conversation = self._conversations.get(session_id)
        if conversation is None:
            conversation = KioskConversation(session_id, language if language in LANGUAGES else "zh")
            self._conversations[session_id] = conversation
            while len(self._conversations) > self.limit:
                self._conversations.popitem(last=False)
        self._conversations.move_to_end(session_id)
        return conversation
