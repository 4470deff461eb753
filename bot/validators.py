"""Check and tidy what citizens type or say while filling in an application form.

Speech recognisers write numbers as digits, as Chinese numerals ("幺三八") or
as words, and people add lead-ins ("我的手机号是…", "my name is…"). The
functions here turn such answers into clean values, or return None (or a
reason code) so the assistant can ask again kindly. They are pure: no I/O,
and the current date is passed in wherever an answer depends on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# --------------------------------------------------------------------------- shared text helpers

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


def _by_length(phrases: Iterable[str]) -> tuple[str, ...]:
    """Return phrases longest first, so that the longest lead-in wins."""
    return tuple(sorted(set(phrases), key=len, reverse=True))


def _is_han(char: str) -> bool:
    """Whether a character is a Chinese (Han) character."""
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN_RANGES)


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_edge_noise(char: str) -> bool:
    """Whether a character may be dropped from either end of an answer (spaces, punctuation)."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def _strip_edges(text: str) -> str:
    """Drop spaces and punctuation from both ends of a text."""
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def _tidy(text: str) -> str:
    """NFKC-normalise (full-width to ASCII), unify apostrophes, collapse spaces and trim punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return _strip_edges(" ".join(text.split()))


def _clean_phrase(text: str) -> str:
    """Tidy and lower-case an answer; Chinese answers lose all their spaces."""
    text = _tidy(text).lower()
    if any(_is_han(char) for char in text):
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


def _strip_lead_ins(text: str, phrases: Sequence[str]) -> str:
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


def _strip_tails(text: str, phrases: Sequence[str]) -> str:
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


# --------------------------------------------------------------------------- numbers read aloud

#: Chinese characters read as single digits, including the radio readings 洞 幺 拐 勾.
_SPOKEN_DIGITS = {
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

_NUMBER_LEAD_INS = _by_length(
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
    if char in _SPOKEN_DIGITS:
        return _SPOKEN_DIGITS[char]
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
    remainder = _strip_lead_ins(_clean_phrase(text), _NUMBER_LEAD_INS)
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


# --------------------------------------------------------------------------- mobile numbers

_MOBILE = re.compile(r"1[3-9]\d{9}")


def parse_mobile(text: str) -> str | None:
    """Read a mainland China mobile number.

    Args:
        text: The answer, e.g. "+86 138-1234-5678" or "幺三八 幺二三四 五六七八".

    Returns:
        The 11 digits ("13812345678") without country code, or None when the
        answer is not 11 digits starting 13-19 (after an optional +86, 0086
        or 86).

    """
    digits = normalise_digits(text)
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


# --------------------------------------------------------------------------- resident ID numbers

FEMALE = "female"
MALE = "male"

#: Reason codes of :func:`id_number_problem`, in the order they are checked.
ID_PROBLEM_CHARACTERS = "characters"
ID_PROBLEM_LENGTH = "length"
ID_PROBLEM_BIRTH_DATE = "birth_date"
ID_PROBLEM_CHECK_DIGIT = "check_digit"
ID_NUMBER_PROBLEMS = (
    ID_PROBLEM_CHARACTERS,
    ID_PROBLEM_LENGTH,
    ID_PROBLEM_BIRTH_DATE,
    ID_PROBLEM_CHECK_DIGIT,
)

_ID_LENGTH = 18
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"
_ID_EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character resident identity card number and what it tells."""

    number: str
    birth_date: date
    sex: str  # FEMALE or MALE

    def age_on(self, day: date) -> int:
        """Return the age in completed years on a given day.

        Someone born on 29 February becomes a year older on 1 March in common
        years.

        Args:
            day: The day to compute the age for.

        Returns:
            The age in whole years.

        Raises:
            ValueError: When day is before the birth date.

        """
        if day < self.birth_date:
            raise ValueError("the day is before the birth date")
        birthday_to_come = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(birthday_to_come)


def id_check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARACTERS[total % 11]


