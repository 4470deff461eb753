"""Helpers shared by the benchmarks: percentiles, REST load, process memory."""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the value below which ``fraction`` of the values fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class LoadResult:
    """Latencies (seconds) of every turn and the wall time of a load run."""

    latencies: list[float]
    wall_seconds: float
    errors: int

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else 0.0


def post_message(base_url: str, sender: str, text: str, timeout: float = 60.0) -> list[dict[str, object]]:
    """Send one message over the REST channel and return the replies."""
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies: list[dict[str, object]] = json.loads(response.read().decode("utf-8"))
        return replies


def run_load(base_url: str, messages: Sequence[str], users: int, turns_per_user: int,
             tag: str, conversation_turns: int = 10) -> LoadResult:
    """Run ``users`` simulated users at once, each sending ``turns_per_user`` messages in turn.

    A user sends its next message as soon as the previous reply arrives, and
    starts a new conversation (sender id) every ``conversation_turns`` turns,
    as citizens do: conversations are short, and a tracker of thousands of
    events would measure the tracker store rather than the assistant.
    """
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user(number: int) -> None:
        nonlocal errors
        for turn in range(turns_per_user):
            sender = f"bench-{tag}-{number}-{turn // conversation_turns}"
            text = messages[(number + turn) % len(messages)]
            started = time.perf_counter()
            try:
                post_message(base_url, sender, text)
            except OSError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, time.perf_counter() - started, errors)


def rss_megabytes(pid: int) -> float:
    """Return a process's resident memory in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
