"""What a reply sounds like: the text the speech engine is given for a written reply.

Written replies are made for reading: they hold application numbers, phone
numbers, ISO dates, times, prices, button markers, links and emoji. Read aloud
by espeak-ng as they are, "13812345678" becomes "thirteen billion..." and
"09:00" becomes "nine zero zero". The functions here rewrite a reply so that
an elderly listener can follow it:

- identifiers (ID numbers, mobile numbers, application numbers, other long
  numbers) are read digit by digit in groups (ID 6-8-4, mobile 3-4-4,
  application number 4-4-4), with a short pause (a comma) between groups;
  Chinese replies spell the digits in Chinese characters (一 as 幺, the way
  phone numbers are read out in China), so the Mandarin voice never reads
  them as one big number;
- dates become "11月24日" / "24 November" (the year only when it is not this
  year), times "下午2点30分" / "2:30 pm", time ranges "9点到11点30分" / "9 am to 11:30 am";
- amounts become "20元" / "20 yuan" (which the voices read naturally), a
  masked number becomes "尾号5678" / "ending in 5678" read digit by digit;
- links, emoji, the "[1]" button markers, "|" and markdown marks are dropped
  (a "|" becomes a pause), and every line ends a sentence.

Everything here is a pure function; the current date is passed in.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

from bot.validators import APPLICATION_NO_GROUPS, ID_NUMBER_GROUPS, PHONE_GROUPS, group_digits

ZH_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
"""How a digit is read out in a Chinese number read digit by digit (1 is 幺)."""

_ZH_YEAR_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

MIN_IDENTIFIER_DIGITS = 7
"""Numbers with at least this many digits are identifiers, read digit by digit."""

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

_URL = re.compile(r"(?:https?://|www\.)[\w\-.~:/?#\[\]@!$&'*+,;=%]*[\w/#=\-]", re.ASCII)
_BUTTON_MARKER = re.compile(r"\[\d{1,2}\]")
_EMOJI = re.compile(
    "["
    "\u2190-\u21ff"  # arrows
    "\u2300-\u23ff"  # technical symbols (⌚ ⏰)
    "\u25a0-\u27bf"  # shapes, miscellaneous symbols, dingbats (● ★ ☎ ✔ ❌)
    "\u2b00-\u2bff"  # more arrows and stars (⭐)
    "\ufe00-\ufe0f\u200d\u20e3"  # variation selectors, joiners, keycaps
    "\U0001f000-\U0001faff"  # emoji, flags, skin tones
    "\U000e0020-\U000e007f"  # tag characters
    "]+"
)
_MARKUP = re.compile(r"[*_`#~•]+")
_ISO_DATE = re.compile(r"(?<![\d.\-/])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.\-/])")
_ZH_YEAR = re.compile(r"(?<!\d)(\d{4})(?=\s*年)")
_TIME = r"(?:[01]?\d|2[0-3]):[0-5]\d"
_TIMES = re.compile(rf"(?<![\d:])({_TIME})(?:\s*[-–—~～至到]\s*({_TIME}))?(?![\d:])")
_MASKED = re.compile(r"(?<![\d*])\d*[*＊]{3,}(\d{2,4}[Xx]?)(?![\d*])")
_CURRENCY_FIRST = r"(?:[¥￥]\s*|(?:RMB|CNY)\s*)(\d+(?:\.\d+)?)"
_AMOUNT_ZH = re.compile(rf"{_CURRENCY_FIRST}|(?<![\d.])(\d+(?:\.\d+)?)\s*(?:元|块钱|块)")
_AMOUNT_EN = re.compile(rf"{_CURRENCY_FIRST}|(?<![\d.])(\d+(?:\.\d+)?)\s*(?:元|yuan\b|RMB\b|CNY\b)")
# Digits in groups (spaces or hyphens between), an ID number's X at the end; not part of a
# decimal number, a word, or an amount ("1000000元" stays a number).
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z_])(?<!\d\.)\d+(?:[ \-]\d+)*[Xx]?(?![0-9A-Za-z_]|\.\d|\s*(?:元|块|yuan\b))")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=[.])(?=\s|$)|\n")
_SPACES = re.compile(r"[ \t\u3000]+")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_BESIDE_CJK = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
_ENDS_SENTENCE = tuple("。！？!?.；;：:，,")


def spell_digits(number: str, language: str) -> str:
    """Read a number digit by digit: "138" → "幺三八" / "1 3 8".

    Args:
        number: Digits (an ID number's check character X too).
        language: ``zh`` or ``en``.

    Returns:
        The spoken digits; other characters are left out.

    """
    if language == "zh":
        return "".join(ZH_DIGITS.get(char, "叉" if char in "Xx" else "") for char in number)
    return " ".join(char.upper() for char in number if char.isdigit() or char in "Xx")


def identifier_groups(digits: str) -> tuple[int, ...]:
    """Group sizes for reading a number without separators back.

    Args:
        digits: The number (digits, and X for an ID number's check character).

    Returns:
        6-8-4 for an 18-character ID number, 3-4-4 for an 11-digit mobile
        number, 4-4-4 for a 12-digit application number, otherwise groups of 4.

    """
    if len(digits) == 18:
        return ID_NUMBER_GROUPS
    if len(digits) == 11 and digits.startswith("1"):
        return PHONE_GROUPS
    if len(digits) == 12:
        return APPLICATION_NO_GROUPS
    return (4,) * (len(digits) // 4)


def read_identifier(number: str, language: str) -> str:
    """Read an identifier digit by digit in groups, with a pause between groups.

    A number written with spaces or hyphens keeps its groups; one without is
    grouped by :func:`identifier_groups`.

    Args:
        number: E.g. "13812345678", "138 1234 5678" or "0571-8765 4321".
        language: ``zh`` or ``en``.

    Returns:
        E.g. "幺三八，幺二三四，五六七八" / "1 3 8, 1 2 3 4, 5 6 7 8".

    """
    groups = re.split(r"[ \-]+", number.strip(" -"))
    if len(groups) == 1:
        groups = group_digits(groups[0], identifier_groups(groups[0])).split(" ")
    separator = "，" if language == "zh" else ", "
    return separator.join(spell_digits(group, language) for group in groups if group)


def _is_identifier(number: str) -> bool:
    return sum(char.isdigit() or char in "Xx" for char in number) >= MIN_IDENTIFIER_DIGITS


def _speak_date(year: int, month: int, day: int, language: str, today: date) -> str:
    if language == "zh":
        spoken = f"{month}月{day}日"
        if year != today.year:
            spoken = "".join(_ZH_YEAR_DIGITS[char] for char in str(year)) + "年" + spoken
        return spoken
    spoken = f"{day} {_EN_MONTHS[month - 1]}"
    return spoken if year == today.year else f"{spoken} {year}"


def _replace_dates(text: str, language: str, today: date) -> str:
    def replace(match: re.Match[str]) -> str:
        year, month, day = int(match[1]), int(match[3]), int(match[4])
        try:
            date(year, month, day)
        except ValueError:
            return match[0]
        return _speak_date(year, month, day, language, today)

    text = _ISO_DATE.sub(replace, text)
    if language == "zh":
        # "2026年" is read as a year, digit by digit: 二零二六年.
        text = _ZH_YEAR.sub(lambda match: "".join(_ZH_YEAR_DIGITS[char] for char in match[1]), text)
    return text


def speak_time(clock: str, language: str) -> str:
    """Read a 24-hour clock time the way people say it.

    Args:
        clock: "H:MM" or "HH:MM".
        language: ``zh`` or ``en``.

    Returns:
        E.g. "9点", "下午2点30分", "中午12点" / "9 am", "2:30 pm", "9 oh 5 am".

    """
    hour_text, minute_text = clock.split(":")
    hour, minute = int(hour_text), int(minute_text)
    if language == "zh":
        if hour < 12:
            spoken = f"{hour}点"
        elif hour == 12:
            spoken = "中午12点"
        else:
            spoken = f"{'下午' if hour < 18 else '晚上'}{hour - 12}点"
        if minute:
            spoken += f"{'零' if minute < 10 else ''}{minute}分"
        return spoken
    # "am"/"pm" without dots: espeak-ng spells them out, and no dot ends a sentence.
    suffix = "am" if hour < 12 else "pm"
    twelve = hour % 12 or 12
    if minute == 0:
        return f"{twelve} {suffix}"
    if minute < 10:
        return f"{twelve} oh {minute} {suffix}"
    return f"{twelve}:{minute:02d} {suffix}"


def _replace_times(text: str, language: str) -> str:
    """Replace clock times and time ranges ("09:00-11:30") with their spoken form."""

    def replace(match: re.Match[str]) -> str:
        spoken = speak_time(match[1], language)
        if match[2]:
            spoken += ("到" if language == "zh" else " to ") + speak_time(match[2], language)
        return spoken

    return _TIMES.sub(replace, text)


def _amount(value: str, language: str) -> str:
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    if language == "zh":
        return "两元" if value == "2" else f"{value}元"
    return f"{value} yuan"


def _replace_amounts(text: str, language: str) -> str:
    pattern = _AMOUNT_ZH if language == "zh" else _AMOUNT_EN
    return pattern.sub(lambda match: _amount(match[1] or match[2], language), text)


def _replace_masked(text: str, language: str) -> str:
    def replace(match: re.Match[str]) -> str:
        tail = spell_digits(match[1], language)
        return f"尾号{tail}" if language == "zh" else f"ending in {tail}"

    return _MASKED.sub(replace, text)


def _replace_identifiers(text: str, language: str) -> str:
    def replace(match: re.Match[str]) -> str:
        number = match[0]
        if not _is_identifier(number):
            return number
        spoken = read_identifier(number, language)
        return f" {spoken} " if language == "en" else spoken

    return _NUMBER.sub(replace, text)


def _end_lines(text: str, language: str) -> str:
    """Make every non-empty line end like a sentence, so that the voice pauses there."""
    lines = []
    for line in text.splitlines():
        line = line.strip(" ,，、")
        if not line:
            continue
        if not line.endswith(_ENDS_SENTENCE):
            line += "。" if language == "zh" else "."
        lines.append(line)
    return "\n".join(lines)


def speakable(text: str, language: str, today: Optional[date] = None) -> str:
    """Rewrite a written reply into the text the speech engine should read.

    Args:
        text: The reply as it is shown in writing.
        language: ``zh`` or ``en`` (the reply's language).
        today: The current date (dates in this year are read without the year).

    Returns:
        The text to speak; lines are kept (each ends a sentence).

    """
    today = today or date.today()
    text = text.translate(_FULL_WIDTH) if language == "en" else _ascii_digits(text)
    text = _URL.sub(" ", text)
    text = _BUTTON_MARKER.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _replace_masked(text, language)
    text = _MARKUP.sub(" ", text)
    text = text.replace("|", "，" if language == "zh" else ", ")
    text = _replace_dates(text, language, today)
    text = _replace_times(text, language)
    text = _replace_amounts(text, language)
    text = _replace_identifiers(text, language)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    if language == "zh":
        text = _SPACE_BESIDE_CJK.sub("", text)
    else:
        text = re.sub(r" (?=[,.;:!?])", "", text)
    return _end_lines(text, language)


def _ascii_digits(text: str) -> str:
    """Turn full-width digits and Latin letters into ASCII, leaving Chinese punctuation alone."""
    return re.sub(r"[０-９Ａ-Ｚａ-ｚ]", lambda match: chr(ord(match[0]) - 0xFEE0), text)


def split_sentences(text: str) -> list[str]:
    """Split a text into sentences (after 。！？!? and ". ", and at line ends).

    Args:
        text: Usually the output of :func:`speakable`.

    Returns:
        The sentences in order, stripped; pieces with nothing to say are dropped.

    """
    pieces = (piece.strip() for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if any(char.isalnum() for char in piece)]


def speech_for(text: str, language: str, today: Optional[date] = None) -> list[str]:
    """The sentences to speak for a written reply: :func:`speakable`, then :func:`split_sentences`."""
    return split_sentences(speakable(text, language, today))

