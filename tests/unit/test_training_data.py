"""The training data and the held-out test set meet the project's rules."""

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from bot.services import catalogue, resolve_service

CONTRACT_INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "help", "repeat", "slower", "human_handoff",
    "cancel", "bot_challenge", "change_language", "out_of_scope",
]
ALL_INTENTS = CONTRACT_INTENTS + [
    "ask_service", "start_application", "book_appointment", "check_status", "try_again", "more_info",
    "inform", "elderly_mode", "resume_application",
]
MIN_EXAMPLES_PER_INTENT = 30
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\((\w+)\)|(\{[^}]*\}))")


def _examples(path: Path) -> list[tuple[str, str]]:
    """Return (intent, raw example) pairs of a Rasa NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu", []):
        if "intent" in block:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    pairs.append((block["intent"], line.strip()[2:].strip()))
    return pairs


def _plain(example: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1), example)


def _normalised(example: str) -> str:
    return re.sub(r"[\s\W_]+", "", _plain(example).lower())


TRAINING = {lang: [p for f in sorted(Path(f"data/nlu/{lang}").glob("*.yml")) for p in _examples(f)]
            for lang in ("zh", "en")}
HELD_OUT = {lang: _examples(Path(f"tests/nlu/test_{lang}.yml")) for lang in ("zh", "en")}
FINAL = {lang: _examples(Path(f"tests/nlu/final_{lang}.yml")) for lang in ("zh", "en")}


def test_intents_are_the_domain_intents() -> None:
    domain = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))
    assert sorted(domain["intents"]) == sorted(ALL_INTENTS)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_at_least_30_examples_per_intent(language: str) -> None:
    counts = Counter(intent for intent, _ in TRAINING[language])
    for intent in ALL_INTENTS:
        assert counts[intent] >= MIN_EXAMPLES_PER_INTENT, (language, intent, counts[intent])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_service_is_trained_in_both_languages(language: str) -> None:
    per_service: Counter[str] = Counter()
    for _, example in TRAINING[language]:
        for match in ANNOTATION.finditer(example):
            per_service[resolve_service(match.group(1)) or "?"] += 1
    for service_id in catalogue():
        assert per_service[service_id] >= 15, (language, service_id, per_service[service_id])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_service_span_resolves_to_a_catalogue_id(language: str) -> None:
    for _, example in TRAINING[language]:
        for match in ANNOTATION.finditer(example):
            assert match.group(2) == "service", example
            assert resolve_service(match.group(1)) is not None, example


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_duplicate_training_examples(language: str) -> None:
    seen: dict[str, str] = {}
    for intent, example in TRAINING[language]:
        key = _normalised(example)
        assert seen.setdefault(key, intent) == intent, f"{example!r} is in {seen[key]} and {intent}"


@pytest.mark.parametrize(("language", "minimum"), [("zh", 300), ("en", 150)])
def test_held_out_set_is_large_and_covers_everything(language: str, minimum: int) -> None:
    examples = HELD_OUT[language]
    assert len(examples) >= minimum
    assert {intent for intent, _ in examples} == set(ALL_INTENTS)
    values = Counter(
        json_value for _, ex in examples for json_value in re.findall(r'"value":\s*"(\w+)"', ex)
    )
    assert set(values) == set(catalogue()), set(catalogue()) - set(values)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_held_out_set_is_never_trained_on(language: str) -> None:
    trained = {_normalised(ex) for lang in TRAINING for _, ex in TRAINING[lang]}
    overlap = [ex for _, ex in HELD_OUT[language] + FINAL[language] if _normalised(ex) in trained]
    assert not overlap


def test_out_of_scope_examples_name_no_service() -> None:
    from bot.services import find_services

    by_intent = defaultdict(list)
    for lang in TRAINING:
        for intent, example in TRAINING[lang]:
            by_intent[intent].append(example)
    for example in by_intent["out_of_scope"]:
        assert not find_services(_plain(example)), example