def _safe_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when it is not a calendar date."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def id_birth_date(number: str, today: date) -> date | None:
    """Return the birth date in an ID number, or None when it is impossible (before 1900 or after today)."""
    born = _safe_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if born is None or born.year < _ID_EARLIEST_BIRTH_YEAR or born > today:
        return None
    return born


def _read_id_number(text: str, today: date) -> tuple[str, date] | str:
    """Return the number and birth date of a valid ID number, or the reason code of its problem."""
    if not text.strip():
        return ID_PROBLEM_LENGTH
    number = normalise_digits(text)
    if not number:
        return ID_PROBLEM_CHARACTERS
    if len(number) != _ID_LENGTH:
        return ID_PROBLEM_LENGTH
    born = id_birth_date(number, today)
    if born is None:
        return ID_PROBLEM_BIRTH_DATE
    if number[0] == "0" or id_check_character(number[:17]) != number[17]:
        # No region code starts with 0: like a wrong check character, one digit was misheard.
        return ID_PROBLEM_CHECK_DIGIT
    return number, born


def id_number_problem(text: str, today: date | None = None) -> str | None:
    """Explain what is wrong with a resident ID number (GB 11643-1999).

    Args:
        text: The answer as typed or spoken; see :func:`normalise_digits`.
        today: The current date (defaults to the system date); birth dates
            after it are impossible.

    Returns:
        None for a valid number, else a stable reason code, checked in this
        order: "characters" (something other than digits and a final X),
        "length" (not 18 characters), "birth_date" (not a calendar date,
        before 1900 or in the future), "check_digit" (the last character
        does not match, or the region code starts with 0, so a digit is
        wrong somewhere).

    """
    result = _read_id_number(text, today or date.today())
    return result if isinstance(result, str) else None


def parse_id_number(text: str, today: date | None = None) -> ResidentId | None:
    """Read an 18-character resident identity card number.

    Args:
        text: The answer as typed or spoken, e.g. "11010519491231002x".
        today: The current date (defaults to the system date).

    Returns:
        The number (with an upper-case X), birth date and sex, or None when
        :func:`id_number_problem` finds a problem.

    """
    result = _read_id_number(text, today or date.today())
    if isinstance(result, str):
        return None
    number, born = result
    return ResidentId(number=number, birth_date=born, sex=MALE if int(number[16]) % 2 else FEMALE)


# --------------------------------------------------------------------------- names

MAX_HAN_NAME_CHARS = 6
#: Transliterated names (买买提·艾力, 迪丽热巴·迪力木拉提) are often longer than six characters.
MAX_DOTTED_NAME_CHARS = 15
MAX_LATIN_NAME_CHARS = 60

_NAME_LEAD_INS = _by_length(
    [
        "我的名字叫", "我的名字是", "我的姓名是", "我的名字", "我的姓名", "我名字叫", "我名字是", "名字叫",
        "名字是", "姓名是", "姓名", "名字", "我叫", "我是", "本人是", "本人",
        "my name is", "my name's", "my full name is", "my full name's", "the name is", "name is",
        "name:", "i'm", "i am", "this is", "call me",
    ]
)  # fmt: skip

_NOT_NAMES = frozenset(
    [
        "不知道", "不告诉你", "不告诉", "不想说", "不说", "没有", "没", "无", "取消", "算了", "不用了",
        "不用", "不要", "不是", "不对", "好的", "是的", "对的", "没错", "你好", "您好", "谢谢", "不记得",
        "忘了", "不清楚", "随便", "退出", "返回", "帮助", "匿名", "保密", "不方便", "测试", "转人工", "人工",
        "no", "none", "nope", "cancel", "stop", "skip", "quit", "exit", "help", "unknown", "nothing",
        "nobody", "anonymous", "test", "yes", "ok", "okay", "hello", "hi", "thanks", "thank you",
        "not sure", "don't know", "i don't know", "dont know", "no idea", "not telling",
        "i'd rather not say", "rather not say",
    ]
)  # fmt: skip

#: Middle dots people type between the parts of a transliterated name; all become "·".
_NAME_DOTS = str.maketrans(dict.fromkeys("·•・‧∙⋅.", "·"))

_LATIN_NAME_SHAPE = re.compile(r"a+(?:(?:[-' ]|\. ?)a+)*")


