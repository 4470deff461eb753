"""Strict checks of what clients send: exact formats only, nothing guessed or normalised.

Every function is pure. The ``check_*`` functions raise :class:`FieldError`
naming the offending field; the ``is_*`` and ``parse_*`` functions answer
without raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Collection, Literal, Mapping, Optional

# The check character, the birth date and masking follow the same rules as for what citizens say.
from bot.validators import id_birth_date
from bot.validators import id_check_character as id_check_character
from bot.validators import mask_phone as mask_phone

CHINA_TIME = timezone(timedelta(hours=8), "CST")
"""China Standard Time (Asia/Shanghai): UTC+8 all year, no daylight saving."""

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
STATUSES = ("submitted", "accepted", "processing", "ready", "completed", "rejected")
FINAL_STATUSES = frozenset({"completed", "rejected"})

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_DOTS = "\u00b7\u30fb\u2022"  # the middle dot of minority and foreign names, and look-alikes
_CHINESE_NAME = re.compile(rf"[{_CJK}]+(?:[{_DOTS}][{_CJK}]+)*")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u017f"
_LATIN_NAME = re.compile(rf"[{_LATIN}](?:[{_LATIN}]|[ '\-.][{_LATIN}]|\. [{_LATIN}])*\.?")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
# First two digits of GB/T 2260 region codes (provinces), Taiwan, Hong Kong, Macao
# and the residence permits of their residents.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,39}")
_APPLICATION_NO = re.compile(r"[0-9]{12}")
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")

# What POST /applications accepts: service -> kind -> the allowed values of each
# field with a fixed set of values.
ID_CARD_REASONS = ("expired", "lost", "damaged", "info_changed")
PENSION_METHODS = ("hall", "home_visit", "online_face")
APPLICATION_KINDS: dict[str, tuple[str, ...]] = {
    "id_card": ("renewal", "replacement"),
    "pension": ("qualification_certification",),
}


class FieldError(ValueError):
    """A field of a request is missing or invalid."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class ResidentId:
    """A valid resident identity card number and what it encodes."""

    number: str
    region: str
    birth_date: date
    male: bool


def today_in_china(now: Optional[datetime] = None) -> date:
    """Return today's date in China Standard Time.

    Args:
        now: The moment to use (any time zone); defaults to the current time.

    """
    moment = now or datetime.now(timezone.utc)
    return moment.astimezone(CHINA_TIME).date()


def parse_language(raw: Optional[str]) -> Optional[Lang]:
    """Return the language of a ``lang`` parameter: absent means Chinese.

    Args:
        raw: The parameter's value, or None when it was not given.

    Returns:
        ``"zh"`` or ``"en"``; None for any other value (upper case included).

    """
    if raw is None:
        return "zh"
    if raw == "zh":
        return "zh"
    if raw == "en":
        return "en"
    return None


