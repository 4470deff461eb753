"""What the forms collect: which fields each form has, how to show them, how to spot them.

Shared by the form validation (``forms.py``), the read-back before submitting
and the submission itself (``applications.py``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional

from actions.texts import text
from bot.language import Language
from bot.services import catalogue
from bot.validators import group_digits

#: The fields each form collects, in the order they are asked and read back.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "id_card_form": ("id_card_reason", "applicant_name", "id_number", "phone", "collection_office"),
    "pension_certification_form": ("applicant_name", "id_number", "phone", "pension_method", "home_address"),
    "appointment_form": ("appointment_service", "appointment_office", "appointment_date",
                         "appointment_time", "applicant_name", "phone"),
    "application_status_form": ("application_no", "phone"),
}

#: Forms someone may fill in on an elder's behalf, and what is asked of that person.
PROXY_FORMS = ("id_card_form", "pension_certification_form")
PROXY_FIELDS = ("proxy_name", "proxy_phone", "proxy_consent")

#: Slots set alongside the fields, cleared with them.
HELPER_SLOTS = ("confirmed", "appointment_slot_id", "appointment_part_of_day", "failed_attempts",
                *PROXY_FIELDS, "proxy_relationship", "current_form")

#: Forms that end with a submission to the portal (the status form only reads).
SUBMITTING_FORMS = ("id_card_form", "pension_certification_form", "appointment_form")

#: Words that name a field when the user corrects one ("电话不对，是…"), most specific first.
FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("proxy_phone", ("代办人电话", "我的电话", "我的手机", "my phone", "my number")),
    ("proxy_name", ("代办人", "我的名字", "my name")),
    ("id_number", ("身份证号", "身份证", "证件号", "id number", "id no", "identity number", "id")),
    ("home_address", ("地址", "住址", "address")),
    ("applicant_name", ("名字", "姓名", "名", "name")),
    ("phone", ("电话", "手机", "号码", "phone", "mobile", "number")),
    ("id_card_reason", ("原因", "reason")),
    ("collection_office", ("领证", "地点", "大厅", "hall", "office", "collect", "place")),
    ("appointment_office", ("大厅", "地点", "地方", "hall", "office", "place")),
    ("pension_method", ("方式", "认证", "method", "how", "way")),
    ("appointment_service", ("事项", "业务", "办什么", "service")),
    ("appointment_date", ("日期", "哪天", "日子", "天", "date", "day")),
    ("appointment_time", ("时间", "几点", "time", "hour")),
)

_WEEKDAYS = {"zh": "一二三四五六日", "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                          "Saturday", "Sunday")}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def form_fields(form: Optional[str], tracker_slots: Optional[dict[str, Any]] = None) -> tuple[str, ...]:
    """Return the fields of a form that apply (a home address only for a home visit).

    Args:
        form: The form's name.
        tracker_slots: The conversation's slots, to drop fields that do not apply.

    """
    fields = FORM_FIELDS.get(form or "", ())
    slots = tracker_slots or {}
    if form == "pension_certification_form" and slots.get("pension_method") not in (None, "home_visit"):
        fields = tuple(f for f in fields if f != "home_address")
    if form in PROXY_FORMS and slots.get("proxy_relationship"):
        fields = (*fields, *PROXY_FIELDS)
    return fields


def format_date(day: date, language: Language) -> str:
    """Say a date the way people say it: 11月24日（星期二） / Tuesday 24 November."""
    if language == "zh":
        return f"{day.month}月{day.day}日（星期{_WEEKDAYS['zh'][day.weekday()]}）"
    return f"{_WEEKDAYS['en'][day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def display_value(field: str, value: Any, language: Language, office_names: dict[str, str]) -> str:
    """Return a field's value as the user should hear or read it back.

    Args:
        field: The slot name.
        value: Its value.
        language: The reply language.
        office_names: Office names by id, in the reply language.

    """
    if value is None:
        return ""
    raw = str(value)
    if field == "id_number":
        return group_digits(raw, (6, 8, 4))
    if field in ("phone", "proxy_phone"):
        return group_digits(raw, (3, 4, 4))
    if field == "proxy_consent":
        return text("proxy_consent_given", language)
    if field == "application_no":
        return group_digits(raw, (4, 4, 4))
    if field == "id_card_reason":
        return text(f"reason_{raw}", language)
    if field == "pension_method":
        return text(f"method_{raw}", language)
    if field in ("collection_office", "appointment_office"):
        return office_names.get(raw, raw)
    if field == "appointment_service":
        service = catalogue().get(raw)
        return service.name(language) if service else raw
    if field == "appointment_date":
        try:
            return format_date(date.fromisoformat(raw), language)
        except ValueError:
            return raw
    return raw


def field_named_in(message: str, fields: tuple[str, ...]) -> Optional[str]:
    """Return the field a correction names ("电话不对" → ``phone``), if any.

    Args:
        message: What the user said.
        fields: The fields of the current form.

    """
    lowered = message.lower()
    for field, words in FIELD_WORDS:
        if field not in fields:
            continue
        for word in words:
            pattern = rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)
            if re.search(pattern, lowered):
                return field
    return None


def value_after_field_word(message: str) -> str:
    """Return what follows "是/叫/is/should be" in a correction, or the whole message.

    "电话不对，是 139 0000 1111" → "139 0000 1111".
    """
    match = re.search(
        r"(?:应该是|改成|改为|换成|是|叫|should be|change it to|it's|it is|is)\s*[:：]?\s*(.+)$",
        message, flags=re.IGNORECASE)
    return match.group(1).strip(" ，,。.!！") if match else message