def _is_latin_letter(char: str) -> bool:
    return char.isalpha() and "LATIN" in unicodedata.name(char, "")


def _han_name(text: str) -> str | None:
    """Return a Chinese name without spaces and with "·" dots, or None."""
    compact = "".join(text.split()).translate(_NAME_DOTS)
    parts = compact.split("·")
    if not all(part and all(_is_han(char) for char in part) for part in parts):
        return None
    limit = MAX_HAN_NAME_CHARS if len(parts) == 1 else MAX_DOTTED_NAME_CHARS
    return compact if 2 <= len(compact) - len(parts) + 1 <= limit else None


def _title_word(word: str) -> str:
    """Title-case a word typed all in lower or upper case; keep "McDonald" as it is."""
    return word.title() if word.islower() or word.isupper() else word


def _latin_name(text: str) -> str | None:
    """Return a Latin-script name, title-cased, or None."""
    if not 2 <= len(text) <= MAX_LATIN_NAME_CHARS:
        return None
    shape = "".join("a" if _is_latin_letter(char) else char for char in text)
    if not _LATIN_NAME_SHAPE.fullmatch(shape) or shape.count("a") < 2:
        return None
    return " ".join(_title_word(word) for word in text.split(" "))


def parse_name(text: str) -> str | None:
    """Read a person's name.

    Lead-ins ("我叫", "姓名", "my name is", "I'm"…), surrounding punctuation
    and spaces are dropped. A Chinese name has 2-6 Han characters; a name
    whose parts are joined by a middle dot (买买提·艾力) may have up to 15,
    and any dot variant (·, •, ・, .) is returned as "·". A Latin name has 2-60
    characters (letters including accented ones, spaces, hyphens,
    apostrophes and periods) with at least two letters; words typed all in
    lower or upper case are title-cased.

    Args:
        text: The answer as typed or recognised.

    Returns:
        The name, or None for digits, emoji, mixed Chinese and Latin
        letters, single characters, over-long answers and refusals such as
        "不知道" or "cancel".

    """
    cleaned = _strip_edges(_strip_lead_ins(_tidy(text), _NAME_LEAD_INS))
    if " ".join(cleaned.lower().split()) in _NOT_NAMES or "".join(cleaned.split()) in _NOT_NAMES:
        return None
    if any(_is_han(char) for char in cleaned):
        return _han_name(cleaned)
    return _latin_name(cleaned)


# --------------------------------------------------------------------------- small numbers

_ZH_DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_TENS = re.compile(r"(?P<tens>[二三四五六七八九]?十|廿|卅)(?P<unit>[一二三四五六七八九]?)")
_ZH_PADDED = re.compile(r"[零〇](?P<unit>[一二三四五六七八九])")
_ZH_TENS_VALUES = {"十": 1, "廿": 2, "卅": 3}

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


def _chinese_number(text: str) -> int | None:
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


def _english_number(text: str) -> int | None:
    """Read 0-59 written in ASCII digits or English words ("nine", "forty-five").

    Returns:
        The value, or None when the text is not such a number.

    """
    if re.fullmatch(r"\d{1,2}", text):
        return int(text)
    if text in _EN_UNITS:
        return _EN_UNITS[text]
    if text in _EN_TENS:
        return _EN_TENS[text]
    parts = re.split(r"[\s-]+", text)
    if len(parts) == 2 and parts[0] in _EN_TENS and 1 <= _EN_UNITS.get(parts[1], 0) <= 9:
        return _EN_TENS[parts[0]] + _EN_UNITS[parts[1]]
    return None


# --------------------------------------------------------------------------- dates

MORNING = "morning"
AFTERNOON = "afternoon"


@dataclass(frozen=True)
class SpokenDate:
    """A day named by a citizen, with the half of the day they prefer if they said one."""

    day: date
    part_of_day: str | None  # MORNING, AFTERNOON or None