def parse_iso_date(text: str) -> Optional[date]:
    """Return the date of an ISO ``YYYY-MM-DD`` text, or None when malformed or not a real date."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_mobile_number(text: str) -> bool:
    """Whether a text is a mainland China mobile number: 11 digits, ``1[3-9]`` first."""
    return bool(_MOBILE.fullmatch(text))


def is_name(text: str) -> bool:
    """Whether a text is a person's name as written on an identity document.

    Chinese names are 2-20 Chinese characters, parts joined by a middle dot
    (``阿依古丽·买买提``). Latin names are up to 60 letters, spaces, apostrophes,
    hyphens and full stops, starting with a letter (``Mary-Jane O'Brien``).
    """
    if _CHINESE_NAME.fullmatch(text):
        return 2 <= len(text) <= 20
    return 2 <= len(text) <= 60 and bool(_LATIN_NAME.fullmatch(text))


def parse_id_number(text: str, today: Optional[date] = None) -> Optional[ResidentId]:
    """Return a resident identity card number's parts, or None when it is not valid.

    Valid means 18 characters (17 digits and a digit or upper-case ``X``), a
    known province code, a real birth date from 1900 up to today, and the right
    check character.

    Args:
        text: The number exactly as sent.
        today: Today's date (defaults to today in China).

    """
    if not _ID_NUMBER.fullmatch(text) or text[:2] not in _PROVINCES:
        return None
    birth = id_birth_date(text, today or today_in_china())
    if birth is None or id_check_character(text[:17]) != text[17]:
        return None
    return ResidentId(number=text, region=text[:6], birth_date=birth, male=int(text[16]) % 2 == 1)


def is_identifier(text: str) -> bool:
    """Whether a text can be a service, office or kind id: lower-case letters, digits, ``_``; 1-40."""
    return bool(_IDENTIFIER.fullmatch(text))


def is_application_no(text: str) -> bool:
    """Whether a text has the form of an application number: 12 digits."""
    return bool(_APPLICATION_NO.fullmatch(text))


def is_idempotency_key(text: str) -> bool:
    """Whether a text is a usable ``Idempotency-Key``: 8-128 printable ASCII characters."""
    return 8 <= len(text) <= 128 and all(" " <= char <= "~" for char in text)


def check_name(value: str, field: str) -> str:
    """Return a valid name unchanged.

    Raises:
        FieldError: It is not a name (see :func:`is_name`).

    """
    if not is_name(value):
        raise FieldError(field, "must be a name: 2-20 Chinese characters (parts joined by ·) "
                                "or up to 60 Latin letters, spaces, apostrophes, hyphens and full stops")
    return value


def check_mobile(value: str, field: str) -> str:
    """Return a valid mainland mobile number unchanged.

    Raises:
        FieldError: It is not one.

    """
    if not is_mobile_number(value):
        raise FieldError(field, "must be a mainland mobile number: 11 digits starting with 13-19")
    return value


def check_id_number(value: str, field: str, today: Optional[date] = None) -> str:
    """Return a valid resident identity card number unchanged.

    Raises:
        FieldError: It is not valid (see :func:`parse_id_number`).

    """
    if parse_id_number(value, today) is None:
        raise FieldError(field, "must be an 18-character resident ID number with a real birth date "
                                "and the right check character")
    return value


def check_text(value: str, field: str, max_length: int, min_length: int = 1) -> str:
    """Return a short free text unchanged when it has no control characters and fits.

    Raises:
        FieldError: It is blank, too short or long, or has control characters
            or surrounding spaces.

    """
    if value != value.strip() or not value:
        raise FieldError(field, "must not be blank or start or end with spaces")
    if not min_length <= len(value) <= max_length:
        raise FieldError(field, f"must be {min_length}-{max_length} characters long")
    if _CONTROL.search(value):
        raise FieldError(field, "must not contain control characters or line breaks")
    return value


def check_channel(value: str, field: str = "channel") -> str:
    """Return a valid channel name (``rest``, ``telegram``, ``voice-zh``) unchanged.

    Raises:
        FieldError: It is not 1-32 ASCII letters, digits, ``_``, ``.`` or ``-``.

    """
    if not _CHANNEL.fullmatch(value):
        raise FieldError(field, "must be 1-32 ASCII letters, digits, _, . or -, "
                                "starting with a letter or a digit")
    return value


def check_choice(value: str, field: str, choices: Collection[str]) -> str:
    """Return a value that is one of a fixed set.

    Raises:
        FieldError: It is not one of them.

    """
    if value not in choices:
        raise FieldError(field, f"must be one of {', '.join(choices)}")
    return value


def check_application_fields(service_id: str, kind: str, fields: Mapping[str, str],
                             collection_offices: Collection[str]) -> dict[str, str]:
    """Check the ``fields`` of an application against the rules of its service and kind.

    Args:
        service_id: The service applied for (already known to take applications).
        kind: The kind of application (already known to be one the service takes).
        fields: The fields as sent.
        collection_offices: Ids of the offices where the result can be collected
            (the offices offering the service).

    Returns:
        The fields, unchanged.

    Raises:
        FieldError: A field is missing, unknown or invalid.

    """
    if service_id == "id_card":
        allowed = {"reason", "collection_office_id"}
        _require(fields, allowed)
        check_choice(fields["reason"], "fields.reason", ID_CARD_REASONS)
        if fields["collection_office_id"] not in collection_offices:
            raise FieldError("fields.collection_office_id", "must be the id of an office issuing ID cards")
    elif service_id == "pension":
        allowed = {"method", "address"}
        required = {"method", "address"} if fields.get("method") == "home_visit" else {"method"}
        _require(fields, required)
        check_choice(fields["method"], "fields.method", PENSION_METHODS)
        if "address" in fields:
            check_text(fields["address"], "fields.address", max_length=200, min_length=4)
    else:
        raise FieldError("service_id", f"{service_id} does not take applications")
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise FieldError(f"fields.{unknown[0]}", "is not a field of this application")
    return dict(fields)


def _require(fields: Mapping[str, str], names: Collection[str]) -> None:
    for name in sorted(names):
        if name not in fields:
            raise FieldError(f"fields.{name}", "is required")
