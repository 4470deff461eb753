"""Per-question grammars: what the recogniser may hear for the question just asked.

When the assistant asks for digits (an ID or phone number), a yes or no, or
one of a few choices, recognition restricted to the words that fit is far more
accurate than free speech, above all for older voices and in noisy halls.
Vosk takes a grammar as a list of phrases; ``[unk]`` is added by the
recogniser for anything else. The control words ("repeat", "slower", "a
person", "cancel") are always allowed, so they work at every question.

Chinese phrases are given character by character (``"到 期"``): the small
Chinese models know single characters as words, while a multi-character
button title is often not one word of their vocabulary and would be dropped.
"""

from __future__ import annotations

from typing import Optional, Sequence

#: What a question can say it expects (the ``expects`` of the assistant's custom message).
DIGITS = "digits"
YES_NO = "yes_no"

_DIGIT_WORDS = {
    "zh": ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "幺", "两", "叉", "杠"],
    "en": ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
           "double", "triple", "x", "plus"],
}
_YES_NO_WORDS = {
    "zh": ["是", "是的", "对", "对的", "好", "好的", "可以", "确认", "不是", "不对", "不", "不要", "不用"],
    "en": ["yes", "yeah", "yes please", "correct", "right", "okay", "no", "no thanks", "not", "wrong"],
}
_ORDINAL_WORDS = {
    "zh": ["第一个", "第二个", "第三个", "第四个", "第五个", "第六个"],
    "en": ["the first", "the second", "the third", "the fourth", "the fifth", "the sixth",
           "number one", "number two", "number three", "number four"],
}
_CONTROL_WORDS = {
    "zh": ["再说一遍", "重复", "说慢点", "慢一点", "转人工", "找人工", "人工", "取消", "帮助", "英文"],
    "en": ["repeat", "say that again", "slower", "slow down", "a person", "human", "cancel", "help",
           "chinese"],
}


def _is_cjk(character: str) -> bool:
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff"


def phrase_words(phrase: str, language: str) -> str:
    """Write a phrase as the recogniser's words: Chinese characters one by one, other words as they are.

    >>> phrase_words("到期换领 ID", "zh")
    '到 期 换 领 id'
    """
    words: list[str] = []
    current = ""
    for character in phrase.strip().lower():
        if _is_cjk(character):
            if current:
                words.append(current)
                current = ""
            words.append(character)
        elif character.isalnum() or character == "'":
            current += character
        else:
            if current:
                words.append(current)
            current = ""
    if current:
        words.append(current)
    return " ".join(words)


def grammar_for(expects: Optional[str], choices: Sequence[str], language: str) -> Optional[list[str]]:
    """Return the phrases allowed for the question just asked, or None for free speech.

    Args:
        expects: ``digits`` or ``yes_no`` when the question said so, else None.
        choices: The titles of the buttons offered with the question.
        language: ``zh`` or ``en``.

    Returns:
        The grammar's phrases (control words included), or None when the
        question is open (names, addresses, service questions).

    """
    language = language if language in _CONTROL_WORDS else "zh"
    phrases: list[str] = []
    if expects == DIGITS:
        phrases += _DIGIT_WORDS[language]
    elif expects == YES_NO:
        phrases += _YES_NO_WORDS[language]
    elif choices:
        phrases += [phrase_words(choice, language) for choice in choices]
        phrases += _ORDINAL_WORDS[language] + _YES_NO_WORDS[language]
    else:
        return None
    phrases += _CONTROL_WORDS[language]
    return list(dict.fromkeys(phrase_words(p, language) for p in phrases if phrase_words(p, language)))
