"""Training progress, for operators: how far a running ``rasa train`` is, from its log.

:func:`read_training_log` follows the log (components started and finished,
epochs, the saved model, errors, how long each stage took);
:func:`training_plan` weighs the stages from the assistant's ``config.yml``
(or the last run's measured seconds stand in); :func:`estimate_progress` turns
both into a fraction done and a stage to show. :func:`read_log` and
:func:`log_lines` read a log as a terminal shows it (progress bars redraw
their line). Used by :mod:`bot.operators.models`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Optional

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
_STARTED = re.compile(r"Starting to train component '([^']+)'")
_FINISHED = re.compile(r"(?:Finished training component|Restored component) '([^']+)'")
_EPOCH = re.compile(r"Epochs:\s*(\d+)%\|[^|]*\|\s*(\d+)/(\d+)")
_SAVED = re.compile(r"Your Rasa model is trained and saved at '([^']+)'")
_ERROR = re.compile(r"(Error|Exception|ERROR)\b")
#: Weight of a stage without epochs in the progress estimate (roughly seconds).
STAGE_WEIGHT = 3.0
#: Stage weights before the first and after the last component.
VALIDATION_WEIGHT, SAVING_WEIGHT = 15.0, 3.0
#: Epochs of components that train in epochs when the config does not say (Rasa's defaults).
DEFAULT_EPOCHS = {"DIETClassifier": 300, "ResponseSelector": 300, "TEDPolicy": 1, "UnexpecTEDIntentPolicy": 1}


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def read_log(path: Path) -> str:
    """Read a log as written, carriage returns kept (text mode would turn them into new lines)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def log_lines(text: str) -> list[str]:
    """Split a log as a terminal shows it: progress bars redraw their line (carriage returns).

    Colour codes are removed; of a redrawn line only the last drawing is kept.
    """
    lines = []
    for line in _ANSI.sub("", text).split("\n"):
        shown = [part for part in line.split("\r") if part.strip()]
        lines.append(shown[-1] if shown else line.strip("\r"))
    return lines


def training_plan(config: Mapping[str, Any]) -> dict[str, float]:
    """Estimate the stages of a training run and their weights from a Rasa config.

    Components that train in epochs weigh by their epochs (NLU components'
    epochs are slower than policies'); other trained components a little;
    tokenizers, the fallback classifier and components named by module path
    (which usually train nothing) are left out. The real run may differ:
    stages not planned are added as they appear.

    Returns:
        Stage key (component name, ``#2`` for a second one of a kind) -> weight.

    """
    plan: dict[str, float] = {}
    for part, factor in (("policies", 1.0), ("pipeline", 2.5)):
        for component in config.get(part) or []:
            name = str(component.get("name", ""))
            if not name or "." in name or name.endswith("Tokenizer") or name == "FallbackClassifier":
                continue
            epochs = component.get("epochs", DEFAULT_EPOCHS.get(name))
            plan[_stage_key(name, plan)] = STAGE_WEIGHT + (factor * float(epochs) if epochs else 0.0)
    return plan


def _stage_key(name: str, taken: Mapping[str, Any]) -> str:
    key, number = name, 1
    while key in taken:
        number += 1
        key = f"{name}#{number}"
    return key


@dataclass
class LogProgress:
    """What a training log says so far."""

    started: list[str] = field(default_factory=list)
    finished: int = 0
    epoch: Optional[tuple[int, int]] = None
    saved_model: Optional[str] = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    error: Optional[str] = None


def read_training_log(text: str) -> LogProgress:
    """Follow a ``rasa train`` log: components started and finished, epochs, the saved model.

    Also measures how long each stage took (from the log's timestamps), to
    weigh the stages of the next run.
    """
    progress = LogProgress()
    first_time: Optional[datetime] = None
    started_at: Optional[datetime] = None
    for line in log_lines(text):
        found = _TIME.match(line)
        when = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S") if found else None
        first_time = first_time or when
        if (match := _STARTED.search(line)) is not None:
            key = _stage_key(match.group(1), dict.fromkeys(progress.started))
            if not progress.started and when and first_time:
                progress.stage_seconds["validation"] = (when - first_time).total_seconds()
            progress.started.append(key)
            progress.epoch, started_at = None, when
        elif (match := _FINISHED.search(line)) is not None:
            if len(progress.started) == progress.finished:  # restored from the cache: never "started"
                progress.started.append(_stage_key(match.group(1), dict.fromkeys(progress.started)))
                started_at = when
            if when and started_at:
                progress.stage_seconds[progress.started[-1]] = (when - started_at).total_seconds()
            progress.finished += 1
            progress.epoch = None
        elif (match := _EPOCH.search(line)) is not None:
            progress.epoch = (int(match.group(2)), int(match.group(3)))
        elif (match := _SAVED.search(line)) is not None:
            progress.saved_model = Path(match.group(1)).name
        error = _ERROR.search(line)
        if error and "Warning" not in line and not line.startswith("Error: training failed"):
            start = line.rfind("]", 0, error.start()) + 1 if _EPOCH.search(line) else 0  # after a bar
            progress.error = line[start:].strip()[:300]
    return progress


def estimate_progress(progress: LogProgress, plan: Mapping[str, float]) -> tuple[float, str]:
    """Return the fraction done (0..1) and the stage, for people, of a running training.

    Args:
        progress: What the log says so far.
        plan: Stage weights (:func:`training_plan`, or the last run's measured seconds).

    """
    weights = {"validation": plan.get("validation", VALIDATION_WEIGHT), **plan,
               "saving": plan.get("saving", SAVING_WEIGHT)}
    for key in progress.started:
        weights.setdefault(key, STAGE_WEIGHT)
    done = 0.0
    if progress.started:
        done += weights["validation"]
    done += sum(weights[key] for key in progress.started[:progress.finished])
    running = progress.started[progress.finished:]
    stage = "validating the domain and training data"
    if running:
        name = running[0].split("#")[0]
        if progress.epoch is not None and progress.epoch[1]:
            done += weights[running[0]] * progress.epoch[0] / progress.epoch[1]
            stage = f"{name} epoch {progress.epoch[0]}/{progress.epoch[1]}"
        else:
            stage = f"training {name}"
    elif progress.saved_model:
        done, stage = sum(weights.values()), f"saved {progress.saved_model}"
    elif progress.started and set(plan) - {"validation", "saving"} <= set(progress.started):
        stage = "saving the model"
    elif progress.started:
        stage = f"finished {progress.started[-1].split('#')[0]}"
    total = sum(weights.values())
    return min(max(_ratio(done, total), 0.0), 0.99 if not progress.saved_model else 1.0), stage
