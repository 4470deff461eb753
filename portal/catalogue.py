"""Service guides and offices, read from the seed YAML files and checked.

Layout of a seed directory::

    guides/<service_id>.yml   one guide per catalogue service
    offices.yml               the service halls

A guide has ``id``, ``application_kinds``, ``offices`` (office ids) and a
``zh`` and an ``en`` section with ``name``, ``summary``, ``eligibility``,
``materials``, ``fee``, ``processing_time``, ``online`` and ``elderly_notes``.
``offices.yml`` has ``offices``: a list of ``id``, ``phone``,
``opening_hours`` (``weekdays`` 1-7, ``open``, ``close``), ``slot_minutes``,
``slot_capacity``, ``services`` and a ``zh`` and an ``en`` section with
``name``, ``address``, ``opening_hours_text`` and ``accessibility``.
Anything malformed or inconsistent raises :class:`SeedError` naming the file
and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.services import catalogue
from portal.validation import APPLICATION_KINDS, LANGUAGES, Lang

_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


class SeedError(ValueError):
    """A seed file is missing, malformed or contradicts another one."""


@dataclass(frozen=True)
class GuideText:
    """A service guide in one language."""

    name: str
    summary: str
    eligibility: tuple[str, ...]
    materials: tuple[str, ...]
    fee: str
    processing_time: str
    online: str
    elderly_notes: tuple[str, ...]


@dataclass(frozen=True)
class Guide:
    """A service's guide in both languages, its application kinds and offices."""

    id: str
    application_kinds: tuple[str, ...]
    offices: tuple[str, ...]
    texts: Mapping[Lang, GuideText]


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours on some weekdays (ISO: 1 = Monday)."""

    weekdays: tuple[int, ...]
    open: str
    close: str


@dataclass(frozen=True)
class OfficeText:
    """An office's texts in one language."""

    name: str
    address: str
    opening_hours_text: str
    accessibility: tuple[str, ...]


@dataclass(frozen=True)
class OfficeSeed:
    """A service hall."""

    id: str
    phone: str
    opening_hours: tuple[OpeningHours, ...]
    slot_minutes: int
    slot_capacity: int
    services: tuple[str, ...]
    texts: Mapping[Lang, OfficeText]


@dataclass(frozen=True)
class SeedData:
    """Every guide (catalogue order) and office (file order), by id."""

    guides: Mapping[str, Guide]
    offices: Mapping[str, OfficeSeed]


def minutes(hhmm: str) -> int:
    """Return the minutes since midnight of an ``HH:MM`` time."""
    hours, _, mins = hhmm.partition(":")
    return int(hours) * 60 + int(mins)


def load_seed(seed_dir: Path) -> SeedData:
    """Read and check every seed file of a directory.

    Args:
        seed_dir: The directory holding ``offices.yml`` and ``guides/``.

    Returns:
        The guides and offices.

    Raises:
        SeedError: A file is missing or malformed, or the files disagree.

    """
    offices = _load_offices(seed_dir / "offices.yml")
    guides_dir = seed_dir / "guides"
    if not guides_dir.is_dir():
        raise SeedError(f"{guides_dir}: directory of service guides not found")
    known = catalogue()
    loaded: dict[str, Guide] = {}
    for path in sorted(guides_dir.glob("*.yml")):
        guide = _load_guide(path)
        if guide.id not in known:
            raise SeedError(f"{path}: {guide.id!r} is not a catalogue service (bot/catalogue.yml)")
        loaded[guide.id] = guide
    if not loaded:
        raise SeedError(f"{guides_dir}: no service guides (<service_id>.yml)")
    guides = {service_id: loaded[service_id] for service_id in known if service_id in loaded}
    _check_links(guides, offices, guides_dir, seed_dir / "offices.yml")
    return SeedData(guides=guides, offices=offices)


def _check_links(guides: Mapping[str, Guide], offices: Mapping[str, OfficeSeed],
                 guides_dir: Path, offices_file: Path) -> None:
    for guide in guides.values():
        for office_id in guide.offices:
            if office_id not in offices:
                raise SeedError(f"{guides_dir / guide.id}.yml: offices: unknown office {office_id!r}")
            if guide.id not in offices[office_id].services:
                raise SeedError(f"{guides_dir / guide.id}.yml: offices lists {office_id!r}, but "
                                f"{offices_file.name} does not list {guide.id!r} among its services")
    for office in offices.values():
        for service_id in office.services:
            if service_id not in guides:
                raise SeedError(f"{offices_file}: office {office.id!r}: service {service_id!r} has no guide")
            if office.id not in guides[service_id].offices:
                raise SeedError(f"{offices_file}: office {office.id!r} lists {service_id!r}, but the guide "
                                f"{service_id}.yml does not list the office")


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise SeedError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise SeedError(f"{path}: not UTF-8 text ({error})") from error
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML ({error})") from error


