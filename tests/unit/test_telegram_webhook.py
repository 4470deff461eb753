"""The Telegram webhook's checks (connectors/telegram/webhook.py), alone and in a real aiohttp server."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.test_utils import TestClient, TestServer
from telegram import Update
from telegram.ext import ApplicationBuilder

from connectors.telegram.webhook import (
    MAX_UPDATE_BYTES,
    SECRET_HEADER,
    UPDATE,
    QuietMalformedHttp,
    Webhook,
    WebhookRefusal,
    check_content_type,
    check_secret,
    parse_update,
    shape_problem,
    webhook_app,
)


def _update(**message: Any) -> dict[str, Any]:
    user = {"id": 42, "is_bot": False, "first_name": "王", "language_code": "zh-hans"}
    return {"update_id": 7, "message": {"message_id": 1, "date": 1_700_000_000, "from": user,
                                        "chat": {"id": 42, "type": "private"}, "text": "你好", **message}}


def test_a_real_update_fits_and_wrong_types_are_named() -> None:
    assert shape_problem(_update(), UPDATE, "update") is None
    assert shape_problem(_update(text=5), UPDATE, "update") == "update.message.text must be a string"
    assert shape_problem(_update(chat={"id": "42", "type": "private"}), UPDATE, "update") \
        == "update.message.chat.id must be an integer"
    assert shape_problem(_update(entities=[{"type": "bot_command", "offset": True, "length": 1}]),
                         UPDATE, "update") == "update.message.entities[0].offset must be an integer"
    assert shape_problem({"message": {}}, UPDATE, "update") == "update.update_id is missing"
    assert "longer than Telegram allows" in str(shape_problem(_update(text="字" * 4097), UPDATE, "update"))
    query = {"id": "1", "from": {"id": 1, "is_bot": False, "first_name": "a"}, "data": "d" * 65}
    assert "longer" in str(shape_problem({"update_id": 1, "callback_query": query}, UPDATE, "update"))


@pytest.mark.parametrize(("raw", "code"), [
    (b"\xff{}", "invalid_encoding"), (b"{", "invalid_json"), (b"[" * 5000 + b"]" * 5000, "invalid_json"),
    (b"[]", "invalid_update"), (b'{"update_id": NaN}', "invalid_json"),
    (b'{"update_id": "1"}', "invalid_update"),
], ids=lambda value: repr(value)[:30] if isinstance(value, bytes) else None)
def test_unreadable_updates_are_refused(raw: bytes, code: str) -> None:
    with pytest.raises(WebhookRefusal) as refused:
        parse_update(raw)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_secret_and_content_type() -> None:
    check_secret("s3cret", "s3cret")
    for wrong in (None, "", "s3cre", "s3cret ", "\udcff"):
        with pytest.raises(WebhookRefusal):
            check_secret(wrong, "s3cret")
    check_content_type("application/json")
    check_content_type("application/json; charset=utf-8")
    for wrong in ("", "text/plain", "application/json; charset=latin-1", "application/jsonx"):
        with pytest.raises(WebhookRefusal):
            check_content_type(wrong)


def test_malformed_http_tracebacks_stay_out_of_the_log() -> None:
    def record(error: BaseException) -> logging.LogRecord:
        return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (),
                                 (type(error), error, None))

    assert not QuietMalformedHttp().filter(record(BadHttpMessage("bad")))
    assert QuietMalformedHttp().filter(record(RuntimeError("a real bug")))


async def test_the_server_queues_valid_updates_and_refuses_the_rest() -> None:
    application = ApplicationBuilder().token("123:abc").updater(None).build()
    webhook = Webhook(url="http://127.0.0.1/hook", listen="127.0.0.1", port=0, secret="s3cret")
    headers = {SECRET_HEADER: "s3cret", "Content-Type": "application/json"}
    async with TestClient(TestServer(webhook_app(webhook, application))) as client:
        answer = await client.post("/hook", data=json.dumps(_update()), headers=headers)
        assert answer.status == 200
        queued = await asyncio.wait_for(application.update_queue.get(), 1)
        assert isinstance(queued, Update) and queued.message is not None and queued.message.text == "你好"
        for body, extra, status in [
            (json.dumps(_update()), {SECRET_HEADER: "wrong"}, 403),
            (json.dumps(_update()), {"Content-Type": "text/plain"}, 415),
            (json.dumps(_update(text=["hi"])), {}, 400),
            (b"x" * (MAX_UPDATE_BYTES + 1), {}, 413),
        ]:
            answer = await client.post("/hook", data=body, headers={**headers, **extra})
            error = (await answer.json())["error"]
            assert answer.status == status and error["code"] and error["message"]
        assert (await client.get("/hook")).status == 405
        assert (await client.post("/other", data="{}", headers=headers)).status == 404
    assert application.update_queue.empty()
