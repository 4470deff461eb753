"""Scoring models on the held-out test set, for operators: per-intent and per-service figures.

An :class:`Evaluation` is a model's precision, recall and F1 per intent and
per service (weighted F1 over them) and :mod:`bot.evaluation`'s figures per
part of the held-out set and language; :func:`compare_evaluations` tells
whether a candidate model is worse than the current one (a :class:`Comparison`,
with the messages whose prediction changed). :func:`held_out_digest` tells
whether a cached evaluation was made on the current held-out set.
Used by :mod:`bot.operators.models`; loads no model (no TensorFlow).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from bot.evaluation import HELD_OUT_SETS, OUT_OF_SCOPE_INTENTS, Example, Prediction, held_out_files, score

#: The candidate is worse when its weighted F1 (intents or services) is lower by more than this.
WORSE_MARGIN = 0.005
#: The intent a prediction of ``nlu_fallback`` counts as (both mean "not understood").
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of one intent or service; support: how many test messages have it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """A model's figures on the held-out test set.

    ``predictions`` has one dict per test message: ``text``, ``language``,
    ``set`` (development or final), ``expected_intent``, ``predicted_intent``,
    ``confidence``, ``expected_services`` and ``predicted_services``.
    ``figures`` are :mod:`bot.evaluation`'s per part of the held-out set and
    language (intent and service accuracy, out-of-scope precision and recall).
    """

    model: str
    intents: dict[str, Scores]
    services: dict[str, Scores]
    intent_f1: float
    service_f1: float
    intent_accuracy: float
    examples: int
    predictions: list[dict[str, Any]]
    confusion_png: Path
    evaluated_at: Optional[datetime] = None
    evaluated_by: Optional[str] = None
    held_out_digest: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as JSON-ready data."""
        return {
            "model": self.model,
            "intents": {name: asdict(s) for name, s in self.intents.items()},
            "services": {name: asdict(s) for name, s in self.services.items()},
            "intent_f1": self.intent_f1, "service_f1": self.service_f1,
            "intent_accuracy": self.intent_accuracy, "examples": self.examples,
            "predictions": self.predictions, "confusion_png": str(self.confusion_png),
            "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
            "evaluated_by": self.evaluated_by, "held_out_digest": self.held_out_digest,
            "figures": self.figures,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Evaluation":
        """Rebuild an evaluation from :meth:`to_dict`'s data."""
        return cls(
            model=str(data["model"]),
            intents={name: Scores(**s) for name, s in data["intents"].items()},
            services={name: Scores(**s) for name, s in data["services"].items()},
            intent_f1=float(data["intent_f1"]), service_f1=float(data["service_f1"]),
            intent_accuracy=float(data["intent_accuracy"]), examples=int(data["examples"]),
            predictions=list(data["predictions"]), confusion_png=Path(data["confusion_png"]),
            evaluated_at=_parse_time(data.get("evaluated_at")), evaluated_by=data.get("evaluated_by"),
            held_out_digest=str(data.get("held_out_digest") or ""), figures=dict(data.get("figures") or {}),
        )


@dataclass(frozen=True)
class Comparison:
    """A candidate model against the current one, on the same held-out set.

    ``changed`` has one dict per message whose prediction differs: ``text``,
    ``language``, ``expected`` (intent), ``expected_services``, ``current`` and
    ``candidate`` (predicted intents), ``current_services``,
    ``candidate_services``, and ``better``: True when only the candidate is
    right, False when only the current model is, None otherwise.
    """

    current: Evaluation
    candidate: Evaluation
    changed: list[dict[str, Any]]
    worse: bool
    reasons: list[str]


def _now() -> datetime:
    return datetime.now().astimezone()


def _parse_time(value: Any) -> Optional[datetime]:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _scores(true_positive: int, false_positive: int, false_negative: int) -> Scores:
    precision = _ratio(true_positive, true_positive + false_positive)
    recall = _ratio(true_positive, true_positive + false_negative)
    return Scores(precision, recall, _ratio(2 * precision * recall, precision + recall),
                  true_positive + false_negative)


def scored_intent(intent: str) -> str:
    """Return the intent a prediction counts as: ``nlu_fallback`` counts as ``out_of_scope``."""
    return OUT_OF_SCOPE if intent in OUT_OF_SCOPE_INTENTS else intent


def intent_scores(expected: Sequence[str], predicted: Sequence[str]) -> dict[str, Scores]:
    """Per-intent precision, recall and F1 (one intent per message).

    Args:
        expected: The annotated intent of each message.
        predicted: The predicted intent of each message (``nlu_fallback`` counts as ``out_of_scope``).

    Returns:
        Scores of every intent expected or predicted, sorted by name.

    """
    pairs = [(e, scored_intent(p)) for e, p in zip(expected, predicted, strict=True)]
    labels = sorted({label for pair in pairs for label in pair})
    return {label: _scores(sum(e == label and p == label for e, p in pairs),
                           sum(e != label and p == label for e, p in pairs),
                           sum(e == label and p != label for e, p in pairs)) for label in labels}


def service_scores(expected: Sequence[frozenset[str]],
                   predicted: Sequence[frozenset[str]]) -> dict[str, Scores]:
    """Per-service precision, recall and F1 (any number of services per message).

    A service found in a message counts as a true positive when annotated, as
    a false positive when not; an annotated service not found is a false negative.
    """
    pairs = list(zip(expected, predicted, strict=True))
    labels = sorted({s for e, p in pairs for s in e | p})
    return {label: _scores(sum(label in e and label in p for e, p in pairs),
                           sum(label not in e and label in p for e, p in pairs),
                           sum(label in e and label not in p for e, p in pairs)) for label in labels}


def weighted_f1(scores: Mapping[str, Scores]) -> float:
    """Return the F1 averaged over labels weighted by support (labels never expected weigh nothing)."""
    return _ratio(sum(s.f1 * s.support for s in scores.values()), sum(s.support for s in scores.values()))


def build_evaluation(model: str, predictions: Sequence[Mapping[str, Any]], confusion_png: Path,
                     evaluated_by: Optional[str] = None, held_out_digest: str = "") -> Evaluation:
    """Score predictions on the held-out set.

    Args:
        model: The model's file name.
        predictions: One dict per message (see :class:`Evaluation`; ``set`` and ``confidence`` optional).
        confusion_png: Where the confusion matrix image is (or will be).
        evaluated_by: Who asked for the evaluation.
        held_out_digest: :func:`held_out_digest` of the set the predictions were made on.

    Returns:
        The evaluation.

    """
    rows: list[dict[str, Any]] = [
        {"text": str(p["text"]), "language": str(p["language"]), "set": str(p.get("set", "")),
         "expected_intent": str(p["expected_intent"]), "predicted_intent": str(p["predicted_intent"]),
         "confidence": round(float(p.get("confidence", 0.0)), 4),
         "expected_services": sorted(p["expected_services"]),
         "predicted_services": sorted(p["predicted_services"])} for p in predictions]
    intents = intent_scores([r["expected_intent"] for r in rows], [r["predicted_intent"] for r in rows])
    services = service_scores([frozenset(r["expected_services"]) for r in rows],
                              [frozenset(r["predicted_services"]) for r in rows])
    correct = sum(r["expected_intent"] == scored_intent(r["predicted_intent"]) for r in rows)
    figures: dict[str, Any] = {}
    for set_name in dict.fromkeys(r["set"] for r in rows):
        part = [r for r in rows if r["set"] == set_name]
        examples = [Example(r["text"], r["language"], r["expected_intent"], frozenset(r["expected_services"]))
                    for r in part]
        guesses = [Prediction(r["predicted_intent"], r["confidence"], frozenset(r["predicted_services"]))
                   for r in part]
        scores = score(examples, guesses)
        figures[set_name or "all"] = {language: s.figures() for language, s in scores.items()}
    return Evaluation(model=model, intents=intents, services=services, intent_f1=weighted_f1(intents),
                      service_f1=weighted_f1(services), intent_accuracy=_ratio(correct, len(rows)),
                      examples=len(rows), predictions=rows, confusion_png=confusion_png,
                      evaluated_at=_now(), evaluated_by=evaluated_by, held_out_digest=held_out_digest,
                      figures=figures)


def compare_evaluations(current: Evaluation, candidate: Evaluation) -> Comparison:
    """Compare two evaluations on the same held-out set.

    The candidate is worse when its weighted intent F1 or weighted service F1
    is lower than the current model's by more than :data:`WORSE_MARGIN`.
    """
    reasons = []
    for what, now, then in (("intent F1", current.intent_f1, candidate.intent_f1),
                            ("service F1", current.service_f1, candidate.service_f1)):
        if then < now - WORSE_MARGIN:
            reasons.append(f"weighted {what} falls from {now:.3f} to {then:.3f}")

    def key(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
        return row.get("set", ""), row["language"], row["text"], row["expected_intent"]

    def right(row: Mapping[str, Any]) -> bool:
        return (scored_intent(row["predicted_intent"]) == row["expected_intent"]
                and sorted(row["predicted_services"]) == sorted(row["expected_services"]))

    theirs = {key(row): row for row in current.predictions}
    changed = []
    for new in candidate.predictions:
        old = theirs.get(key(new))
        if old is None or (old["predicted_intent"] == new["predicted_intent"]
                           and sorted(old["predicted_services"]) == sorted(new["predicted_services"])):
            continue
        better = None if right(old) == right(new) else right(new)
        changed.append({"text": new["text"], "language": new["language"], "expected": new["expected_intent"],
                        "expected_services": new["expected_services"], "current": old["predicted_intent"],
                        "candidate": new["predicted_intent"], "current_services": old["predicted_services"],
                        "candidate_services": new["predicted_services"], "better": better})
    return Comparison(current=current, candidate=candidate, changed=changed, worse=bool(reasons),
                      reasons=reasons)


def held_out_digest(paths: Optional[Sequence[Path]] = None) -> str:
    """Return a hash of the held-out test set (every part), to tell whether a cached evaluation is current."""
    files = paths if paths is not None else [p for name in HELD_OUT_SETS for p in held_out_files(name)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