def _load_guide(path: Path) -> Guide:
    raw = _mapping(_read_yaml(path), path, "the file")
    service_id = _identifier(raw.get("id"), path, "id")
    if service_id != path.stem:
        raise SeedError(f"{path}: id {service_id!r} does not match the file name")
    kinds = _string_list(raw.get("application_kinds", []), path, "application_kinds", allow_empty=True)
    allowed = APPLICATION_KINDS.get(service_id, ())
    for kind in kinds:
        if kind not in allowed:
            raise SeedError(f"{path}: application_kinds: the portal does not take {kind!r} applications "
                            f"for {service_id} (it takes: {', '.join(allowed) or 'none'})")
    offices = _string_list(raw.get("offices", []), path, "offices", allow_empty=True)
    texts: dict[Lang, GuideText] = {}
    for lang in LANGUAGES:
        section = _mapping(raw.get(lang), path, lang)
        texts[lang] = GuideText(
            name=_text(section.get("name"), path, f"{lang}.name"),
            summary=_text(section.get("summary"), path, f"{lang}.summary"),
            eligibility=_string_list(section.get("eligibility"), path, f"{lang}.eligibility"),
            materials=_string_list(section.get("materials"), path, f"{lang}.materials"),
            fee=_text(section.get("fee"), path, f"{lang}.fee"),
            processing_time=_text(section.get("processing_time"), path, f"{lang}.processing_time"),
            online=_text(section.get("online"), path, f"{lang}.online"),
            elderly_notes=_string_list(section.get("elderly_notes"), path, f"{lang}.elderly_notes"),
        )
    return Guide(id=service_id, application_kinds=_unique(kinds, path, "application_kinds"),
                 offices=_unique(offices, path, "offices"), texts=texts)


def _load_offices(path: Path) -> dict[str, OfficeSeed]:
    raw = _mapping(_read_yaml(path), path, "the file")
    items = raw.get("offices")
    if not isinstance(items, list) or not items:
        raise SeedError(f"{path}: offices must be a non-empty list")
    offices: dict[str, OfficeSeed] = {}
    for index, item in enumerate(items):
        where = f"offices[{index}]"
        office = _load_office(_mapping(item, path, where), path, where)
        if office.id in offices:
            raise SeedError(f"{path}: {where}: office {office.id!r} appears twice")
        offices[office.id] = office
    return offices


def _load_office(raw: Mapping[str, Any], path: Path, where: str) -> OfficeSeed:
    office_id = _identifier(raw.get("id"), path, f"{where}.id")
    where = f"office {office_id!r}"
    phone = raw.get("phone")
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    hours_raw = raw.get("opening_hours")
    if not isinstance(hours_raw, list) or not hours_raw:
        raise SeedError(f"{path}: {where}: opening_hours must be a non-empty list")
    hours = tuple(_opening_hours(_mapping(entry, path, f"{where}.opening_hours[{i}]"), path,
                                 f"{where}.opening_hours[{i}]") for i, entry in enumerate(hours_raw))
    slot_minutes = _integer(raw.get("slot_minutes"), path, f"{where}.slot_minutes", 5, 240)
    slot_capacity = _integer(raw.get("slot_capacity"), path, f"{where}.slot_capacity", 1, 1000)
    services = _string_list(raw.get("services", []), path, f"{where}.services", allow_empty=True)
    texts: dict[Lang, OfficeText] = {}
    for lang in LANGUAGES:
        section = _mapping(raw.get(lang), path, f"{where}.{lang}")
        texts[lang] = OfficeText(
            name=_text(section.get("name"), path, f"{where}.{lang}.name"),
            address=_text(section.get("address"), path, f"{where}.{lang}.address"),
            opening_hours_text=_text(section.get("opening_hours_text"), path,
                                     f"{where}.{lang}.opening_hours_text"),
            accessibility=_string_list(section.get("accessibility", []), path,
                                       f"{where}.{lang}.accessibility", allow_empty=True),
        )
    return OfficeSeed(id=office_id, phone=_text(phone, path, f"{where}.phone"), opening_hours=hours,
                      slot_minutes=slot_minutes, slot_capacity=slot_capacity,
                      services=_unique(services, path, f"{where}.services"), texts=texts)


def _opening_hours(raw: Mapping[str, Any], path: Path, where: str) -> OpeningHours:
    days = raw.get("weekdays")
    if (not isinstance(days, list) or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)):
        raise SeedError(f"{path}: {where}.weekdays must be a non-empty list of 1-7 (1 = Monday)")
    start = _time(raw.get("open"), path, f"{where}.open")
    end = _time(raw.get("close"), path, f"{where}.close")
    if minutes(start) >= minutes(end):
        raise SeedError(f"{path}: {where}: open ({start}) must be before close ({end})")
    return OpeningHours(weekdays=tuple(sorted(set(days))), open=start, close=end)


def _time(value: Any, path: Path, field: str) -> str:
    # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise SeedError(f"{path}: {field} must be a time HH:MM (quote it), not {value!r}")
    return value


def _mapping(value: Any, path: Path, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SeedError(f"{path}: {field} must be a mapping")
    return value


def _identifier(value: Any, path: Path, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise SeedError(f"{path}: {field} must be an id (lower-case letters, digits, _), not {value!r}")
    return value


def _text(value: Any, path: Path, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{path}: {field} must be a non-empty text")
    return value.strip()


def _string_list(value: Any, path: Path, field: str, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise SeedError(f"{path}: {field} must be a {'' if allow_empty else 'non-empty '}list of texts")
    return tuple(_text(item, path, f"{field}[{i}]") for i, item in enumerate(value))


def _integer(value: Any, path: Path, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SeedError(f"{path}: {field} must be a whole number from {low} to {high}")
    return value


def _unique(items: tuple[str, ...], path: Path, field: str) -> tuple[str, ...]:
    if len(set(items)) != len(items):
        raise SeedError(f"{path}: {field} lists an item twice")
    return items
