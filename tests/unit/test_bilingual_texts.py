"""Every text the assistant says exists in Chinese and in English."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.texts import TEXTS

DOMAIN = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _language_of(variation: dict[str, Any]) -> str | None:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return None


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_has_one_chinese_and_one_english_variation(name: str) -> None:
    languages = [_language_of(v) or "" for v in RESPONSES[name]]
    assert sorted(languages) == ["en", "zh"], f"{name} needs exactly one zh and one en variation"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_variations_are_written_in_their_language(name: str) -> None:
    for variation in RESPONSES[name]:
        text = variation.get("text", "")
        assert text.strip(), f"{name} has an empty variation"
        chinese = bool(CJK.search(re.sub(r"\(.*?\)|\uff08.*?\uff09", "", text)))
        assert chinese == (_language_of(variation) == "zh"), f"{name}: {text!r}"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_variations_fill_the_same_placeholders(name: str) -> None:
    placeholders = {frozenset(re.findall(r"{(\w+)}", v.get("text", ""))) for v in RESPONSES[name]}
    assert len(placeholders) == 1, f"{name} variations use different placeholders"


def test_language_slot_offers_exactly_the_two_languages() -> None:
    slot = DOMAIN["slots"]["language"]
    assert slot["values"] == ["zh", "en"]
    assert slot["initial_value"] == "zh"


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_action_texts_exist_in_both_languages(key: str) -> None:
    assert set(TEXTS[key]) == {"zh", "en"}
    assert CJK.search(TEXTS[key]["zh"])
    assert not CJK.search(TEXTS[key]["en"])
    assert set(re.findall(r"{(\w+)}", TEXTS[key]["zh"])) == set(re.findall(r"{(\w+)}", TEXTS[key]["en"]))
