"""Latency and throughput of a full turn over the REST channel, against `rasa init`.

Both assistants run at the same time on this machine: ours (action server and
Rasa server, as `python -m bot run` starts them) and the plain `rasa init`
assistant trained in a temporary folder. Load alternates between them in
rounds, so both see the same machine load; the figures that matter are the
ratios. Also prints the resident memory of our Rasa server.

Run: ``.venv/bin/python -m bench.turn_latency [--turns 200] [--rounds 3]``
(about 6 minutes, most of it training the `rasa init` assistant).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import LoadResult, rss_megabytes, run_load
from bot.assistant import build_parts, write_run_endpoints
from bot.settings import Settings, get_settings
from bot.supervisor import Part, Supervisor
from bot.training import train

OUR_MESSAGES = ["你好", "我的身份证丢了怎么办", "how do I renew my driving licence", "谢谢",
                "养老金资格认证在哪里做", "what can you do", "说慢点", "再见"]
INIT_MESSAGES = ["hello", "I am sad", "yes", "great", "are you a bot?", "bye"]


def train_rasa_init(folder: Path) -> Path:
    """Create and train the `rasa init` assistant in a folder; return its model."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(folder)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    models = sorted((folder / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError("rasa init trained no model")
    return models[-1]


def init_part(folder: Path, model: Path, port: int) -> Part:
    return Part(name="rasa init server",
                command=[sys.executable, "-m", "rasa", "run", "--port", str(port), "--interface", "127.0.0.1",
                         "--model", str(model), "--enable-api"],
                health_url=f"http://127.0.0.1:{port}/status", public_url=f"http://127.0.0.1:{port}",
                log_path=folder / "rasa-init.log")


def merge(results: list[LoadResult]) -> LoadResult:
    return LoadResult([x for r in results for x in r.latencies], sum(r.wall_seconds for r in results),
                      sum(r.errors for r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="turns per assistant, concurrency and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

    with tempfile.TemporaryDirectory(prefix="bench-latency-") as scratch:
        folder = Path(scratch)
        settings: Settings = replace(get_settings(), rasa_port=25005, action_server_port=25055,
                                     portal_port=25080, portal_url="", data_dir=folder / "var",
                                     rasa_auth_token=None)
        ours = build_parts(settings, train(settings.models_dir), write_run_endpoints(settings))
        print("Training the `rasa init` assistant for comparison...", flush=True)
        baseline = init_part(folder, train_rasa_init(folder / "init"), 25006)
        supervisor = Supervisor([*ours, baseline], startup_timeout=600)
        supervisor.start()
        try:
            our_url, init_url = settings.rasa_url, baseline.public_url
            run_load(our_url, OUR_MESSAGES, 2, 10, "warmup")
            run_load(init_url, INIT_MESSAGES, 2, 10, "warmup")
            print(f"\n{'users':>5} {'assistant':<10} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'turns/s':>8} {'errors':>6}")
            for users in (1, 8):
                per_user = max(1, args.turns // users)
                mine, theirs = [], []
                for round_number in range(args.rounds):
                    mine.append(run_load(our_url, OUR_MESSAGES, users, per_user, f"ours{round_number}"))
                    theirs.append(run_load(init_url, INIT_MESSAGES, users, per_user, f"init{round_number}"))
                a, b = merge(mine), merge(theirs)
                for name, r in (("ours", a), ("rasa init", b)):
                    print(f"{users:>5} {name:<10} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.throughput:>8.1f} "
                          f"{r.errors:>6}")
                print(f"{users:>5} ratio      p95 ours/init = {a.p95_ms / b.p95_ms:.2f}   "
                      f"throughput ours/init = {a.throughput / b.throughput:.2f}", flush=True)
            rasa_part = next(p for p in ours if p.name == "Rasa server")
            assert rasa_part.process is not None and baseline.process is not None
            time.sleep(1)
            print(f"\nResident memory: our Rasa server {rss_megabytes(rasa_part.process.pid):.0f} MB, "
                  f"rasa init server {rss_megabytes(baseline.process.pid):.0f} MB")
        finally:
            supervisor.stop()


if __name__ == "__main__":
    main()
