"""Training time of the whole assistant (NLU and dialogue) from scratch.

Run: ``.venv/bin/python -m bench.training_time`` (a few minutes). The model is
written to a temporary folder and thrown away; the current model is untouched.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

from bot.settings import PROJECT_DIR


def main() -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="bench-train-") as scratch:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rasa", "train", "--force", "--out", scratch,
                        "--config", "config.yml", "--domain", "domain.yml", "--data", "data"],
                       cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Training from scratch: {seconds:.0f} s on {os.cpu_count()} cores "
          f"(target under 300 s); peak memory of training {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
