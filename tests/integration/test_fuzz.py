"""Thousands of malformed requests against the running assistant, with real conversations alongside.

The seeded fuzzer (`tests/fuzzing.py`) sends a fixed number of malformed or odd
requests to the REST channel, the portal API and the Telegram webhook (a
second connector in webhook mode) at once, while citizens talk to the
assistant over REST and Telegram and read a service guide from the portal.
Every malformed request gets a 4xx or a kind reply, never a 5xx or a dropped
connection; the citizens get their right answers; every process is still
running afterwards, none logged a crash, and the portal database holds exactly
what it held before. Everything stays on loopback and is bounded in count and
time.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import AUTH_TOKEN, PORTAL_TOKEN, RunningAssistant, WebhookConnector
from tests.fuzzing import (
    Fuzzer,
    Outcome,
    Tally,
    ValidTraffic,
    keep_going,
    new_session,
    portal_reader,
    problem_with,
    rest_citizen,
    send_all,
    telegram_user,
)

pytestmark = pytest.mark.server

SEED = 20261122
#: Malformed requests per target (about 2,400 in all).
COUNTS = {"rest": 900, "portal": 800, "telegram": 700}
#: The whole fuzzing run may not take longer than this (it takes about a minute).
RUN_LIMIT_SECONDS = 300.0
PORTAL_TABLES = ("applications", "application_history", "appointments", "idempotency_records")


def _portal_rows(database: Path) -> dict[str, int]:
    """Rows of every table the portal writes to, and the free places left in all slots."""
    with sqlite3.connect(database) as db:
        rows = {table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in PORTAL_TABLES}
        rows["free places"] = int(db.execute("SELECT coalesce(sum(remaining), 0) FROM slots").fetchone()[0])
    return rows


async def _fuzz_with_citizens(assistant: RunningAssistant, connector: WebhookConnector
                              ) -> tuple[list[Outcome], ValidTraffic, float]:
    fuzzer = Fuzzer(SEED)
    cases = (fuzzer.rest_cases(COUNTS["rest"]) + fuzzer.portal_cases(COUNTS["portal"], PORTAL_TOKEN)
             + fuzzer.telegram_cases(COUNTS["telegram"], connector.secret))
    targets = {"rest": assistant.rasa_url, "portal": assistant.portal_url.removesuffix("/api/v1"),
               "telegram": connector.url}
    traffic, done = ValidTraffic(), asyncio.Event()
    async with new_session() as session:
        rasa = assistant.rasa_url
        citizens = {
            "REST citizen (zh)": rest_citizen(session, rasa, "我的身份证丢了怎么办", "居民身份证"),
            "REST citizen (en)": rest_citizen(session, rasa, "how do I renew my driving licence",
                                              "driving licence"),
            "Telegram user": telegram_user(connector.api),
            "portal client": portal_reader(session, assistant.portal_url, PORTAL_TOKEN),
        }
        alongside = [asyncio.create_task(keep_going(who, one_round, done, traffic))
                     for who, one_round in citizens.items()]
        started = time.perf_counter()
        try:
            outcomes = await send_all(cases, targets)
        finally:
            done.set()
        seconds = time.perf_counter() - started
        await asyncio.gather(*alongside)
    return outcomes, traffic, seconds


def _tracebacks(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count("Traceback") if log.exists() else 0


def test_malformed_requests_get_refusals_or_kind_replies_and_citizens_are_served(
        assistant: RunningAssistant, webhook_connector: WebhookConnector) -> None:
    logs = assistant.data_dir / "logs"
    crash_logs = {"action server": logs / "action-server.log", "portal": logs / "portal.log"}
    crashes_before = {name: _tracebacks(path) for name, path in crash_logs.items()}
    rows_before = _portal_rows(assistant.portal_database)

    outcomes, traffic, seconds = asyncio.run(
        asyncio.wait_for(_fuzz_with_citizens(assistant, webhook_connector), timeout=RUN_LIMIT_SECONDS))

    print(f"\n{len(outcomes)} malformed requests in {seconds:.1f} s\n{Tally().add(outcomes).table()}")
    print(f"valid rounds alongside: {traffic.rounds}")
    assert len(outcomes) == sum(COUNTS.values())
    problems = [f"{outcome.case!r}: {problem}" for outcome in outcomes
                if (problem := problem_with(outcome))]
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:30])

    assert not traffic.wrong, "\n".join(traffic.wrong[:20])
    assert set(traffic.rounds) == {"REST citizen (zh)", "REST citizen (en)", "Telegram user", "portal client"}

    assert assistant.process.poll() is None, "make run stopped"
    assert webhook_connector.process.poll() is None, "the webhook connector stopped"
    status, _ = assistant.request("GET", f"/status?token={AUTH_TOKEN}")
    assert status == 200
    assert "居民身份证" in "\n".join(assistant.texts(f"after-{uuid.uuid4().hex[:8]}", "我的身份证丢了怎么办"))
    busy = [call.text for call in webhook_connector.api.sent("sendMessage")
            if "系统现在有点忙" in (call.text or "")]
    assert not busy, f"the connector could not reach the assistant {len(busy)} times"
    connector_log = webhook_connector.log.read_text(encoding="utf-8", errors="replace")
    assert "Error while handling an update" not in connector_log, connector_log[-3000:]
    assert "Error handling request" not in connector_log, connector_log[-3000:]
    for name, path in crash_logs.items():
        crashes = _tracebacks(path) - crashes_before[name]
        assert not crashes, f"the {name} logged {crashes} crashes:\n{path.read_text()[-3000:]}"

    assert _portal_rows(assistant.portal_database) == rows_before


def test_refusals_say_what_is_wrong_in_chinese_and_english(assistant: RunningAssistant) -> None:
    status, body = assistant.request("POST", "/webhooks/rest/webhook",
                                     json.dumps({"sender": "x", "message": 42}).encode())
    assert status == 400 and body["error"]["code"] == "invalid_message"
    assert "必须是文字" in body["error"]["message"] and "must be a text" in body["error"]["message"]
    status, body = assistant.request("POST", "/webhooks/rest/webhook", b"\xff\xfe")
    assert status == 400 and body["error"]["code"] == "invalid_encoding"
    status, body = assistant.request("POST", "/webhooks/rest/webhook",
                                     json.dumps({"sender": "x", "message": "身" * 20_001}).encode())
    assert status == 413 and "太长" in body["error"]["message"]
