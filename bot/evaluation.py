"""Measure how well the assistant understands the held-out test set.

The held-out set is never trained on. It has two parts: the development set
(``tests/nlu/test_zh.yml``, ``test_en.yml``), whose misses were studied while
the lexicon and training data were improved, and the final set
(``final_zh.yml``, ``final_en.yml``), written afterwards by another author.
Figures: service accuracy per language (the ``service`` entity's catalogue
ids equal the annotated ones), intent accuracy, and out-of-scope precision and
recall (a message counts as out of scope when its intent is ``out_of_scope``
or ``nlu_fallback``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from bot.settings import PROJECT_DIR, Settings

HELD_OUT_DIR = PROJECT_DIR / "tests" / "nlu"
#: The parts of the held-out set: name -> file pattern in HELD_OUT_DIR.
HELD_OUT_SETS = {"development": "test_*.yml", "final": "final_*.yml"}
OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope", "nlu_fallback"})


@dataclass(frozen=True)
class Example:
    """One annotated test message."""

    text: str
    language: str
    intent: str
    services: frozenset[str]


@dataclass(frozen=True)
class Prediction:
    """What the assistant understood of a message."""

    intent: str
    confidence: float
    services: frozenset[str]

    @classmethod
    def from_parse(cls, parse: dict[str, Any]) -> "Prediction":
        """Build a prediction from a ``/model/parse`` result."""
        intent = parse.get("intent") or {}
        services = {str(e["value"]) for e in parse.get("entities", []) if e.get("entity") == "service"}
        return cls(str(intent.get("name")), float(intent.get("confidence") or 0.0), frozenset(services))


@dataclass
class LanguageScores:
    """Figures for one language (or all)."""

    messages: int = 0
    intent_correct: int = 0
    service_messages: int = 0
    service_correct: int = 0
    spurious_services: int = 0
    oos_true_positive: int = 0
    oos_false_positive: int = 0
    oos_false_negative: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return _ratio(self.intent_correct, self.messages)

    @property
    def service_accuracy(self) -> float:
        return _ratio(self.service_correct, self.service_messages)

    @property
    def oos_precision(self) -> float:
        return _ratio(self.oos_true_positive, self.oos_true_positive + self.oos_false_positive)

    @property
    def oos_recall(self) -> float:
        return _ratio(self.oos_true_positive, self.oos_true_positive + self.oos_false_negative)

    def add(self, example: Example, prediction: Prediction) -> None:
        """Count one example."""
        self.messages += 1
        gold_oos = example.intent in OUT_OF_SCOPE_INTENTS
        predicted_oos = prediction.intent in OUT_OF_SCOPE_INTENTS
        intent_ok = prediction.intent == example.intent or (gold_oos and predicted_oos)
        self.intent_correct += intent_ok
        service_ok = True
        if example.services:
            self.service_messages += 1
            service_ok = prediction.services == example.services
            self.service_correct += service_ok
        elif prediction.services:
            self.spurious_services += 1
            service_ok = False
        self.oos_true_positive += gold_oos and predicted_oos
        self.oos_false_positive += predicted_oos and not gold_oos
        self.oos_false_negative += gold_oos and not predicted_oos
        if not (intent_ok and service_ok):
            self.misses.append({"text": example.text, "intent": example.intent,
                                "services": sorted(example.services),
                                "predicted_intent": prediction.intent,
                                "confidence": round(prediction.confidence, 3),
                                "predicted_services": sorted(prediction.services)})

    def figures(self) -> dict[str, Any]:
        """Return the figures as a plain dict."""
        return {"messages": self.messages, "intent_accuracy": self.intent_accuracy,
                "service_messages": self.service_messages, "service_accuracy": self.service_accuracy,
                "messages_with_spurious_service": self.spurious_services,
                "out_of_scope_precision": self.oos_precision, "out_of_scope_recall": self.oos_recall}


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def held_out_files(set_name: str) -> list[Path]:
    """Return the files of one part of the held-out set ("development" or "final")."""
    return sorted(HELD_OUT_DIR.glob(HELD_OUT_SETS[set_name]))


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Read held-out examples; the language is the file name's suffix (``test_zh.yml``)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples = []
    for path in sorted(paths):
        language = path.stem.rsplit("_", 1)[-1]
        for message in RasaYAMLReader().read(path).intent_examples:
            services = {str(e["value"]) for e in message.get("entities") or [] if e["entity"] == "service"}
            example = Example(message.get("text"), language, message.get("intent"), frozenset(services))
            examples.append(example)
    return examples


def score(examples: Sequence[Example], predictions: Sequence[Prediction]) -> dict[str, LanguageScores]:
    """Score predictions per language and overall (key ``all``)."""
    scores: dict[str, LanguageScores] = {"all": LanguageScores()}
    for example, prediction in zip(examples, predictions, strict=True):
        scores.setdefault(example.language, LanguageScores()).add(example, prediction)
        scores["all"].add(example, prediction)
    return scores


async def parse_all(model: Path, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Parse texts with a model loaded in this process."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def format_scores(scores: dict[str, LanguageScores]) -> str:
    """Return a table of the figures."""
    header = f"{'':6}{'messages':>9}{'intent acc':>12}{'service acc':>13}{'OOS prec':>10}{'OOS recall':>12}"
    lines = [header]
    for name, s in scores.items():
        lines.append(f"{name:6}{s.messages:>9}{s.intent_accuracy:>12.3f}{s.service_accuracy:>13.3f}"
                     f"{s.oos_precision:>10.3f}{s.oos_recall:>12.3f}")
    return "\n".join(lines)


def evaluate_command(settings: Settings, model: Optional[str], report: Optional[str]) -> int:
    """`python -m bot evaluate`: print the figures for a model (default: the current one)."""
    from bot.training import current_model, latest_model

    current = current_model(settings.models_dir, settings.assistant_dir)
    path = Path(model) if model else (current or latest_model(settings.models_dir))
    if path is None or not path.is_file():
        print("No model found: run `python -m bot train` first.", file=sys.stderr)
        return 1
    results = evaluate_model(path)
    print(f"Model: {path}")
    for set_name, scores in results.items():
        print(f"\nHeld-out {set_name} set:\n{format_scores(scores)}")
        for language, s in scores.items():
            if language != "all":
                common = Counter((m["intent"], m["predicted_intent"]) for m in s.misses).most_common(3)
                print(f"{language}: {len(s.misses)} misses; commonest (gold, predicted): {common}")
    if report:
        Path(report).write_text(json.dumps(
            {"model": str(path),
             "figures": {n: {k: v.figures() for k, v in sc.items()} for n, sc in results.items()},
             "misses": {n: {k: v.misses for k, v in sc.items() if k != "all"} for n, sc in results.items()}},
            ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def evaluate_model(model: Path) -> dict[str, dict[str, LanguageScores]]:
    """Score a model on each part of the held-out set."""
    sets = {name: load_examples(held_out_files(name)) for name in HELD_OUT_SETS}
    texts = [e.text for examples in sets.values() for e in examples]
    predictions = iter([Prediction.from_parse(p) for p in asyncio.run(parse_all(model, texts))])
    return {name: score(examples, [next(predictions) for _ in examples]) for name, examples in sets.items()}

