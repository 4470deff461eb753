"""Processes the tests stop on purpose: waiting until a killed one is really gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest


def thread_states(pid: int) -> list[str]:
    """The state of each thread of a process ("R", "S", "Z", ...); empty once it is gone."""
    states = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for thread in threads:
        try:
            states.append(Path(f"/proc/{pid}/task/{thread}/stat").read_text().split(")")[-1].split()[0])
        except OSError:
            pass
    return states


def wait_until_gone(pid: int, timeout: float = 30) -> None:
    """Wait until every thread of a process has exited (gone, or a zombie waiting for its parent).

    The main thread of a killed process is a zombie at once, but its open files,
    the listening socket among them, are closed only when its last thread has
    exited: about 0.1 s later for a Rasa server here. Until then the kernel still
    accepts connections for it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(state in ("Z", "X") for state in thread_states(pid)):
            return
        time.sleep(0.01)
    pytest.fail(f"process {pid} did not exit")
