"""Text helpers shared by the validators: tidying answers and stripping lead-ins and tails."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

#: Characters allowed between a lead-in phrase and the answer ("电话：138…").
_LEAD_GAP = " :,、-—=;"

_HAN_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
    (0x30000, 0x3134F),
)


def by_length(phrases: Iterable[str]) -> tuple[str, ...]:
    """Return phrases longest first, so that the longest lead-in wins."""
    return tuple(sorted(set(phrases), key=len, reverse=True))


def is_han(char: str) -> bool:
    """Whether a character is a Chinese (Han) character."""
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN_RANGES)


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_edge_noise(char: str) -> bool:
    """Whether a character may be dropped from either end of an answer (spaces, punctuation)."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def strip_edges(text: str) -> str:
    """Drop spaces and punctuation from both ends of a text."""
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def tidy(text: str) -> str:
    """NFKC-normalise (full-width to ASCII), unify apostrophes, collapse spaces and trim punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return strip_edges(" ".join(text.split()))


def clean_phrase(text: str) -> str:
    """Tidy and lower-case an answer; Chinese answers lose all their spaces."""
    text = tidy(text).lower()
    if any(is_han(char) for char in text):
        text = "".join(text.split())
    return text


def _starts_with_phrase(text: str, phrase: str) -> bool:
    """Whether text begins with phrase (case-insensitive, whole English words only)."""
    if text[: len(phrase)].lower() != phrase:
        return False
    following = text[len(phrase) : len(phrase) + 1]
    return not (_is_ascii_letter(phrase[-1]) and _is_ascii_letter(following))


def _ends_with_phrase(text: str, phrase: str) -> bool:
    """Whether text ends with phrase (case-insensitive, whole English words only)."""
    if len(text) < len(phrase) or text[len(text) - len(phrase) :].lower() != phrase:
        return False
    preceding = text[len(text) - len(phrase) - 1 : len(text) - len(phrase)]
    return not (_is_ascii_letter(phrase[0]) and _is_ascii_letter(preceding))


def strip_lead_ins(text: str, phrases: Sequence[str]) -> str:
    """Repeatedly drop lead-in phrases ("我的", "手机号", "是"…) from the start of an answer."""
    stripped = True
    while stripped:
        stripped = False
        for phrase in phrases:
            if _starts_with_phrase(text, phrase):
                text = text[len(phrase) :].lstrip(_LEAD_GAP)
                stripped = True
                break
    return text


def strip_tails(text: str, phrases: Sequence[str]) -> str:
    """Repeatedly drop trailing particles ("吧", "左右", "please"…) from the end of an answer."""
    stripped = True
    while stripped:
        stripped = False
        for phrase in phrases:
            if len(text) > len(phrase) and _ends_with_phrase(text, phrase):
                text = text[: len(text) - len(phrase)].rstrip(_LEAD_GAP)
                stripped = True
                break
    return text
