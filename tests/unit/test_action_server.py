"""The action server listens on the HOST address only, and masks its logs (bot/action_server.py).

Starts the action server exactly as ``make run`` does (its part from
``build_parts``) on a free port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.assistant import build_parts
from bot.settings import Settings
from tests.conftest import PROJECT_DIR, free_port


def non_loopback_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback ones."""
    found = set()
    try:
        found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    # A UDP "connection" sends nothing: it only picks the source address of the route.
    for probe in ("192.0.2.1", "10.255.255.255"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
                found.add(sock.getsockname()[0])
            except OSError:
                pass
    return sorted(address for address in found if not address.startswith("127.") and address != "0.0.0.0")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def test_the_action_server_listens_on_host_only_and_masks_its_logs(tmp_path: Path) -> None:
    settings = Settings(action_server_port=free_port(), data_dir=tmp_path)
    part = next(p for p in build_parts(settings, tmp_path / "model.tar.gz", tmp_path / "endpoints.yml")
                if p.name == "action server")
    assert part.health_url == f"http://127.0.0.1:{settings.action_server_port}/health"
    log = tmp_path / "action-server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(list(part.command), cwd=PROJECT_DIR, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **part.env})
    try:
        deadline = time.monotonic() + 120
        while not healthy(part.health_url):
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the action server did not become healthy"
            time.sleep(0.5)
        # An unknown action named after a phone number: rasa-sdk logs the name as an error.
        call = json.dumps({"next_action": "action_13812345678", "sender_id": "s", "version": "3.6.2",
                           "tracker": {"sender_id": "s", "slots": {}, "latest_message": {}, "events": []},
                           "domain": {}}).encode()
        request = urllib.request.Request(part.health_url.replace("/health", "/webhook"), data=call,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code == 404
        elsewhere = non_loopback_addresses()
        for address in elsewhere:
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((address, settings.action_server_port)) != 0, address
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Action endpoint is up and running on http://127.0.0.1:" in text
    assert "No registered action found for name 'action_138****5678'" in text
    assert "13812345678" not in text
    if not elsewhere:
        pytest.skip("this machine has no address but loopback: nothing else to try to reach")
