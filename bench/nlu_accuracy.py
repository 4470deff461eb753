"""NLU accuracy on the held-out test set, and the comparison that chose the pipeline.

Default: the figures of the current model (service accuracy per language,
intent accuracy, out-of-scope precision and recall) against the targets.
``--compare`` also trains NLU-only models with alternative pipelines in a
temporary folder and prints the same figures with training time for each.

Run: ``.venv/bin/python -m bench.nlu_accuracy [--compare]``
(the comparison takes about 3 minutes per pipeline).
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.evaluation import LanguageScores, evaluate_model, format_scores
from bot.settings import PROJECT_DIR, get_settings
from bot.training import train


def _ours() -> list[dict[str, Any]]:
    config = yaml.safe_load((PROJECT_DIR / "config.yml").read_text(encoding="utf-8"))
    return list(config["pipeline"])


def _replace(pipeline: list[dict[str, Any]], name: str, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for component in pipeline:
        out.extend(new if component["name"] == name else [component])
    return out


def _without_char_ngrams(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in pipeline if c.get("analyzer") != "char_wb"]


def alternatives() -> dict[str, list[dict[str, Any]]]:
    """The pipelines compared: ours and what each of its choices is weighed against."""
    ours = _ours()
    tokenizer = "bot.nlu.tokenizer.LexiconJiebaTokenizer"
    return {
        "ours: lexicon Jieba + words + char 1-4": ours,
        "Rasa JiebaTokenizer + words + char 1-4": _replace(ours, tokenizer, [{"name": "JiebaTokenizer"}]),
        "lexicon Jieba + words only": _without_char_ngrams(ours),
        "whitespace tokens + char 1-4": _replace(ours, tokenizer, [{"name": "WhitespaceTokenizer"}]),
    }


def train_nlu(pipeline: list[dict[str, Any]], folder: Path) -> tuple[Path, float]:
    """Train an NLU-only model with a pipeline; return it and the training seconds."""
    config = yaml.safe_load((PROJECT_DIR / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = copy.deepcopy(pipeline)
    if any(c["name"] == "WhitespaceTokenizer" for c in pipeline):
        config["language"] = "en"  # Rasa refuses WhitespaceTokenizer for "zh"; the data is the same
    config_path = folder / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config_path),
                    "--nlu", "data/nlu", "--out", str(folder), "--fixed-model-name", "nlu"],
                   cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return folder / "nlu.tar.gz", time.perf_counter() - started


def _together(results: dict[str, dict[str, LanguageScores]]) -> dict[str, LanguageScores]:
    """Merge the held-out parts' scores language by language."""
    merged: dict[str, LanguageScores] = {}
    for scores in results.values():
        for language, part in scores.items():
            total = merged.setdefault(language, LanguageScores())
            for name in ("messages", "intent_correct", "service_messages", "service_correct",
                         "spurious_services", "oos_true_positive", "oos_false_positive",
                         "oos_false_negative"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
    return merged


def print_targets(scores: dict[str, LanguageScores]) -> None:
    checks = [
        ("service accuracy zh", scores["zh"].service_accuracy, 0.95),
        ("service accuracy en", scores["en"].service_accuracy, 0.95),
        ("out-of-scope precision", scores["all"].oos_precision, 0.90),
        ("out-of-scope recall", scores["all"].oos_recall, 0.90),
    ]
    for name, value, target in checks:
        verdict = "met" if value >= target else "NOT met"
        print(f"  {name:<24} {value:.3f}  (target >= {target:.2f}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also train and score alternative pipelines")
    parser.add_argument("--only", default="", help="with --compare: only pipelines whose name contains this")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

    model = train(get_settings().models_dir)
    print(f"Current model {model.name}")
    for set_name, scores in evaluate_model(model).items():
        print(f"\nHeld-out {set_name} set:\n{format_scores(scores)}")
        print_targets(scores)
    if not args.compare:
        return
    print("\nPipeline comparison (NLU-only models, same data; held-out development + final sets together):")
    print(f"{'pipeline':<42}{'train s':>8}{'svc zh':>8}{'svc en':>8}{'intent':>8}{'OOS P':>7}{'OOS R':>7}")
    for name, pipeline in alternatives().items():
        if args.only not in name:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-nlu-") as scratch:
            nlu_model, seconds = train_nlu(pipeline, Path(scratch))
            s = _together(evaluate_model(nlu_model))
        print(f"{name:<42}{seconds:>8.0f}{s['zh'].service_accuracy:>8.3f}{s['en'].service_accuracy:>8.3f}"
              f"{s['all'].intent_accuracy:>8.3f}{s['all'].oos_precision:>7.3f}{s['all'].oos_recall:>7.3f}",
              flush=True)


if __name__ == "__main__":
    main()