_DATE_LEAD_INS = _by_length(
    [
        "那就", "就", "我想", "我要", "想", "要", "预约", "约在", "约", "定在", "改到", "改在",
        "安排在", "在",
        "how about", "what about", "let's say", "let's do", "make it", "maybe", "on", "for", "um", "uh",
    ]
)  # fmt: skip
_DATE_TAILS = _by_length(
    ["吧", "可以吗", "可以", "行吗", "行", "好吗", "好了", "去", "来", "过来",
     "please", "then", "is fine", "works"]
)  # fmt: skip

#: Whole answers that name both a day and a part of it: (days from today, part of day).
_DAY_PHRASES: dict[str, tuple[int, str | None]] = {
    "今早": (0, MORNING), "今晚": (0, None), "明早": (1, MORNING), "明晚": (1, None),
    "this morning": (0, MORNING), "this afternoon": (0, AFTERNOON), "this evening": (0, None),
    "tonight": (0, None), "tomorrow night": (1, None),
}  # fmt: skip

#: Noon counts as afternoon; evenings and nights carry no preference (offices are closed then).
_ZH_PARTS_OF_DAY = {
    "上午": MORNING, "早上": MORNING, "早晨": MORNING, "清早": MORNING, "一早": MORNING,
    "中午": AFTERNOON, "下午": AFTERNOON, "午后": AFTERNOON,
    "晚上": None, "傍晚": None, "夜里": None, "凌晨": None,
}  # fmt: skip
_ZH_PART_WORDS = _by_length(_ZH_PARTS_OF_DAY)
_EN_PARTS_OF_DAY = {"morning": MORNING, "afternoon": AFTERNOON, "noon": AFTERNOON, "midday": AFTERNOON,
                    "evening": None, "night": None}  # fmt: skip
_EN_PART_OF_DAY = re.compile(
    r"(?P<body>.+?),?\s+(?:in the |at |during the )?(?P<part>morning|afternoon|noon|midday|evening|night)"
)

_RELATIVE_DAYS = {
    "今天": 0, "今日": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2, "后日": 2, "大后天": 3,
    "today": 0, "tomorrow": 1, "the day after tomorrow": 2, "day after tomorrow": 2,
}  # fmt: skip

#: Weeks ahead for a week modifier; None means "the next such day from tomorrow on".
_WEEK_MODIFIERS: dict[str, int | None] = {
    "": None, "coming": None, "this coming": None,
    "这": 0, "这个": 0, "本": 0, "this": 0,
    "下": 1, "下个": 1, "next": 1,
    "下下": 2, "下下个": 2,
}  # fmt: skip
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_ZH_WEEKDAY = re.compile(r"(?P<week>下下个?|下个?|这个?|本)?(?:周|星期|礼拜)(?P<day>[一二三四五六日天1-7])")
_EN_WEEKDAY = re.compile(r"(?:(?P<week>this coming|coming|this|next)\s+)?(?P<day>[a-z]+)")

_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR_TAIL = r"(?:,?\s+(?P<year>\d{4}))?"
_EN_MONTH_FIRST = re.compile(rf"(?P<month>[a-z]+)\.?\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}{_YEAR_TAIL}")
_EN_DAY_FIRST = re.compile(
    rf"(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+(?P<month>[a-z]+)\.?{_YEAR_TAIL}"
)
_EN_DAY_ONLY = re.compile(r"(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)")
_ISO_DATE = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})")
_ZH_FULL_DATE = re.compile(
    r"(?P<year>[0-9零〇一二三四五六七八九]{4})年(?P<month>[^年月]+)月(?P<day>[^月日号]+)[日号]?"
)
_ZH_MONTH_DAY = re.compile(r"(?P<month>[^年月]+)月(?P<day>[^月日号]+)[日号]?")
_ZH_DAY_ONLY = re.compile(r"(?P<day>[0-9零〇一二三四五六七八九十廿卅]{1,3})[日号]")


def _split_part_of_day(text: str) -> tuple[str, str | None]:
    """Split "明天上午" / "tuesday afternoon" into the day and the part of day."""
    for word in _ZH_PART_WORDS:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)].removesuffix("的"), _ZH_PARTS_OF_DAY[word]
    match = _EN_PART_OF_DAY.fullmatch(text)
    if match:
        return match["body"], _EN_PARTS_OF_DAY[match["part"]]
    return text, None


