"""Recognise messages the assistant cannot read, before they reach the NLU model.

Empty, whitespace-only, emoji-only, punctuation-only and binary-looking
messages get a kind "please say it in words" reply instead of a guess. Very
long messages are shortened to a length the model handles quickly.
"""

from __future__ import annotations

import enum
import re
import unicodedata

#: Messages are cut to this many characters before understanding; a question
#: about a public service never needs more.
MAX_UNDERSTOOD_CHARS = 500

_WORD_CHAR = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LONG_TOKEN = re.compile(r"[^\s\u3400-\u9fff]{40,}")


class InputProblem(str, enum.Enum):
    """Why a message cannot be understood."""

    EMPTY = "empty"
    NO_WORDS = "no_words"
    BINARY = "binary"


def find_input_problem(text: str | None) -> InputProblem | None:
    """Return why a message cannot be read, or None when it can.

    Args:
        text: The message as received (may be None or empty).

    Returns:
        The problem found, or None for a readable message.

    """
    if text is None or not text.strip():
        return InputProblem.EMPTY
    sample = text[: MAX_UNDERSTOOD_CHARS * 2]
    control = sum(
        1 for ch in sample if unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn") and ch not in "\t\n\r"
    )
    if control or "\ufffd" in sample:
        return InputProblem.BINARY
    if not _WORD_CHAR.search(sample):
        return InputProblem.NO_WORDS
    words = sample.split()
    if words and all(_LONG_TOKEN.fullmatch(word) for word in words):
        # Base64 blobs, hex dumps and the like: long runs with no spaces or Chinese.
        return InputProblem.BINARY
    return None


def is_button_payload(text: str | None) -> bool:
    """Whether a message is a button's payload ("/ask_service{...}"), which Rasa reads itself."""
    return bool(text) and str(text).startswith("/")


def shorten_for_understanding(text: str) -> str:
    """Return the part of a long message that the NLU model reads.

    A long message keeps its beginning and its end: people often tell their
    story first and ask their question last.
    """
    if len(text) <= MAX_UNDERSTOOD_CHARS:
        return text
    half = MAX_UNDERSTOOD_CHARS // 2
    return f"{text[:half]} {text[-half:]}"
