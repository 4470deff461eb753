"""Models for operators: list, retrain, evaluate, compare, deploy and roll back.

Everything heavy runs in a child process, so the caller (the web console's
server, or ``python -m bot operator``) never loads TensorFlow:

- training is ``python -m bot train --force`` (with ``ASSISTANT_DIR`` and
  ``MODELS_DIR``), run by a small watcher process (``python -m
  bot.operators.models train …``) that records the outcome; the model the
  Rasa server runs keeps serving meanwhile;
- an evaluation is ``python -m bot.operators.models evaluate MODEL …``, which
  parses the held-out test set (``tests/nlu``: the development and the final
  part, see :mod:`bot.evaluation`) with the model and writes the figures and a
  confusion matrix;
- cross-validation is ``rasa test nlu --cross-validation``, only on request.

What survives a restart lives under ``DATA_DIR/operator/``:

- ``training.json`` (state), ``training.lock`` (the watcher's pid: one
  training at a time, across processes) and ``training.log`` (Rasa's output);
- ``evaluations/<model>.json`` and ``.png`` (cached evaluations; a cache made
  on another version of the held-out set is not used), ``.log`` (output);
- ``deployments.json``: every deployment and rollback, oldest first, only
  ever appended to; ``python -m bot run`` starts the Rasa server with the last
  deployed model.

Deploying and rolling back load the model into every Rasa server, one after
the other, with ``PUT /model`` (:mod:`bot.operators.deployment`); the current
model keeps answering meanwhile. The deployment is recorded only once every
server's ``GET /status`` names the new model; when one cannot load it, the
others are put back on the model they ran and nothing is recorded.

Scoring an evaluation and comparing two is :mod:`bot.operators.scoring`;
following a training's log is :mod:`bot.operators.training_progress`.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import yaml

from bot.evaluation import HELD_OUT_SETS, Prediction, held_out_files
from bot.operators.accounts import Accounts, operator_database_url
from bot.operators.deployment import first_answer, rasa_servers, roll_out, serving

# The names code and tests import from here are re-exported (``X as X``), those of scoring and
# training progress (their own modules now) and ModelError.
from bot.operators.errors import ModelError as ModelError
from bot.operators.scoring import Comparison as Comparison
from bot.operators.scoring import Evaluation as Evaluation
from bot.operators.scoring import Scores as Scores
from bot.operators.scoring import _now, _parse_time, scored_intent
from bot.operators.scoring import build_evaluation as build_evaluation
from bot.operators.scoring import compare_evaluations as compare_evaluations
from bot.operators.scoring import held_out_digest as held_out_digest
from bot.operators.scoring import intent_scores as intent_scores
from bot.operators.scoring import service_scores as service_scores
from bot.operators.scoring import weighted_f1 as weighted_f1
from bot.operators.training_progress import SAVING_WEIGHT, read_log
from bot.operators.training_progress import estimate_progress as estimate_progress
from bot.operators.training_progress import log_lines as log_lines
from bot.operators.training_progress import read_training_log as read_training_log
from bot.operators.training_progress import training_plan as training_plan
from bot.settings import PROJECT_DIR, Settings

#: Characters an override reason needs at least.
MIN_OVERRIDE_REASON = 5
#: Seconds an evaluation (loading the model, parsing the held-out set) may take.
EVALUATION_TIMEOUT = 1800.0
#: Lines of the training log shown with a status.
LOG_TAIL_LINES = 20
MODEL_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ModelInfo:
    """A trained model in the models folder."""

    name: str
    path: Path
    trained_at: datetime
    size_mb: float
    deployed: bool
    evaluated: bool


@dataclass(frozen=True)
class TrainingStatus:
    """The last (or current) training run started by an operator."""

    state: str  # "idle" | "running" | "succeeded" | "failed"
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    progress: float
    stage: str
    model: Optional[str]
    log_tail: str
    started_by: Optional[str]


class DeployRefused(Exception):
    """The candidate is worse than the deployed model and no override reason was given.

    Not a :class:`ModelError`: the comparison (``comparison``) is for the operator to read.
    """

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(
            f"{comparison.candidate.model} is worse than the deployed {comparison.current.model}: "
            + "; ".join(comparison.reasons)
            + f". Deploy it anyway only with a reason (at least {MIN_OVERRIDE_REASON} characters).")
        self.comparison = comparison


# --- files and processes -----------------------------------------------------------------------

def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _read_dict(path: Path) -> dict[str, Any]:
    data = _read_json(path, {})
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, path)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (``flock``) on a file: one writer at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pid_alive(pid: Optional[int]) -> bool:
    """Whether a process runs (a finished child not yet waited for counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _read_pid(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _claim(path: Path) -> bool:
    """Create a pid file if no live process holds it; return whether this process now holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if pid_alive(_read_pid(path)):
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left by a process that is gone
            continue
        with os.fdopen(descriptor, "w") as handle:
            handle.write(str(os.getpid()))
        return True
    return False


def _reap_in_background(process: "subprocess.Popen[bytes]") -> None:
    """Wait for a child in a thread, so a finished one does not linger as a zombie."""
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()


def _child_env(settings: Settings, **extra: str) -> dict[str, str]:
    python_path = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": python_path, "RASA_TELEMETRY_ENABLED": "false",
            "ASSISTANT_DIR": str(settings.assistant_dir), "MODELS_DIR": str(settings.models_dir),
            "DATA_DIR": str(settings.data_dir), **extra}


def model_trained_at(path: Path) -> datetime:
    """When a model was trained: from Rasa's file name (``20261122-194300-…``), else the file's time."""
    try:
        return datetime.strptime(path.name[:15], "%Y%m%d-%H%M%S").astimezone()
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime).astimezone()


def deployments_file(settings: Settings) -> Path:
    """The deployment history (JSON list, oldest first)."""
    return settings.data_dir / "operator" / "deployments.json"


def last_deployed_model(settings: Settings) -> Optional[Path]:
    """Return the model operators deployed (or rolled back to) last, if it is still in the models folder."""
    records = _read_json(deployments_file(settings), [])
    last = records[-1] if isinstance(records, list) and records else None
    name = str(last.get("to") or "") if isinstance(last, dict) else ""
    path = settings.models_dir / name
    return path if name and path.is_file() else None


# --- the registry ------------------------------------------------------------------------------

class ModelRegistry:
    """The models in ``models_dir`` and what operators do with them.

    Args:
        settings: Where models, the assistant folder, the data folder and the Rasa servers are.
        train_command: The training command (default ``python -m bot train --force``); tests use
            a stand-in.
        python: The Python that runs child processes.

    """

    def __init__(self, settings: Settings, *, train_command: Optional[Sequence[str]] = None,
                 python: str = sys.executable) -> None:
        self.settings = settings
        self.python = python
        self.train_command = list(train_command or [python, "-m", "bot", "train", "--force"])
        self.operator_dir = settings.data_dir / "operator"
        self.evaluations_dir = self.operator_dir / "evaluations"
        self.training_file = self.operator_dir / "training.json"
        self.training_lock = self.operator_dir / "training.lock"
        self.training_log = self.operator_dir / "training.log"
        self.deployments_file = deployments_file(settings)
        self.accounts = Accounts(operator_database_url(settings))
        #: The Rasa servers deployments go to, in order (``settings.rasa_server_urls``).
        self.servers = rasa_servers(settings)

    # models

    def models(self) -> list[ModelInfo]:
        """Return the models in ``models_dir``, newest first, the deployed one marked."""
        deployed = self.deployed_name()
        return self._infos(deployed)

    def _infos(self, deployed: Optional[str]) -> list[ModelInfo]:
        digest = held_out_digest()
        paths = self.settings.models_dir.glob(f"*{MODEL_SUFFIX}")
        infos = [self._info(path, deployed, digest) for path in paths]
        return sorted(infos, key=lambda info: (info.trained_at, info.name), reverse=True)

    def _info(self, path: Path, deployed: Optional[str], digest: str) -> ModelInfo:
        return ModelInfo(name=path.name, path=path, trained_at=model_trained_at(path),
                         size_mb=round(path.stat().st_size / 1e6, 1), deployed=path.name == deployed,
                         evaluated=self._cached_evaluation(path.name, digest) is not None)

    def model_path(self, model: str) -> Path:
        """Return the file of a model given by file name, name without ``.tar.gz``, or path.

        Raises:
            ModelError: There is no such model.

        """
        candidates = [self.settings.models_dir / model, self.settings.models_dir / f"{model}{MODEL_SUFFIX}"]
        if os.sep in model:
            candidates.insert(0, Path(model))
        for path in candidates:
            if path.name.endswith(MODEL_SUFFIX) and path.is_file():
                return path.resolve()
        raise ModelError(f"There is no model {model!r} in {self.settings.models_dir}.")

    def deployed_name(self) -> Optional[str]:
        """The file name of the model the Rasa servers run, else of the last one deployed, else None.

        The first server that answers with a model says which.
        """
        running = first_answer(self.servers)
        if running:
            return running
        last = last_deployed_model(self.settings)
        return last.name if last else None

    def deployed(self) -> Optional[ModelInfo]:
        """The model the Rasa server runs now (``GET /status``; else the last deployed), if in models_dir."""
        name = self.deployed_name()
        path = self.settings.models_dir / name if name else None
        if path is None or not path.is_file():
            return None
        return self._info(path, name, held_out_digest())

    # training

    def start_training(self, who: str) -> TrainingStatus:
        """Start training a model from the assistant folder in the background.

        The Rasa server keeps serving the current model. Rasa's output goes to
        ``training.log``; the state survives a restart of the caller.

        Raises:
            ModelError: A training is already running (started from anywhere).

        """
        if not _claim(self.training_lock):
            status = self.training_status()
            raise ModelError(f"A training started by {status.started_by or 'someone'} is already running "
                             f"({status.stage}, {status.progress:.0%}); wait until it ends.")
        state = {"state": "running", "started_at": _now().isoformat(), "finished_at": None, "model": None,
                 "started_by": who, "exit_code": None,
                 # the stages' seconds measured in the last successful run weigh the progress
                 "stage_seconds": _read_dict(self.training_file).get("stage_seconds") or {}}
        try:
            _write_json(self.training_file, state)
            command = [self.python, "-m", "bot.operators.models", "train", "--operator-dir",
                       str(self.operator_dir), "--models-dir", str(self.settings.models_dir), "--",
                       *self.train_command]
            with self.training_log.open("wb") as log:
                process = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=_child_env(self.settings),
                                           start_new_session=True)
            self.training_lock.write_text(str(process.pid))
            _reap_in_background(process)
            self.accounts.record(who, "retrain", {"assistant_dir": str(self.settings.assistant_dir)})
        except BaseException as error:
            with contextlib.suppress(OSError):
                self.training_lock.unlink()
            if isinstance(error, OSError):
                _write_json(self.training_file,
                            {**state, "state": "failed", "finished_at": _now().isoformat()})
                raise ModelError(f"Cannot start training: {error}") from error
            raise
        return self.training_status()

    def training_status(self) -> TrainingStatus:
        """Return the state of the last training: progress and stage from its log while it runs."""
        state = _read_dict(self.training_file)
        if state.get("state") == "running" and not pid_alive(_read_pid(self.training_lock)):
            state = _read_dict(self.training_file)  # it may have finished just now
            if state.get("state") == "running":
                state = {**state, "state": "failed", "finished_at": _now().isoformat(),
                         "error": "the training process stopped without finishing"}
                _write_json(self.training_file, state)
        name = state.get("state") or "idle"
        text = read_log(self.training_log)
        tail = "\n".join(line for line in log_lines(text) if line.strip())
        tail = "\n".join(tail.splitlines()[-LOG_TAIL_LINES:])
        log = read_training_log(text)
        if name == "running":
            plan = state.get("stage_seconds") or training_plan(self._assistant_config())
            progress, stage = estimate_progress(log, plan)
        elif name == "succeeded":
            progress, stage = 1.0, f"finished: {state.get('model')}"
        elif name == "failed":
            progress = estimate_progress(log, training_plan(self._assistant_config()))[0]
            stage = f"failed: {state.get('error') or log.error or 'exit code ' + str(state.get('exit_code'))}"
        else:
            progress, stage = 0.0, "no training started yet"
        return TrainingStatus(state=name, started_at=_parse_time(state.get("started_at")),
                              finished_at=_parse_time(state.get("finished_at")), progress=progress,
                              stage=stage, model=state.get("model"), log_tail=tail,
                              started_by=state.get("started_by"))

    def wait_for_training(self, timeout: float, poll: float = 1.0,
                          on_progress: Optional[Callable[[TrainingStatus], None]] = None) -> TrainingStatus:
        """Wait until the training ends or ``timeout`` seconds pass; return the last status.

        Args:
            timeout: Seconds to wait at most.
            poll: Seconds between looks.
            on_progress: Called with each status whose stage differs from the last one.

        """
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            status = self.training_status()
            if on_progress is not None and status.stage != shown:
                shown = status.stage
                on_progress(status)
            if status.state != "running" or time.monotonic() >= deadline:
                return status
            time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))

    def _assistant_config(self) -> dict[str, Any]:
        try:
            config = yaml.safe_load((self.settings.assistant_dir / "config.yml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return {}
        return config if isinstance(config, dict) else {}

    # evaluation

    def evaluation_file(self, model: str) -> Path:
        """Where the evaluation of a model (file name) is cached; its image is beside it (``.png``)."""
        return self.evaluations_dir / f"{model.removesuffix(MODEL_SUFFIX)}.json"

    def _cached_evaluation(self, model: str, digest: Optional[str] = None) -> Optional[Evaluation]:
        json_file = self.evaluation_file(model)
        data = _read_json(json_file, None)
        if not isinstance(data, dict) or data.get("held_out_digest") != (digest or held_out_digest()):
            return None
        try:
            evaluation = Evaluation.from_dict({**data, "confusion_png": str(json_file.with_suffix(".png"))})
        except (KeyError, TypeError, ValueError):
            return None
        return evaluation if evaluation.confusion_png.is_file() else None

    def evaluate(self, model: str, who: Optional[str] = None) -> Evaluation:
        """Evaluate a model on the held-out test set (cached; computed in a child process).

        Raises:
            ModelError: No such model, or the evaluation failed (the message has the end of its output).

        """
        path = self.model_path(model)
        cached = self._cached_evaluation(path.name)
        if cached is not None:
            return cached
        marker = self.evaluation_file(path.name).with_suffix(".running")
        deadline = time.monotonic() + EVALUATION_TIMEOUT
        process = self._spawn_evaluation(path, who)
        if process is not None:
            try:
                process.wait(timeout=EVALUATION_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        else:  # another process evaluates this model now: wait for it
            while pid_alive(_read_pid(marker)) and time.monotonic() < deadline:
                time.sleep(1.0)
        evaluation = self._cached_evaluation(path.name)
        if evaluation is None:
            log = self.evaluation_file(path.name).with_suffix(".log")
            tail = "\n".join(log_lines(read_log(log))[-15:])
            raise ModelError(f"Evaluating {path.name} failed. The end of its output:\n{tail}")
        return evaluation

    def start_evaluation(self, model: str, who: Optional[str] = None) -> None:
        """Start evaluating a model in the background (nothing to do when done or running)."""
        path = self.model_path(model)
        if self._cached_evaluation(path.name) is None:
            process = self._spawn_evaluation(path, who)
            if process is not None:
                _reap_in_background(process)

    def evaluation_status(self, model: str) -> str:
        """Return ``running``, ``done`` (a current cached evaluation), ``failed`` or ``none``."""
        path = self.model_path(model)
        json_file = self.evaluation_file(path.name)
        running = json_file.with_suffix(".running")
        if running.exists() and pid_alive(_read_pid(running)):
            return "running"
        if self._cached_evaluation(path.name) is not None:
            return "done"
        if json_file.with_suffix(".failed").exists() or running.exists():
            return "failed"
        return "none"

    def _spawn_evaluation(self, path: Path, who: Optional[str]) -> Optional["subprocess.Popen[bytes]"]:
        """Start the evaluation child process, or return None when one runs already."""
        json_file = self.evaluation_file(path.name)
        marker = json_file.with_suffix(".running")
        if not _claim(marker):
            return None
        try:
            with contextlib.suppress(FileNotFoundError):
                json_file.with_suffix(".failed").unlink()
            command = [self.python, "-m", "bot.operators.models", "evaluate", str(path),
                       "--out", str(json_file), "--png", str(json_file.with_suffix(".png")),
                       "--marker", str(marker)]
            if who:
                command += ["--who", who]
            with json_file.with_suffix(".log").open("wb") as log:
                process = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=_child_env(self.settings),
                                           start_new_session=True)
            marker.write_text(str(process.pid))
        except BaseException:
            with contextlib.suppress(OSError):
                marker.unlink()
            raise
        return process

    def cross_validate(self, folds: int = 3) -> dict[str, Any]:
        """Cross-validate the NLU on the assistant folder's training data (slow: ``folds`` trainings).

        Runs ``rasa test nlu --cross-validation`` in a child process (its
        output in ``cross-validation/<time>/output.log``); the summary is also
        kept in ``cross-validation.json``.

        Returns:
            ``folds``, ``intent`` (weighted ``precision``, ``recall``, ``f1``, ``accuracy``, ``support``
            over the held-back folds), ``entities`` (the same per entity extractor, e.g.
            ``DIETClassifier``, ``ServiceResolver``), ``per_fold`` (the intents' test figures:
            [mean, standard deviation] over the folds), ``report_dir``, ``finished_at``.

        Raises:
            ModelError: Fewer than two folds, or the run failed.

        """
        if folds < 2:
            raise ModelError("Cross-validation needs at least 2 folds.")
        out = self.operator_dir / "cross-validation" / _now().strftime("%Y%m%d-%H%M%S")
        out.mkdir(parents=True, exist_ok=True)
        command = [self.python, "-m", "rasa", "test", "nlu", "--cross-validation", "--folds", str(folds),
                   "--config", "config.yml", "--nlu", "data", "--out", str(out), "--no-plot"]
        with (out / "output.log").open("wb") as log:  # followed while it runs: tail -f
            done = subprocess.run(command, cwd=self.settings.assistant_dir, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=_child_env(self.settings))
        output = read_log(out / "output.log")
        if done.returncode != 0:
            tail = "\n".join(log_lines(output)[-15:])
            raise ModelError(f"Cross-validation failed (exit code {done.returncode}):\n{tail}")
        summary = summarise_cross_validation(out, output, folds)
        _write_json(self.operator_dir / "cross-validation.json", summary)
        return summary

    def last_cross_validation(self) -> Optional[dict[str, Any]]:
        """The summary of the last cross-validation, if any."""
        data = _read_json(self.operator_dir / "cross-validation.json", None)
        return data if isinstance(data, dict) else None

    def compare(self, candidate: str, current: Optional[str] = None) -> Comparison:
        """Compare a candidate with the current model (default: the deployed one); evaluates both if needed.

        Raises:
            ModelError: No current model is known, or an evaluation failed.

        """
        current = current or self.deployed_name()
        if current is None:
            raise ModelError("No model is deployed: name the model to compare with.")
        return compare_evaluations(self.evaluate(current), self.evaluate(candidate))

    # deployment

    def deploy(self, model: str, who: str, override_reason: Optional[str] = None) -> ModelInfo:
        """Make every Rasa server run a model, unless it is worse than the deployed one.

        Both models are evaluated if they were not yet. A worse candidate (see
        :func:`compare_evaluations`) is deployed only with an override reason
        of at least :data:`MIN_OVERRIDE_REASON` characters. The model is loaded
        into one server after the other (:func:`bot.operators.deployment.roll_out`);
        the call returns once every server's ``GET /status`` names it. The
        current model keeps answering during the load (see the module's docstring).
        Deployments and rollbacks run one at a time, across processes.

        Raises:
            DeployRefused: The candidate is worse and there is no (long enough) reason.
            ModelError: No such model, it is deployed already, a Rasa server does not answer,
                or one failed to load it (the others are then back on the model they ran).

        """
        with _file_lock(self.operator_dir / "deploy.lock"):  # one deployment at a time
            path = self._stored_model(model)
            running = serving(self.servers)
            current = self._current(running, path.name)
            reason = (override_reason or "").strip()
            comparison = None
            if current is not None and (self.settings.models_dir / current).is_file():
                comparison = self.compare(path.name, current)
                if comparison.worse and len(reason) < MIN_OVERRIDE_REASON:
                    raise DeployRefused(comparison)
            candidate = comparison.candidate if comparison else self.evaluate(path.name, who)
            # asked again: evaluating may have taken a minute
            roll_out(self.servers, path, serving(self.servers), self.settings.models_dir)
            record: dict[str, Any] = {
                "action": "deploy", "at": _now().isoformat(), "who": who, "from": current, "to": path.name,
                "override_reason": reason if comparison and comparison.worse else None,
                "worse": comparison.worse if comparison else None,
                "reasons": comparison.reasons if comparison else [],
                "intent_f1": round(candidate.intent_f1, 4), "service_f1": round(candidate.service_f1, 4),
                "previous_intent_f1": round(comparison.current.intent_f1, 4) if comparison else None,
                "previous_service_f1": round(comparison.current.service_f1, 4) if comparison else None,
                "servers": [server.url for server in self.servers],
            }
            self._record(record)
            return self._info(path, path.name, held_out_digest())

    def rollback(self, model: str, who: str) -> ModelInfo:
        """Go back to an earlier model in ``models_dir`` (no comparison); recorded like a deployment.

        Loaded into every Rasa server like a deployment (one after the other).

        Raises:
            ModelError: No such model in ``models_dir``, it is deployed already, it is newer than the
                deployed model (deploy it instead), a Rasa server does not answer, or one failed to
                load it (the others are then back on the model they ran).

        """
        with _file_lock(self.operator_dir / "deploy.lock"):  # one deployment at a time
            path = self._stored_model(model)
            running = serving(self.servers)
            current = self._current(running, path.name)
            deployed = self.settings.models_dir / current if current else None
            if deployed is not None and deployed.is_file() and (
                    (model_trained_at(path), path.name) > (model_trained_at(deployed), deployed.name)):
                raise ModelError(f"{path.name} is newer than the deployed {current}: deploy it instead, "
                                 "so that it is compared first.")
            roll_out(self.servers, path, running, self.settings.models_dir)
            self._record({"action": "rollback", "at": _now().isoformat(), "who": who, "from": current,
                          "to": path.name, "override_reason": None, "worse": None, "reasons": [],
                          "servers": [server.url for server in self.servers]})
            return self._info(path, path.name, held_out_digest())

    def _stored_model(self, model: str) -> Path:
        path = self.model_path(model)
        if path.parent != self.settings.models_dir.resolve():
            raise ModelError(f"Only models in {self.settings.models_dir} can be deployed: "
                             f"copy {path.name} there.")
        return path

    @staticmethod
    def _current(running: Sequence[Optional[str]], model: str) -> Optional[str]:
        """The model a deployment of ``model`` replaces: the first server's, or the first other one.

        Raises:
            ModelError: Every server runs ``model`` already.

        """
        if all(name == model for name in running):
            raise ModelError(f"{model} is deployed already.")
        return next(name for name in running if name != model)

    def history(self) -> list[dict[str, Any]]:
        """Every deployment and rollback, newest first."""
        records = _read_json(self.deployments_file, [])
        return list(reversed(records)) if isinstance(records, list) else []

    def _record(self, record: dict[str, Any]) -> None:
        with _file_lock(self.deployments_file.with_suffix(".lock")):
            records = _read_json(self.deployments_file, [])
            _write_json(self.deployments_file, [*(records if isinstance(records, list) else []), record])
        details = {key: record[key] for key in ("from", "to", "override_reason") if record.get(key)}
        self.accounts.record(record["who"], record["action"], details)


def summarise_cross_validation(report_dir: Path, output: str, folds: int) -> dict[str, Any]:
    """Summarise ``rasa test nlu --cross-validation``'s reports and log.

    Args:
        report_dir: Its ``--out`` folder (``intent_report.json``, ``<extractor>_report.json``).
        output: What it printed (``test F1-score: 0.912 (0.010)`` lines).
        folds: The number of folds.

    """
    summary: dict[str, Any] = {"folds": folds, "report_dir": str(report_dir),
                               "finished_at": _now().isoformat(), "entities": {}}
    for path in sorted(report_dir.glob("*_report.json")):
        report = _read_json(path, None)
        if not isinstance(report, dict) or not isinstance(report.get("weighted avg"), dict):
            continue
        weighted = report["weighted avg"]
        figures = {"precision": weighted.get("precision"), "recall": weighted.get("recall"),
                   "f1": weighted.get("f1-score"), "support": weighted.get("support"),
                   "accuracy": report.get("accuracy")}
        name = path.name.removesuffix("_report.json")
        if name == "intent":
            summary["intent"] = figures
        elif name != "response_selection":
            summary["entities"][name] = figures
    per_fold: dict[str, list[float]] = {}  # the first "test X: mean (std)" lines are the intents'
    for match in re.finditer(r"\btest (\w[\w -]*?): (\d+\.\d+) \((\d+\.\d+)\)", output):
        per_fold.setdefault(match.group(1), [float(match.group(2)), float(match.group(3))])
    summary["per_fold"] = per_fold
    return summary


# --- child processes ---------------------------------------------------------------------------

def _run_training(operator_dir: Path, models_dir: Path, command: Sequence[str]) -> int:
    """Run the training command, then record the outcome in ``training.json`` and free the lock."""
    state_file, lock = operator_dir / "training.json", operator_dir / "training.lock"
    started = time.time()
    code = subprocess.run(list(command), stdin=subprocess.DEVNULL).returncode
    log = read_training_log(read_log(operator_dir / "training.log"))
    model = log.saved_model
    if model is None or not (models_dir / model).is_file():  # else the record bot.training keeps
        recorded = models_dir / str(_read_dict(models_dir / "fingerprint.json").get("model", ""))
        fresh = recorded.name and recorded.is_file() and recorded.stat().st_mtime >= started - 1
        model = recorded.name if fresh else None
    succeeded = code == 0 and model is not None
    state = _read_dict(state_file)
    state.update({"state": "succeeded" if succeeded else "failed", "finished_at": _now().isoformat(),
                  "exit_code": code, "model": model if succeeded else None, "pid": os.getpid()})
    if succeeded and log.stage_seconds:
        stages = {key: max(seconds, 1.0) for key, seconds in log.stage_seconds.items()}
        state["stage_seconds"] = {**stages, "saving": SAVING_WEIGHT}
    if not succeeded:
        state["error"] = log.error or f"the training command ended with exit code {code}"
    _write_json(state_file, state)
    print(f"Training {state['state']}" + (f": {model}" if succeeded else ""), flush=True)
    if _read_pid(lock) in (os.getpid(), os.getppid()):  # held for this run
        lock.unlink()
    return 0 if succeeded else 1


def _run_evaluation(model: Path, out: Path, png: Path, marker: Optional[Path], who: Optional[str]) -> int:
    """Evaluate a model in this process (loads TensorFlow): write the JSON and the confusion matrix."""
    import asyncio
    import traceback

    from bot.evaluation import load_examples, parse_all
    from bot.operators.confusion import write_confusion_png

    try:
        rows: list[dict[str, Any]] = []
        for set_name in HELD_OUT_SETS:
            for example in load_examples(held_out_files(set_name)):
                rows.append({"text": example.text, "language": example.language, "set": set_name,
                             "expected_intent": example.intent,
                             "expected_services": sorted(example.services)})
        parses = asyncio.run(parse_all(model, [row["text"] for row in rows]))
        for row, parse in zip(rows, parses, strict=True):
            prediction = Prediction.from_parse(parse)
            row.update(predicted_intent=prediction.intent, confidence=prediction.confidence,
                       predicted_services=sorted(prediction.services))
        evaluation = build_evaluation(model.name, rows, png, evaluated_by=who,
                                      held_out_digest=held_out_digest())
        write_confusion_png([r["expected_intent"] for r in rows], [r["predicted_intent"] for r in rows], png,
                            title=f"{model.name}: intents on the held-out test set ({len(rows)} messages)")
        _write_json(out, evaluation.to_dict())
        counts = Counter(scored_intent(r["predicted_intent"]) == r["expected_intent"] for r in rows)
        print(f"Evaluated {model.name}: {counts[True]}/{len(rows)} intents right; {out}", flush=True)
        return 0
    except Exception:  # noqa: BLE001 - any failure is recorded for the operator
        traceback.print_exc()
        out.with_suffix(".failed").write_text(traceback.format_exc(), encoding="utf-8")
        return 1
    finally:
        if marker is not None:  # held for this process (by it or by the process that started it)
            with contextlib.suppress(FileNotFoundError):
                marker.unlink()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The child processes: ``train --operator-dir D --models-dir M -- COMMAND…`` and ``evaluate MODEL …``."""
    parser = argparse.ArgumentParser(prog="python -m bot.operators.models")
    verbs = parser.add_subparsers(dest="verb", required=True)
    train = verbs.add_parser("train", help="run a training command and record its outcome")
    train.add_argument("--operator-dir", type=Path, required=True)
    train.add_argument("--models-dir", type=Path, required=True)
    train.add_argument("command", nargs=argparse.REMAINDER)
    evaluate = verbs.add_parser("evaluate", help="evaluate a model on the held-out test set")
    evaluate.add_argument("model", type=Path)
    evaluate.add_argument("--out", type=Path, required=True)
    evaluate.add_argument("--png", type=Path, required=True)
    evaluate.add_argument("--marker", type=Path)
    evaluate.add_argument("--who")
    args = parser.parse_args(argv)
    if args.verb == "train":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return _run_training(args.operator_dir, args.models_dir, command)
    return _run_evaluation(args.model, args.out, args.png, args.marker, args.who)


if __name__ == "__main__":
    sys.exit(main())
