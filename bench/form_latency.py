"""Latency of form turns that call the portal, at 1 and 8 concurrent users.

Starts the assistant as `python -m bot run` does (reference portal, action
server, Rasa server) on spare ports and a scratch data folder. Each simulated
citizen applies for an ID card again and again: eight turns, three of which
call the portal (the list of halls, the read-back, the submission). A plain
greeting measured in the same run is the baseline, since the machine's speed
varies from one moment to the next. Eight citizens are run twice: answering
after a pause (people take a second or more to read and answer) and with no
pause at all (the heaviest load one Rasa process can be given).

Run: ``.venv/bin/python -m bench.form_latency [--conversations 12]`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from bench.common import percentile, post_message
from bot.assistant import build_parts, write_run_endpoints
from bot.settings import Settings, get_settings
from bot.supervisor import Supervisor
from bot.training import train

#: One ID card application, and what each turn does.
CONVERSATION = [
    ("start form", "我想补办身份证，帮我申请"),
    ("form answer", "丢了"),
    ("form answer", "王秀英"),
    ("form answer", "三三零一零六一九四九零五一二零零二二"),
    ("form answer, portal GET", "{phone}"),
    ("form answer, portal GET", "第一个"),
    ("submit, portal POST", "对"),
    ("baseline (greeting)", "你好"),
]


def run_users(url: str, users: int, conversations: int, tag: str,
              think: float = 0.0) -> tuple[dict[str, list[float]], int, float]:
    """Run ``users`` citizens at once, each through ``conversations`` applications.

    ``think`` is the mean pause in seconds between a reply and the citizen's
    next message (0: the next message goes at once, the heaviest load).
    """
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    lock = threading.Lock()

    def citizen(number: int) -> None:
        nonlocal errors
        pace = random.Random(number)
        time.sleep(pace.uniform(0, think))  # citizens do not all start at the same moment
        for repeat in range(conversations):
            sender = f"bench-{tag}-{number}-{repeat}"
            phone = f"139{number:02d}{repeat:06d}"
            for kind, text in CONVERSATION:
                started = time.perf_counter()
                try:
                    replies = post_message(url, sender, text.format(phone=phone))
                except OSError:
                    with lock:
                        errors += 1
                    continue
                elapsed = time.perf_counter() - started
                if kind.startswith("submit") and not any("申请号" in str(r.get("text")) for r in replies):
                    with lock:
                        errors += 1
                with lock:
                    latencies[kind].append(elapsed)
                time.sleep(pace.uniform(0.5, 1.5) * think)

    threads = [threading.Thread(target=citizen, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=12,
                        help="applications per simulated citizen at 1 user (divided among users at 8)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a citizen takes to answer, in the 8-user run that has a pause")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as scratch:
        settings: Settings = replace(get_settings(), rasa_port=26005, action_server_port=26055,
                                     portal_port=26080, portal_url="", data_dir=Path(scratch) / "var",
                                     rasa_auth_token=None)
        parts = build_parts(settings, train(settings.models_dir), write_run_endpoints(settings))
        supervisor = Supervisor(parts, startup_timeout=600)
        supervisor.start()
        try:
            run_users(settings.rasa_url, 2, 1, "warmup")
            print(f"\n{'users':>5} {'turn':<26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
            for users, think in ((1, 0.0), (8, args.think), (8, 0.0)):
                conversations = max(1, args.conversations // (1 if users == 1 else 4))
                print(f"{users} user(s), {think:.1f} s between a reply and the next message:")
                latencies, errors, wall = run_users(settings.rasa_url, users, conversations,
                                                    f"u{users}t{think}", think)
                form_turns = [x for kind, xs in latencies.items() if not kind.startswith("baseline")
                              for x in xs]
                rows = [*sorted(latencies.items()), ("all form turns", form_turns)]
                for kind, values in rows:
                    print(f"{users:>5} {kind:<26} {len(values):>5} {percentile(values, 0.5) * 1000:>8.1f} "
                          f"{percentile(values, 0.95) * 1000:>8.1f}")
                turns = sum(len(v) for v in latencies.values())
                print(f"{users:>5} {turns / wall:.1f} turns/s, {errors} errors\n", flush=True)
        finally:
            supervisor.stop()


if __name__ == "__main__":
    main()
