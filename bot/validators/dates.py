"""Days as people say them ("下周二上午", "the 5th"), with the part of day they prefer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.validators.numbers import SPOKEN_DIGITS, chinese_number
from bot.validators.text import by_length, clean_phrase, strip_lead_ins, strip_tails

MORNING = "morning"
AFTERNOON = "afternoon"


@dataclass(frozen=True)
class SpokenDate:
    """A day named by a citizen, with the half of the day they prefer if they said one."""

    day: date
    part_of_day: str | None  # MORNING, AFTERNOON or None


_DATE_LEAD_INS = by_length(
    [
        "那就", "就", "我想", "我要", "想", "要", "预约", "约在", "约", "定在", "改到", "改在",
        "安排在", "在",
        "how about", "what about", "let's say", "let's do", "make it", "maybe", "on", "for", "um", "uh",
    ]
)  # fmt: skip
_DATE_TAILS = by_length(
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
_ZH_PART_WORDS = by_length(_ZH_PARTS_OF_DAY)
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


def safe_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when it is not a calendar date."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


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
    this_year = safe_date(today.year, month, day)
    if this_year is None or this_year >= today:
        return this_year
    return safe_date(today.year + 1, month, day)


def _day_of_month_date(day: int | None, today: date) -> date | None:
    """Return the day in this month, or next month when already past; None if it does not exist."""
    if day is None:
        return None
    this_month = safe_date(today.year, today.month, day)
    if this_month is None or this_month >= today:
        return this_month
    next_month_year, next_month = divmod(today.year * 12 + today.month, 12)
    return safe_date(next_month_year, next_month + 1, day)


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
    return int("".join(SPOKEN_DIGITS.get(char, char) for char in text))


def _full_date(text: str, today: date) -> date | None:
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        return safe_date(int(iso["year"]), int(iso["month"]), int(iso["day"]))
    zh = _ZH_FULL_DATE.fullmatch(text)
    if zh:
        month, day = chinese_number(zh["month"]), chinese_number(zh["day"])
        return None if month is None or day is None else safe_date(_zh_year(zh["year"]), month, day)
    return None


def _month_and_day(text: str, today: date) -> date | None:
    zh = _ZH_MONTH_DAY.fullmatch(text)
    if zh:
        return _month_day_date(chinese_number(zh["month"]), chinese_number(zh["day"]), today)
    for pattern in (_EN_MONTH_FIRST, _EN_DAY_FIRST):
        en = pattern.fullmatch(text)
        if en and en["month"] in _EN_MONTHS:
            month, day = _EN_MONTHS[en["month"]], int(en["day"])
            if en["year"]:
                return safe_date(int(en["year"]), month, day)
            return _month_day_date(month, day, today)
    return None


def _day_only(text: str, today: date) -> date | None:
    zh = _ZH_DAY_ONLY.fullmatch(text)
    if zh:
        return _day_of_month_date(chinese_number(zh["day"]), today)
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
    cleaned = strip_tails(strip_lead_ins(clean_phrase(text), _DATE_LEAD_INS), _DATE_TAILS)
    if cleaned in _DAY_PHRASES:
        offset, part = _DAY_PHRASES[cleaned]
        return SpokenDate(today + timedelta(days=offset), part)
    body, part = _split_part_of_day(cleaned)
    for reader in _DAY_READERS:
        day = reader(body, today)
        if day is not None:
            return SpokenDate(day, part) if day >= today else None
    return None
