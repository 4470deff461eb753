import sys
from pathlib import Path

import pytest

from bot.supervisor import Part, PartFailed, Supervisor
from tests.conftest import free_port, port_is_open


def _part(tmp_path: Path, name: str, command: list[str], port: int) -> Part:
    return Part(name=name, command=command, health_url=f"http://127.0.0.1:{port}/",
                public_url=f"http://127.0.0.1:{port}/", log_path=tmp_path / f"{name}.log")


def _http_server(tmp_path: Path, name: str) -> tuple[Part, int]:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
               "--directory", str(tmp_path)]
    return _part(tmp_path, name, command, port), port


def test_starts_parts_waits_for_health_and_stops_them(tmp_path: Path) -> None:
    first, first_port = _http_server(tmp_path, "first")
    second, second_port = _http_server(tmp_path, "second")
    said: list[str] = []
    supervisor = Supervisor([first, second], startup_timeout=30, say=said.append)
    supervisor.start()
    assert port_is_open(first_port) and port_is_open(second_port)
    assert any("first is ready" in line for line in said)
    assert supervisor.first_stopped() is None
    supervisor.stop()
    assert not first.is_running() and not second.is_running()
    assert not port_is_open(first_port) and not port_is_open(second_port)


def test_a_part_that_exits_is_named_with_its_log_and_the_others_are_stopped(tmp_path: Path) -> None:
    good, good_port = _http_server(tmp_path, "portal")
    bad = _part(tmp_path, "broken part",
                [sys.executable, "-c", "print('cannot open the model file'); raise SystemExit(3)"],
                free_port())
    supervisor = Supervisor([good, bad], startup_timeout=30, say=lambda _: None)
    with pytest.raises(PartFailed) as failure:
        supervisor.start()
    assert "broken part stopped while starting" in str(failure.value)
    assert "cannot open the model file" in str(failure.value)
    assert not good.is_running()
    assert not port_is_open(good_port)


def test_a_part_that_never_becomes_healthy_times_out(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    silent = _part(tmp_path, "silent part", sleeper, free_port())
    supervisor = Supervisor([silent], startup_timeout=1.5, say=lambda _: None)
    with pytest.raises(PartFailed, match="silent part was not ready after 2 s"):
        supervisor.start()
    assert not silent.is_running()


def test_watch_reports_a_part_that_stops_later(tmp_path: Path) -> None:
    server, _ = _http_server(tmp_path, "web")
    supervisor = Supervisor([server], startup_timeout=30, say=lambda _: None)
    supervisor.start()
    assert server.process is not None
    server.process.kill()
    with pytest.raises(PartFailed, match="web stopped unexpectedly"):
        supervisor.watch(poll_seconds=0.1)
    supervisor.stop()
