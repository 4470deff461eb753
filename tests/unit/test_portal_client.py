"""The portal client against a real HTTP server on loopback that misbehaves on demand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from actions.portal_client import PortalClient, PortalError

GUIDE = {"id": "id_card", "lang": "zh", "name": "居民身份证", "summary": "s", "eligibility": ["e"],
         "materials": ["m1", "m2"], "fee": "20元", "processing_time": "15天", "online": "浙里办",
         "elderly_notes": ["n"], "application_kinds": ["renewal"], "offices": [
             {"id": "xihu", "name": "西湖", "address": "a", "phone": "p", "opening_hours_text": "t",
              "opening_hours": [{"weekdays": [1, 2], "open": "09:00", "close": "17:00"}]}]}
APPLICATION = {"application_no": "261122000001", "status": "submitted", "service_id": "id_card",
               "kind": "renewal", "fields": {"reason": "expired"}, "history": [
                   {"status": "submitted", "at": "2026-11-22T10:00:00+08:00", "note": "ok"}]}


class Portal:
    """What the fake portal answers next, and what it saw."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, Any, float]] = []
        self.seen: list[dict[str, Any]] = []

    def answer(self, status: int, body: Any, delay: float = 0.0) -> None:
        self.replies.append((status, body, delay))


@pytest.fixture
def portal() -> Iterator[tuple[Portal, str]]:
    state = Portal()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                               "body": json.loads(body) if body else None})
            status, reply, delay = state.replies.pop(0) if state.replies else (500, {}, 0.0)
            time.sleep(delay)
            raw = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the client gave up waiting

        do_GET = do_POST = _reply

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    server.shutdown()


def _client(url: str) -> PortalClient:
    return PortalClient(url, "secret", connect_timeout=0.5, read_timeout=0.5, get_retries=2, backoff=0.01)


def test_guide_is_typed_and_the_token_is_sent(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(200, GUIDE)
    guide = _client(url).guide("id_card", "zh")
    assert guide.materials == ("m1", "m2") and guide.offices[0].opening_hours[0].weekdays == (1, 2)
    assert state.seen[0]["headers"]["Authorization"] == "Bearer secret"
    assert state.seen[0]["path"] == "/api/v1/services/id_card?lang=zh"


def test_a_get_is_retried_after_a_server_error(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(503, {"error": {"code": "unavailable", "message": "busy"}})
    state.answer(200, {"offices": []})
    assert _client(url).offices("zh") == []
    assert len(state.seen) == 2


def test_a_post_is_never_retried_and_carries_its_key(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(503, {"error": {"code": "unavailable", "message": "busy"}})
    with pytest.raises(PortalError) as raised:
        _client(url).submit_application({"service_id": "id_card"}, "key-123456")
    assert raised.value.kind == "unavailable" and raised.value.may_succeed_later
    assert len(state.seen) == 1
    assert state.seen[0]["headers"]["Idempotency-Key"] == "key-123456"


def test_a_slow_answer_is_a_timeout_error(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(201, APPLICATION, delay=1.5)
    with pytest.raises(PortalError) as raised:
        _client(url).submit_application({}, "key-123456")
    assert raised.value.kind == "unavailable"


def test_a_portal_that_is_not_there_is_unavailable() -> None:
    client = PortalClient("http://127.0.0.1:9/api/v1", "t", connect_timeout=0.2, get_retries=1, backoff=0.01)
    with pytest.raises(PortalError) as raised:
        client.guide("id_card", "zh")
    assert raised.value.kind == "unavailable"


@pytest.mark.parametrize(("status", "code", "kind"), [
    (404, "not_found", "not_found"), (409, "slot_full", "conflict"), (422, "invalid_field", "invalid"),
    (400, "invalid_date", "invalid"), (401, "unauthorized", "unavailable"), (500, "", "unavailable"),
])
def test_errors_become_one_exception_type(portal: tuple[Portal, str], status: int, code: str,
                                          kind: str) -> None:
    state, url = portal
    for _ in range(3):
        state.answer(status, {"error": {"code": code, "message": "m"}})
    with pytest.raises(PortalError) as raised:
        _client(url).application("261122000001", "13812345678")
    assert (raised.value.kind, raised.value.code, raised.value.status) == (kind, code, status)


def test_an_answer_that_is_not_json_is_an_error(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(200, b"<html>proxy error</html>")
    with pytest.raises(PortalError):
        _client(url).application("261122000001", "13812345678")


def test_application_status_is_typed(portal: tuple[Portal, str]) -> None:
    state, url = portal
    state.answer(200, APPLICATION)
    application = _client(url).application("261122000001", "13812345678")
    assert application.status == "submitted" and application.history[0].note == "ok"
    assert "phone=13812345678" in state.seen[0]["path"]