def _weekday_date(weekday: int, weeks_ahead: int | None, today: date) -> date:
    """Return the weekday (0 = Monday) in the ISO week weeks_ahead from today's, or the next one."""
    if weeks_ahead is None:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def _month_day_date(month: int | None, day: int | None, today: date) -> date | None:
    """Return month/day in this year, or next year when already past; None if it does not exist."""
    if month is None or day is None:
        return None
    this_year = _safe_date(today.year, month, day)
    if this_year is None or this_year >= today:
        return this_year
    return _safe_date(today.year + 1, month, day)


def _day_of_month_date(day: int | None, today: date) -> date | None:
    """Return the day in this month, or next month when already past; None if it does not exist."""
    if day is None:
        return None
    this_month = _safe_date(today.year, today.month, day)
    if this_month is None or this_month >= today:
        return this_month
    next_month_year, next_month = divmod(today.year * 12 + today.month, 12)
    return _safe_date(next_month_year, next_month + 1, day)


def _relative_day(text: str, today: date) -> date | None:
    offset = _RELATIVE_DAYS.get(text)
    return None if offset is None else today + timedelta(days=offset)


def _weekday(text: str, today: date) -> date | None:
    zh = _ZH_WEEKDAY.fullmatch(text)
    if zh:
        return _weekday_date(_ZH_WEEKDAYS[zh["day"]], _WEEK_MODIFIERS[zh["week"] or ""], today)
    en = _EN_WEEKDAY.fullmatch(text)
    if en and en["day"] in _EN_WEEKDAYS:
        return _weekday_date(_EN_WEEKDAYS[en["day"]], _WEEK_MODIFIERS[en["week"] or ""], today)
    return None


def _zh_year(text: str) -> int:
    """Read a year written with four digits or four Chinese digits ("二〇二六")."""
    return int("".join(_SPOKEN_DIGITS.get(char, char) for char in text))


def _full_date(text: str, today: date) -> date | None:
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        return _safe_date(int(iso["year"]), int(iso["month"]), int(iso["day"]))
    zh = _ZH_FULL_DATE.fullmatch(text)
    if zh:
        month, day = _chinese_number(zh["month"]), _chinese_number(zh["day"])
        return None if month is None or day is None else _safe_date(_zh_year(zh["year"]), month, day)
    return None


def _month_and_day(text: str, today: date) -> date | None:
    zh = _ZH_MONTH_DAY.fullmatch(text)
    if zh:
        return _month_day_date(_chinese_number(zh["month"]), _chinese_number(zh["day"]), today)
    for pattern in (_EN_MONTH_FIRST, _EN_DAY_FIRST):
        en = pattern.fullmatch(text)
        if en and en["month"] in _EN_MONTHS:
            month, day = _EN_MONTHS[en["month"]], int(en["day"])
            if en["year"]:
                return _safe_date(int(en["year"]), month, day)
            return _month_day_date(month, day, today)
    return None


def _day_only(text: str, today: date) -> date | None:
    zh = _ZH_DAY_ONLY.fullmatch(text)
    if zh:
        return _day_of_month_date(_chinese_number(zh["day"]), today)
    en = _EN_DAY_ONLY.fullmatch(text)
    return _day_of_month_date(int(en["day"]), today) if en else None


_DAY_READERS = (_relative_day, _weekday, _full_date, _month_and_day, _day_only)


