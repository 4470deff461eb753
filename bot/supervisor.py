"""Start the assistant's processes, wait until they are healthy, stop them cleanly.

Each part (action server, Rasa server, and the others as they exist) runs as
a child process with its output in ``var/logs/<part>.log``. A part that exits
or does not become healthy in time is reported by name with the end of its
log, and everything started is stopped again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Optional, Sequence

from bot.settings import PROJECT_DIR

#: Seconds a part gets to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 15.0


@dataclass
class Part:
    """One process of the assistant."""

    name: str
    command: Sequence[str]
    #: URL answering 200 when the part is ready; None: ready as soon as it runs.
    health_url: Optional[str]
    public_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before restarting the part when it exits; None: its exit stops everything.
    restart_after: Optional[float] = None
    #: Builds the command of a restart (e.g. with the model deployed since); None: the same command.
    restart_command: Optional[Callable[[], Sequence[str]]] = None
    process: Optional["subprocess.Popen[bytes]"] = None
    _log: Optional[IO[bytes]] = None

    def start(self) -> None:
        """Start the process, its output going to its log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            list(self.command), cwd=PROJECT_DIR, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, **self.env},
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops parts in order
        )

    def is_running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    def is_healthy(self) -> bool:
        """Whether the part answers its health check with HTTP 200 (or runs, if it has none)."""
        if self.health_url is None:
            return self.is_running()
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self) -> None:
        """Stop the process: SIGTERM, then SIGKILL after a grace period."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the part's log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class PartFailed(RuntimeError):
    """A part exited or did not become healthy."""

    def __init__(self, part: Part, reason: str) -> None:
        super().__init__(f"{part.name} {reason}. Its log ({part.log_path}) ends with:\n{part.log_tail()}")
        self.part = part


class Supervisor:
    """Runs a set of parts as one service."""

    def __init__(self, parts: Sequence[Part], startup_timeout: float,
                 say: Callable[[str], None] = print) -> None:
        self.parts = list(parts)
        self.startup_timeout = startup_timeout
        self.say = say
        self.failure: Optional[PartFailed] = None

    def start(self) -> None:
        """Start every part and wait until all are healthy.

        Raises:
            PartFailed: A part exited or was not healthy in time; every part
                is stopped before this is raised.

        """
        try:
            for part in self.parts:
                self.say(f"Starting {part.name}...")
                part.start()
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        waiting = list(self.parts)
        while waiting:
            for part in list(waiting):
                if not part.is_running():
                    raise PartFailed(part, "stopped while starting")
                if part.is_healthy():
                    self.say(f"  {part.name} is ready at {part.public_url}")
                    waiting.remove(part)
            if waiting and time.monotonic() > deadline:
                raise PartFailed(waiting[0], f"was not ready after {self.startup_timeout:.0f} s")
            if waiting:
                time.sleep(0.5)

    def first_stopped(self) -> Optional[Part]:
        """Return a part that has exited and will not be restarted, if any."""
        return next((part for part in self.parts if not part.is_running() and part.restart_after is None),
                    None)

    def watch_in_background(self) -> None:
        """Run :meth:`watch` in a thread; a failure is kept in ``failure``."""

        def watch_quietly() -> None:
            try:
                self.watch()
            except PartFailed as error:
                self.failure = error

        threading.Thread(target=watch_quietly, name="supervisor", daemon=True).start()

    def failed_part(self) -> Optional[Part]:
        """Return the part whose exit stopped the watch, if any."""
        return self.failure.part if self.failure is not None else None

    def watch(self, poll_seconds: float = 1.0) -> None:
        """Block until a part that cannot be restarted exits; restart the others.

        A part with ``restart_after`` (a service the assistant calls, such as
        the portal) is started again that many seconds after it exits; the
        rest of the assistant keeps serving meanwhile.

        Raises:
            PartFailed: The part that exited.

        """
        restart_at: dict[str, float] = {}
        while True:
            for part in self.parts:
                if part.is_running():
                    continue
                if part.restart_after is None:
                    raise PartFailed(part, "stopped unexpectedly")
                if part.name not in restart_at:
                    self.say(f"{part.name} stopped unexpectedly; restarting in {part.restart_after:.0f} s.")
                    restart_at[part.name] = time.monotonic() + part.restart_after
                elif time.monotonic() >= restart_at[part.name]:
                    del restart_at[part.name]
                    part.stop()
                    if part.restart_command is not None:
                        part.command = part.restart_command()
                    part.start()
            time.sleep(poll_seconds)

    def stop(self) -> None:
        """Stop every part, the last started first."""
        for part in reversed(self.parts):
            if part.process is not None:
                part.stop()


def raise_on_signals() -> None:
    """Turn SIGTERM (and SIGHUP) into KeyboardInterrupt, as Ctrl-C is."""

    def handler(signum: int, frame: object) -> None:
        # The same signal often comes twice at once (from a service manager and from make,
        # which passes it on): from the first one on, the clean stop must not be interrupted.
        ignore_signals()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def ignore_signals() -> None:
    """Ignore Ctrl-C, SIGTERM and SIGHUP (while stopping)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
