"""How long the assistant goes quiet while a new model is deployed (``PUT /model``).

Starts the assistant's parts as `make run` does (on their own ports), then,
while a citizen sends a message every 0.1 s over the REST channel, asks the
Rasa server to load a model (the same file again: the load is what is
measured). Prints the deploy's duration and the slowest and median replies
during it. With Rasa's own loading the server answers nothing for the whole
load; ``bot.rasa_server`` loads in a worker thread.

Run: ``.venv/bin/python -m bench.deploy_pause [--deploys 2]`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from bench.common import post_message
from bot.assistant import build_parts, write_run_endpoints
from bot.settings import Settings, get_settings
from bot.supervisor import Supervisor
from bot.training import train

TOKEN = "bench-token"


def deploy(settings: Settings, model: Path) -> float:
    """PUT /model; return the seconds it took."""
    request = urllib.request.Request(f"{settings.rasa_url}/model?token={TOKEN}", method="PUT",
                                     data=json.dumps({"model_file": str(model)}).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - start


def deploy_under_traffic(settings: Settings, model: Path, sender: str) -> tuple[float, list[float], int]:
    """Deploy while a citizen writes every 0.1 s; return the deploy's seconds, reply latencies, errors."""
    latencies: list[float] = []
    errors = 0
    stop = threading.Event()

    def citizen() -> None:
        nonlocal errors
        while not stop.is_set():
            start = time.perf_counter()
            try:
                post_message(settings.rasa_url, sender, "你好", timeout=120)
                latencies.append(time.perf_counter() - start)
            except OSError:
                errors += 1
            time.sleep(0.1)

    thread = threading.Thread(target=citizen)
    thread.start()
    time.sleep(2)
    took = deploy(settings, model)
    time.sleep(2)
    stop.set()
    thread.join()
    return took, latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as scratch:
        settings: Settings = replace(get_settings(), rasa_port=28005, action_server_port=28055,
                                     portal_port=28080, web_port=28088, portal_url="",
                                     data_dir=Path(scratch) / "var", rasa_auth_token=TOKEN,
                                     telegram_bot_token=None)
        model = train(settings.models_dir, project=settings.assistant_dir)
        parts = build_parts(settings, model, write_run_endpoints(settings))
        supervisor = Supervisor(parts, startup_timeout=600)
        supervisor.start()
        try:
            for number in range(args.deploys):
                took, latencies, errors = deploy_under_traffic(settings, model, f"bench-deploy-{number}")
                print(f"deploy {number + 1}: PUT /model took {took:.1f} s; during it {len(latencies)} "
                      f"replies, median {statistics.median(latencies) * 1000:.0f} ms, "
                      f"slowest {max(latencies) * 1000:.0f} ms, {errors} errors", flush=True)
        finally:
            supervisor.stop()


if __name__ == "__main__":
    main()