def parse_date(text: str, today: date) -> SpokenDate | None:
    """Read a day as people say it, in Chinese or English.

    Understood, relative to ``today``:

    * 今天 明天 后天 大后天, today, tomorrow, (the) day after tomorrow.
    * A bare weekday (周二, 星期二, 礼拜天, Tuesday, Tue, coming Tuesday) is its
      next occurrence from tomorrow on: said on a Tuesday, "周二" is in a
      week.
    * 这周二 / 本周二 / this Tuesday: that day of the current ISO week (Monday
      to Sunday); it may be today, and a day already past gives None.
      下周二 / 下个星期二 / next Tuesday: that day of the next ISO week;
      下下周二: of the week after.
    * 12月5日, 十二月五号, December 5, Dec 5th, 5th of December: this year,
      or next year when the day is already past.
    * 5号, 三十一号, the 5th: this month, or next month when already past;
      None when that month has no such day.
    * 2026-12-05, 2026/12/05, 2026年12月5日, 二〇二六年十二月五日,
      December 5, 2026: that exact day. "12/05" is ambiguous and refused.
    * A part of day after the day: 上午 早上 早晨 → "morning"; 中午 下午 →
      "afternoon"; 晚上 傍晚 夜里 凌晨 → None, since offices are closed then.
      Likewise "tomorrow morning", "Tuesday in the afternoon", "this
      afternoon", and 明早 / 今晚.

    Args:
        text: The answer as typed or recognised.
        today: The current date.

    Returns:
        The day and part of day, or None when the answer is not understood,
        is not a calendar date, or lies in the past.

    """
    cleaned = _strip_tails(_strip_lead_ins(_clean_phrase(text), _DATE_LEAD_INS), _DATE_TAILS)
    if cleaned in _DAY_PHRASES:
        offset, part = _DAY_PHRASES[cleaned]
        return SpokenDate(today + timedelta(days=offset), part)
    body, part = _split_part_of_day(cleaned)
    for reader in _DAY_READERS:
        day = reader(body, today)
        if day is not None:
            return SpokenDate(day, part) if day >= today else None
    return None


# --------------------------------------------------------------------------- times of day

_EARLY, _AM, _MORNING, _NOON, _AFTERNOON, _PM, _EVENING = (
    "early", "am", "morning", "noon", "afternoon", "pm", "evening"
)  # fmt: skip

#: How an hour said with a period word becomes a 24-hour hour: (lowest, highest, hours to add).
#: "am"/"pm" follow the 12-hour clock strictly; Chinese period words also accept 24-hour hours
#: ("下午14点"), and at night 12 is midnight while 1-4 are the small hours.
_PERIOD_RULES: dict[str | None, tuple[tuple[int, int, int], ...]] = {
    None: ((0, 23, 0),),
    _EARLY: ((0, 6, 0), (12, 12, -12)),
    _AM: ((1, 11, 0), (12, 12, -12)),
    _MORNING: ((0, 12, 0),),
    _NOON: ((1, 2, 12), (11, 14, 0)),
    _AFTERNOON: ((1, 11, 12), (12, 23, 0)),
    _PM: ((1, 11, 12), (12, 12, 0)),
    _EVENING: ((0, 4, 0), (5, 11, 12), (12, 12, -12), (13, 23, 0)),
}
_ZH_PERIODS = {
    "凌晨": _EARLY, "半夜": _EARLY, "早上": _MORNING, "早晨": _MORNING, "清早": _MORNING, "上午": _MORNING,
    "中午": _NOON, "下午": _AFTERNOON, "午后": _AFTERNOON,
    "傍晚": _EVENING, "晚上": _EVENING, "夜里": _EVENING, "夜间": _EVENING,
}  # fmt: skip
_ZH_PERIOD_WORDS = _by_length(_ZH_PERIODS)
_EN_PERIODS = {
    "am": _AM, "a.m": _AM, "in the morning": _MORNING, "this morning": _MORNING,
    "pm": _PM, "p.m": _PM, "in the afternoon": _AFTERNOON, "this afternoon": _AFTERNOON,
    "in the evening": _EVENING, "this evening": _EVENING, "at night": _EVENING, "tonight": _EVENING,
}  # fmt: skip
_EN_PERIOD = re.compile(
    r"(?P<core>.+?)\s*(?P<period>a\.?m|p\.?m|in the morning|this morning|in the afternoon|this afternoon"
    r"|in the evening|this evening|at night|tonight)\.?"
)
_NAMED_TIMES = {"noon": (12, 0), "midday": (12, 0), "12 noon": (12, 0), "midnight": (0, 0),
                "正午": (12, 0), "午夜": (0, 0)}  # fmt: skip

