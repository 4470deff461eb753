"""Language detection and choice for the bilingual assistant.

The assistant speaks simplified Chinese (``zh``) and English (``en``). The reply
language follows the user: each message that is clearly written in one of the
two languages sets it; short or language-neutral messages (``ok``, digits,
emoji) keep the current one.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

Language = Literal["zh", "en"]

SUPPORTED_LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

# Words that name a target language in a "switch language" request.
_TARGET_WORDS: dict[Language, tuple[str, ...]] = {
    "en": ("英文", "英语", "english", "eng", "英語", "洋文"),
    "zh": ("中文", "汉语", "普通话", "国语", "华语", "chinese", "mandarin", "zhongwen", "putonghua"),
}


def detect_language(text: str) -> Optional[Language]:
    """Return the language a message is written in, or None when it is unclear.

    Chinese characters weigh more than Latin letters because one character
    carries about as much as a short word: "我的ID card丢了" is Chinese,
    "how do I get a 社保卡" is English.

    Args:
        text: The user's message.

    Returns:
        ``"zh"``, ``"en"``, or None for messages too short or neutral to tell
        (``"ok"``, ``"123"``, emoji).

    """
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(text)
    latin = sum(len(word) for word in words)
    if cjk and cjk * 3 >= latin:
        return "zh"
    if latin >= 4 and (len(words) >= 2 or latin >= 5):
        return "en"
    if cjk:
        return "zh"
    return None


def requested_language(text: str) -> Optional[Language]:
    """Return the language a "switch language" request asks for, if it names one.

    Args:
        text: A message such as "说英语" or "switch to Chinese please".

    Returns:
        The named target language, or None when the message names none (or
        names both, as in "english or chinese?").

    """
    lowered = text.lower()
    named = [lang for lang, words in _TARGET_WORDS.items() if any(w in lowered for w in words)]
    return named[0] if len(named) == 1 else None


def other_language(language: Optional[str]) -> Language:
    """Return the other supported language (the default's other when unknown)."""
    return "en" if language != "en" else "zh"


def normalise_language(language: Optional[str]) -> Language:
    """Return a supported language code, falling back to the default."""
    return "en" if language == "en" else DEFAULT_LANGUAGE
