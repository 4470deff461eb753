"""Train a model only when what it is trained from has changed.

The inputs of a model are the config, the domain, the training data and the
code and word lists the NLU pipeline reads (``bot/nlu``, ``bot/lexicon``). Their
fingerprint is stored beside the models; an unchanged fingerprint means the
current model is reused.

The config, domain and data come from the assistant folder (the ``project``
argument: ``settings.assistant_dir``, the folder operators annotate and
retrain; by default this project); the code and word lists always come from
this project, whose custom NLU components the config names.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Optional

from bot.settings import PROJECT_DIR

#: Files and folders of the assistant folder (config, domain, data) a model is trained from.
PROJECT_INPUTS = ("config.yml", "domain.yml", "data")
#: Code and word lists (relative to this project) the NLU pipeline reads.
CODE_INPUTS = ("bot/lexicon", "bot/nlu", "bot/services.py", "bot/input_check.py", "bot/catalogue.yml",
               "requirements.lock")
#: Everything a model is trained from (relative to the assistant folder, then to this project).
TRAINING_INPUTS = PROJECT_INPUTS + CODE_INPUTS
FINGERPRINT_FILE = "fingerprint.json"


def _input_files(project: Path) -> Iterable[tuple[Path, Path]]:
    """Yield ``(root, file)`` for every input file: the project's inputs first, then the code's."""
    for root, names in ((project, PROJECT_INPUTS), (PROJECT_DIR, CODE_INPUTS)):
        for name in names:
            path = root / name
            if path.is_file():
                yield root, path
            elif path.is_dir():
                yield from ((root, p) for p in sorted(path.rglob("*"))
                            if p.is_file() and "__pycache__" not in p.parts)


def training_fingerprint(project: Path = PROJECT_DIR) -> str:
    """Return a hash of everything a model is trained from.

    Args:
        project: The assistant folder holding the config, domain and data.

    """
    digest = hashlib.sha256()
    for root, path in _input_files(project):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def current_model(models_dir: Path, project: Path = PROJECT_DIR) -> Optional[Path]:
    """Return the model trained from the current inputs, or None if there is none."""
    record = models_dir / FINGERPRINT_FILE
    if not record.is_file():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except ValueError:
        return None
    model = models_dir / str(data.get("model", ""))
    if data.get("fingerprint") == training_fingerprint(project) and model.is_file():
        return model
    return None


def latest_model(models_dir: Path) -> Optional[Path]:
    """Return the newest model file in a folder, or None."""
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def train(models_dir: Path, force: bool = False, project: Path = PROJECT_DIR) -> Path:
    """Train a model if the inputs changed since the last one (or when forced).

    Args:
        models_dir: Where models and the fingerprint record are kept.
        force: Train even when the current model is up to date.
        project: The assistant folder holding the config, domain and data (``settings.assistant_dir``).

    Returns:
        The model trained from the current inputs.

    Raises:
        RuntimeError: Training failed.

    """
    existing = None if force else current_model(models_dir, project)
    if existing is not None:
        print(f"The model is up to date: {existing}")
        return existing
    fingerprint = training_fingerprint(project)
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rasa", "train", "--force", "--out", str(models_dir),
               "--config", "config.yml", "--domain", "domain.yml", "--data", "data"]
    print("Training a new model (a few minutes)...", flush=True)
    # The config names this project's NLU components: importable wherever the assistant folder is.
    python_path = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(command, cwd=project, env={**os.environ, "PYTHONPATH": python_path})
    model = latest_model(models_dir)
    if result.returncode != 0 or model is None:
        raise RuntimeError(f"training failed (exit code {result.returncode})")
    (models_dir / FINGERPRINT_FILE).write_text(
        json.dumps({"fingerprint": fingerprint, "model": model.name}, indent=2), encoding="utf-8"
    )
    print(f"Trained {model}")
    return model