_TIME_LEAD_INS = _by_length(
    ["大概", "大约", "差不多", "约", "就", "在", "定在", "约在",
     "at", "around", "about", "say", "maybe", "by", "um", "uh", "how about", "let's say"]
)  # fmt: skip
_TIME_TAILS = _by_length(["左右", "前后", "吧", "or so", "please"])

_ZH_CLOCK = re.compile(r"(?P<hour>[^点时]{1,3})(?:点钟?|时)(?P<rest>.*)")
_DIGITAL_CLOCK = re.compile(r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})")
_EN_RELATIVE = re.compile(
    r"(?P<minute>half|a quarter|quarter|[a-z0-9-]+(?: [a-z]+)?)"
    r" (?P<direction>past|after|to|before|till) (?P<hour>[a-z0-9-]+)"
)
_EN_HOUR = re.compile(r"(?P<hour>[a-z0-9-]+)(?: ?o'?clock)?")
_EN_HOUR_MINUTE = re.compile(r"(?P<hour>[a-z0-9]+) (?P<minute>[a-z0-9 -]+)")
_EN_OH_MINUTE = re.compile(r"(?:oh|o|zero) (?P<unit>[a-z]+)")


def _split_period(text: str) -> tuple[str, str | None]:
    """Split "下午两点" / "2:30pm" into the clock reading and its period word."""
    for word in _ZH_PERIOD_WORDS:
        if text.startswith(word) and len(text) > len(word):
            return text[len(word) :], _ZH_PERIODS[word]
    match = _EN_PERIOD.fullmatch(text)
    if match:
        return match["core"], _EN_PERIODS[match["period"]]
    return text, None


def _zh_minutes(rest: str) -> int | None:
    """Read the minutes after 点: "", 整, 半, 一刻, 三刻, 十五(分), 零五, 过五分."""
    rest = rest.removeprefix("过")
    if rest in ("", "整", "钟"):
        return 0
    if rest in ("半", "一刻", "三刻", "1刻", "3刻"):
        return {"半": 30, "一刻": 15, "1刻": 15}.get(rest, 45)
    minute = _chinese_number(rest.removesuffix("钟").removesuffix("分"))
    return minute if minute is not None and minute <= 59 else None


def _read_zh_clock(text: str) -> tuple[int, int] | None:
    match = _ZH_CLOCK.fullmatch(text)
    if not match:
        return None
    hour, minute = _chinese_number(match["hour"]), _zh_minutes(match["rest"])
    return None if hour is None or minute is None else (hour, minute)


def _read_digital_clock(text: str) -> tuple[int, int] | None:
    match = _DIGITAL_CLOCK.fullmatch(text)
    if not match or int(match["minute"]) > 59:
        return None
    return int(match["hour"]), int(match["minute"])


def _read_en_relative(text: str) -> tuple[int, int] | None:
    """Read "half past nine", "quarter to ten", "ten past two" as (hour, minutes to add)."""
    match = _EN_RELATIVE.fullmatch(re.sub(r" minutes?\b", "", text))
    if not match:
        return None
    hour = _english_number(match["hour"])
    minute = {"half": 30, "quarter": 15, "a quarter": 15}.get(match["minute"]) or _english_number(
        match["minute"]
    )
    backwards = match["direction"] in ("to", "before", "till")
    if hour is None or minute is None or not 1 <= minute <= 59 or (backwards and minute == 30):
        return None
    return hour, -minute if backwards else minute


def _en_minutes(text: str) -> int | None:
    """Read the minutes in "nine thirty", "nine oh five", "9 30"."""
    oh = _EN_OH_MINUTE.fullmatch(text)
    if oh:
        unit = _EN_UNITS.get(oh["unit"], 0)
        return unit if 1 <= unit <= 9 else None
    minute = _english_number(text)
    if minute is None or not 10 <= minute <= 59:
        return None
    return minute


