"""Times of day as people say them ("下午两点半", "quarter to ten"), on a 24-hour clock."""

from __future__ import annotations

import re

from bot.validators.numbers import EN_UNITS, chinese_number, english_number
from bot.validators.text import by_length, clean_phrase, strip_lead_ins, strip_tails

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
_ZH_PERIOD_WORDS = by_length(_ZH_PERIODS)
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

_TIME_LEAD_INS = by_length(
    ["大概", "大约", "差不多", "约", "就", "在", "定在", "约在",
     "at", "around", "about", "say", "maybe", "by", "um", "uh", "how about", "let's say"]
)  # fmt: skip
_TIME_TAILS = by_length(["左右", "前后", "吧", "or so", "please"])

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
    minute = chinese_number(rest.removesuffix("钟").removesuffix("分"))
    return minute if minute is not None and minute <= 59 else None


def _read_zh_clock(text: str) -> tuple[int, int] | None:
    match = _ZH_CLOCK.fullmatch(text)
    if not match:
        return None
    hour, minute = chinese_number(match["hour"]), _zh_minutes(match["rest"])
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
    hour = english_number(match["hour"])
    minute = {"half": 30, "quarter": 15, "a quarter": 15}.get(match["minute"]) or english_number(
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
        unit = EN_UNITS.get(oh["unit"], 0)
        return unit if 1 <= unit <= 9 else None
    minute = english_number(text)
    if minute is None or not 10 <= minute <= 59:
        return None
    return minute


def _read_en_clock(text: str) -> tuple[int, int] | None:
    """Read "ten", "10 o'clock", "nine thirty"."""
    hour_only = _EN_HOUR.fullmatch(text)
    hour = english_number(hour_only["hour"]) if hour_only else None
    if hour is not None:
        return hour, 0
    match = _EN_HOUR_MINUTE.fullmatch(text)
    if not match:
        return None
    hour, minute = english_number(match["hour"]), _en_minutes(match["minute"])
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
    cleaned = strip_tails(strip_lead_ins(clean_phrase(text), _TIME_LEAD_INS), _TIME_TAILS)
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
