"""Who the citizen is and what they applied for: mobile, resident ID and application numbers, names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.validators.dates import safe_date
from bot.validators.numbers import normalise_digits
from bot.validators.text import by_length, is_han, strip_edges, strip_lead_ins, tidy

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


def id_birth_date(number: str, today: date) -> date | None:
    """Return the birth date in an ID number, or None when it is impossible (before 1900 or after today)."""
    born = safe_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
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

_NAME_LEAD_INS = by_length(
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
    if not all(part and all(is_han(char) for char in part) for part in parts):
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
    cleaned = strip_edges(strip_lead_ins(tidy(text), _NAME_LEAD_INS))
    if " ".join(cleaned.lower().split()) in _NOT_NAMES or "".join(cleaned.split()) in _NOT_NAMES:
        return None
    if any(is_han(char) for char in cleaned):
        return _han_name(cleaned)
    return _latin_name(cleaned)


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
