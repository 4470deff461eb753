"""Numbers as people say them: digits read out one by one, and small numbers (0-99) in words."""

from __future__ import annotations

import re

from bot.validators.text import by_length, clean_phrase, strip_lead_ins

# --------------------------------------------------------------------------- numbers read aloud

#: Chinese characters read as single digits, including the radio readings 洞 幺 拐 勾.
SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "洞": "0",
    "一": "1", "幺": "1",
    "二": "2", "两": "2", "兩": "2",
    "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "拐": "7",
    "八": "8",
    "九": "9", "勾": "9",
}  # fmt: skip

#: Separators people and recognisers put between digit groups; they carry no meaning.
_DIGIT_SEPARATORS = frozenset("-‐‑‒–—―~_.,、。;:/\\()[]{}<>'\"+·•")

_NUMBER_LEAD_INS = by_length(
    [
        # Chinese, combined freely: "我的" + "手机号码" + "是".
        "我的", "我", "本人", "手机号码", "手机号", "手机", "电话号码", "电话", "联系电话", "联系方式",
        "号码", "身份证号码", "身份证号", "身份证", "证件号码", "证件号", "受理号", "受理编号", "申请号",
        "申请编号", "办件号", "编号", "是", "为", "嗯", "呃", "啊", "那个", "就是",
        # English, combined freely: "my" + "mobile number" + "is".
        "my", "mobile number", "mobile", "phone number", "phone", "cell", "telephone", "number",
        "id card number", "id number", "id", "application number", "reference number", "reference",
        "it's", "it is", "its", "is", "um", "uh", "er", "ok", "okay", "yes", "sure", "the",
    ]
)  # fmt: skip


def _spoken_character_as_digit(char: str) -> str | None:
    """Return the digit a character stands for, "" for a separator, or None for anything else."""
    if char in "0123456789":
        return char
    if char in SPOKEN_DIGITS:
        return SPOKEN_DIGITS[char]
    if char in ("x", "叉"):
        return "X"
    if char.isspace() or char in _DIGIT_SEPARATORS:
        return ""
    return None


def normalise_digits(text: str) -> str:
    """Turn a typed or spoken number into plain ASCII digits.

    Full-width digits and Chinese digits read one by one ("幺三八" → "138",
    also 零〇洞 for 0 and 两 for 2) become ASCII digits; spaces, dashes, dots,
    commas and similar separators are dropped; "x", "X" and "叉" become "X",
    which is allowed only as the last character (the check character of a
    resident ID number). Positional numerals (十, 百) are not read here. A short
    list of lead-ins ("我的手机号是", "my number is", "it's"…) is ignored.

    Args:
        text: The answer as typed or recognised.

    Returns:
        The digits, or "" when anything else is left, when there is no digit
        at all, or when an X is not at the end.

    """
    remainder = strip_lead_ins(clean_phrase(text), _NUMBER_LEAD_INS)
    digits = []
    for char in remainder:
        digit = _spoken_character_as_digit(char)
        if digit is None:
            return ""
        digits.append(digit)
    result = "".join(digits)
    if not any(char.isdigit() for char in result) or "X" in result[:-1]:
        return ""
    return result


# --------------------------------------------------------------------------- small numbers

_ZH_DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_TENS = re.compile(r"(?P<tens>[二三四五六七八九]?十|廿|卅)(?P<unit>[一二三四五六七八九]?)")
_ZH_PADDED = re.compile(r"[零〇](?P<unit>[一二三四五六七八九])")
_ZH_TENS_VALUES = {"十": 1, "廿": 2, "卅": 3}

EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


def chinese_number(text: str) -> int | None:
    """Read 0-99 written in ASCII digits or Chinese numerals ("五", "十二", "廿五", "零五").

    Returns:
        The value, or None when the text is not such a number.

    """
    if re.fullmatch(r"\d{1,2}", text):
        return int(text)
    if text in _ZH_DIGIT_VALUES:
        return _ZH_DIGIT_VALUES[text]
    padded = _ZH_PADDED.fullmatch(text)
    if padded:
        return _ZH_DIGIT_VALUES[padded["unit"]]
    match = _ZH_TENS.fullmatch(text)
    if not match:
        return None
    tens = match["tens"]
    tens_value = _ZH_TENS_VALUES[tens] if len(tens) == 1 else _ZH_DIGIT_VALUES[tens[0]]
    return tens_value * 10 + _ZH_DIGIT_VALUES.get(match["unit"], 0)


def english_number(text: str) -> int | None:
    """Read 0-59 written in ASCII digits or English words ("nine", "forty-five").

    Returns:
        The value, or None when the text is not such a number.

    """
    if re.fullmatch(r"\d{1,2}", text):
        return int(text)
    if text in EN_UNITS:
        return EN_UNITS[text]
    if text in _EN_TENS:
        return _EN_TENS[text]
    parts = re.split(r"[\s-]+", text)
    if len(parts) == 2 and parts[0] in _EN_TENS and 1 <= EN_UNITS.get(parts[1], 0) <= 9:
        return _EN_TENS[parts[0]] + EN_UNITS[parts[1]]
    return None
