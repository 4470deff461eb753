"""The REST channel's checks (connectors/rest.py), alone and inside a real Sanic server."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from connectors.rest import (
    BUSY_TEXT,
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    CheckedRestInput,
    Refusal,
    checked_message,
    nesting_depth,
    payload_values_are_plain,
)


def _refusal(raw: bytes) -> Refusal:
    with pytest.raises(Refusal) as refused:
        checked_message(raw)
    return refused.value


@pytest.mark.parametrize("body", [
    {"sender": "me", "message": "我的身份证丢了怎么办"},
    {"sender": "me", "message": ""},
    {"sender": "me", "message": "\x00\x01 binary \ufffd"},
    {"sender": "me", "message": "hi", "metadata": {"channel": "telegram", "language": "en"}},
    {"sender": "kiosk-1f2e", "message": '/ask_service{"service": "id_card"}', "input_channel": "rest"},
])
def test_valid_messages_pass_unchanged(body: dict[str, Any]) -> None:
    assert checked_message(json.dumps(body).encode()) == body


@pytest.mark.parametrize(("raw", "status", "code"), [
    (b"", 400, "empty_body"),
    (b"  \n", 400, "empty_body"),
    (b'{"sender": "me", "message": "\xff"}', 400, "invalid_encoding"),
    (b"{", 400, "invalid_json"),
    (b'{"sender": "me", "message": NaN}', 400, "invalid_json"),
    (b"[" * 150_000 + b"]" * 150_000, 413, "payload_too_large"),
    (b"[" * 20_000 + b"]" * 20_000, 400, "invalid_json"),
    (b'[{"sender": "me", "message": "hi"}]', 400, "invalid_json"),
    (b"null", 400, "invalid_json"),
    (b'{"message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": {"a": 1}, "message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "a\\u0000b", "message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "me"}', 400, "invalid_message"),
    (b'{"sender": "me", "message": 5}', 400, "invalid_message"),
    (b'{"sender": "me", "message": ["hi"]}', 400, "invalid_message"),
    (b'{"sender": "me", "message": "/ask_service{\\"service\\": {\\"a\\": 1}}"}', 400, "invalid_payload"),
    (b'{"sender": "me", "message": "hi", "metadata": "x"}', 400, "invalid_metadata"),
    (b'{"sender": "me", "message": "hi", "input_channel": {}}', 400, "invalid_input_channel"),
], ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None)
def test_malformed_requests_are_refused_with_a_code(raw: bytes, status: int, code: str) -> None:
    refusal = _refusal(raw)
    assert (refusal.status, refusal.code) == (status, code)
    assert refusal.zh and refusal.en


def test_sizes_are_limited() -> None:
    assert _refusal(b" " * (MAX_BODY_BYTES + 1)).status == 413
    long = json.dumps({"sender": "me", "message": "x" * (MAX_MESSAGE_CHARS + 1)}).encode()
    assert _refusal(long).code == "message_too_long"
    deep: Any = "x"
    for _ in range(11):
        deep = {"a": deep}
    assert _refusal(json.dumps({"sender": "me", "message": "hi", "metadata": deep}).encode()).status == 400


def test_nesting_depth_and_plain_payloads() -> None:
    assert nesting_depth("x") == 0 and nesting_depth({"a": 1}) == 1 and nesting_depth({"a": [[{}]]}) == 4
    assert payload_values_are_plain("hello {\"a\": {}}")  # not a payload
    assert payload_values_are_plain('/ask_service{"service": ["id_card", "pension"], "aspect": null}')
    assert payload_values_are_plain('/ask_service{"service": ')  # Rasa reads no entities
    assert not payload_values_are_plain('/ask_service@0.9{"service": [["id_card"]]}')


async def _post_all(bodies: list[bytes]) -> list[tuple[int, Any]]:
    handled: list[UserMessage] = []

    async def handle(message: UserMessage) -> None:
        handled.append(message)
        if message.text == "the lock store is down":
            raise ConnectionError("Redis is restarting")
        await message.output_channel.send_text_message(message.sender_id, f"echo {message.text}")

    app = Sanic(f"rest-channel-{uuid.uuid4().hex[:8]}")
    app.blueprint(CheckedRestInput().blueprint(handle), url_prefix="/webhooks/rest")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True)
        assert server is not None
        await server.startup()
        answers = []
        try:
            async with aiohttp.ClientSession() as session:
                for body in bodies:
                    async with session.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                            data=body) as response:
                        answers.append((response.status, await response.json(content_type=None)))
        finally:
            server.close()
            await server.wait_closed()
    assert len(handled) == sum(1 for status, _ in answers if status in (200, 503))
    return answers


def test_the_channel_answers_valid_messages_as_rasa_does_and_refuses_the_rest() -> None:
    # (one Sanic app per test process: Sanic 21.12 cannot build a second one)
    answers = asyncio.run(_post_all([b'{"sender": "me", "message": "hi"}', b"", b"[1]",
                                     b'{"sender": "me", "message": 5}',
                                     b'{"sender": "me", "message": "the lock store is down"}',
                                     b'{"sender": "me", "message": "hi"}']))
    assert answers[0] == (200, [{"recipient_id": "me", "text": "echo hi"}])
    for status, body in answers[1:4]:
        assert status == 400
        assert set(body["error"]) == {"code", "message"}
    # A message the assistant failed to handle gets a kind "busy" reply, not Rasa's silent 200 [] ...
    assert answers[4] == (503, [{"recipient_id": "me", "text": BUSY_TEXT}])
    assert "系统正忙" in BUSY_TEXT and "busy" in BUSY_TEXT
    # ... and the next one is answered as usual.
    assert answers[5] == answers[0]