def _read_en_clock(text: str) -> tuple[int, int] | None:
    """Read "ten", "10 o'clock", "nine thirty"."""
    hour_only = _EN_HOUR.fullmatch(text)
    hour = _english_number(hour_only["hour"]) if hour_only else None
    if hour is not None:
        return hour, 0
    match = _EN_HOUR_MINUTE.fullmatch(text)
    if not match:
        return None
    hour, minute = _english_number(match["hour"]), _en_minutes(match["minute"])
    return None if hour is None or minute is None else (hour, minute)


_CLOCK_READERS = (_read_zh_clock, _read_digital_clock, _read_en_relative, _read_en_clock)


def parse_time_of_day(text: str) -> tuple[int, int] | None:
    """Read a time of day as people say it, in Chinese or English.

    Understood: "9点", "九点半", "10点一刻", "十点三刻", "两点零五", "下午2点15",
    "上午十点", "下午两点" (14:00), "晚上七点" (19:00), "晚上十二点" (0:00),
    "14:30", "9.30", "2 pm", "2:30pm", "10 o'clock", "ten", "nine thirty",
    "half past nine", "quarter to ten", "3 in the afternoon", "noon",
    "midnight". Without a period word the hour is taken as said (0-23).

    Args:
        text: The answer as typed or recognised.

    Returns:
        (hour, minute) on a 24-hour clock, or None when not understood or
        impossible ("25点", "13 pm", "9:75").

    """
    cleaned = _strip_tails(_strip_lead_ins(_clean_phrase(text), _TIME_LEAD_INS), _TIME_TAILS)
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    core, period = _split_period(cleaned)
    for reader in _CLOCK_READERS:
        said = reader(core)
        if said is not None:
            return _on_24_hour_clock(said[0], said[1], period)
    return None


def _on_24_hour_clock(hour: int, minutes: int, period: str | None) -> tuple[int, int] | None:
    """Apply a period word to the hour said, then add (or take away) the minutes."""
    for low, high, shift in _PERIOD_RULES[period]:
        if low <= hour <= high:
            hours, minute = divmod(((hour + shift) * 60 + minutes) % (24 * 60), 60)
            return hours, minute
    return None


# --------------------------------------------------------------------------- application numbers

APPLICATION_NO_LENGTH = 12


def parse_application_no(text: str) -> str | None:
    """Read a 12-digit application (受理) number, typed or read out digit by digit.

    Args:
        text: The answer, e.g. "2024 0512 0001" or "二零二四零五一二零零零一".

    Returns:
        The 12 digits, or None.

    """
    digits = normalise_digits(text)
    return digits if len(digits) == APPLICATION_NO_LENGTH and digits.isdigit() else None


# --------------------------------------------------------------------------- read-backs and logs

ID_NUMBER_GROUPS = (6, 8, 4)
PHONE_GROUPS = (3, 4, 4)
APPLICATION_NO_GROUPS = (4, 4, 4)


def group_digits(number: str, groups: Sequence[int], separator: str = " ") -> str:
    """Split a number into groups for reading back, e.g. "138 1234 5678".

    Args:
        number: The number to split.
        groups: Group sizes from the left, e.g. :data:`PHONE_GROUPS`.
        separator: What to put between groups.

    Returns:
        The grouped number; characters beyond the groups form one last
        group, and a short number simply has fewer groups.

    Raises:
        ValueError: When a group size is not positive.

    """
    if any(size <= 0 for size in groups):
        raise ValueError("group sizes must be positive")
    parts = []
    start = 0
    for size in groups:
        if start >= len(number):
            break
        parts.append(number[start : start + size])
        start += size
    if start < len(number):
        parts.append(number[start:])
    return separator.join(parts)


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    """Replace all but the first and last few characters with "*"; mask all of a short text."""
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[len(text) - keep_end :]


def mask_id_number(number: str) -> str:
    """Mask an ID number for logs and read-backs: "330106********0028".

    The region code (6) and the last 4 characters stay; a number of 10
    characters or fewer is masked completely.
    """
    return _mask_middle(number, 6, 4)


def mask_phone(phone: str) -> str:
    """Mask a phone number for logs and read-backs: "138****5678".

    The first 3 and last 4 digits stay; a number of 7 characters or fewer is
    masked completely.
    """
    return _mask_middle(phone, 3, 4)
