"""A small seed directory for the portal's tests: three guides, three offices open all day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ALL_DAY = [{"weekdays": [1, 2, 3, 4, 5, 6, 7], "open": "00:00", "close": "24:00"}]


def office(office_id: str, services: list[str], capacity: int, slot_minutes: int = 60) -> dict[str, Any]:
    return {
        "id": office_id, "phone": "0571-8700000" + str(len(office_id) % 10), "opening_hours": ALL_DAY,
        "slot_minutes": slot_minutes, "slot_capacity": capacity, "services": services,
        "zh": {"name": f"{office_id}办事大厅", "address": "杭州市文三路1号", "opening_hours_text": "每天全天",
               "accessibility": ["无障碍通道", "老年人优先窗口"]},
        "en": {"name": f"{office_id.title()} Service Hall", "address": "1 Wensan Road, Hangzhou",
               "opening_hours_text": "Every day, all day", "accessibility": ["Step-free access"]},
    }


def guide(service_id: str, kinds: list[str], offices: list[str]) -> dict[str, Any]:
    return {
        "id": service_id, "application_kinds": kinds, "offices": offices,
        "zh": {"name": f"{service_id}（中文）", "summary": "简要说明。", "eligibility": ["本市户籍居民"],
               "materials": ["户口簿"], "fee": "免费", "processing_time": "当场办结", "online": "浙里办",
               "elderly_notes": ["可由子女代办"]},
        "en": {"name": f"{service_id} (English)", "summary": "A short summary.",
               "eligibility": ["Registered residents"], "materials": ["Household register"], "fee": "Free",
               "processing_time": "On the spot", "online": "Zhelibàn app",
               "elderly_notes": ["A child may apply on your behalf"]},
    }


def seed_files() -> dict[str, dict[str, Any]]:
    """File name (relative to the seed directory) -> content."""
    return {
        "offices.yml": {"offices": [
            office("xihu", ["id_card", "pension"], capacity=2),
            office("binjiang", ["id_card"], capacity=4, slot_minutes=30),
            office("tiny", ["pension"], capacity=3),
        ]},
        "guides/id_card.yml": guide("id_card", ["renewal", "replacement"], ["xihu", "binjiang"]),
        "guides/pension.yml": guide("pension", ["qualification_certification"], ["xihu", "tiny"]),
        "guides/hukou.yml": guide("hukou", [], []),
    }


def write_seed(directory: Path, files: dict[str, dict[str, Any]] | None = None) -> Path:
    for name, content in (files if files is not None else seed_files()).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory
