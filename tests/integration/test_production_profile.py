"""`make run PROFILE=production`: PostgreSQL, Redis, RabbitMQ and two Rasa servers behind nginx.

Uses the PostgreSQL, Redis and RabbitMQ on this machine (the profile's
defaults), with databases and a queue of its own, removed at the end
(``production`` fixture, ``tests/production.py``).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import AUTH_TOKEN
from tests.production import ProductionRun, drain_queue, postgres

pytestmark = pytest.mark.server


def test_the_production_profile_serves_one_conversation_from_two_rasa_servers(
        production: ProductionRun) -> None:
    assert f"Created the database {production.tracker_db}." in "".join(production.output)

    # One conversation through nginx; each turn may land on either Rasa server.
    sender = "production-one-conversation"
    messages = ["你好", "我的身份证丢了怎么办", "需要带什么", "谢谢"]
    replies = []
    for message in messages:
        status, reply = production.say(sender, message)
        assert status == 200 and reply, (status, reply)
        replies.append(reply)
    # The third turn follows on from the second (the service is remembered), wherever it ran.
    assert "身份证" in replies[2][0]["text"], replies[2]

    # nginx sent the turns to both Rasa servers.
    nginx_log = production.log("nginx.log")
    upstreams = set(re.findall(r'"POST /webhooks/rest/webhook [^"]*" 200 upstream=127\.0\.0\.1:(\d+)',
                               nginx_log))
    assert upstreams == {str(port) for port in production.rasa_ports}, nginx_log
    # Both servers see the whole conversation (one shared tracker store).
    trackers = [production.tracker(sender, port) for port in production.rasa_ports]
    assert trackers[0]["events"] == trackers[1]["events"]

    # The conversation is in PostgreSQL, its events in order.
    events = production.events(sender)
    assert [data["text"] for kind, _, data in events if kind == "user"] == messages
    timestamps = [timestamp for _, timestamp, _ in events]
    assert timestamps == sorted(timestamps)
    kinds = [kind for kind, _, _ in events]
    assert kinds[:2] == ["action", "session_started"]
    user_at = [i for i, kind in enumerate(kinds) if kind == "user"]
    for turn, start in enumerate(user_at):  # every message is answered before the next one
        following = kinds[start:user_at[turn + 1] if turn + 1 < len(user_at) else None]
        assert "bot" in following, kinds

    # The reference portal runs on its PostgreSQL database.
    assert postgres(production.portal_db, "SELECT count(*) FROM offices")[0][0] > 0

    # Every event went to RabbitMQ too, in the same order.
    published = [event for event in asyncio.run(drain_queue(production.queue))
                 if event.get("sender_id") == sender]
    assert [event.get("text") for event in published if event["event"] == "user"] == messages
    assert len(published) == len(events)


@pytest.mark.parametrize("path", ["/status", "/version", "/conversations/someone/tracker", "/model/parse",
                                  "/domain", "/model"])
def test_only_the_channel_webhooks_and_the_web_pages_are_public(production: ProductionRun, path: str) -> None:
    # Behind nginx, the Rasa HTTP API is not there at all, token or not.
    for suffix in ("", f"?token={AUTH_TOKEN}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{production.url}{path}{suffix}", timeout=30)
        assert refused.value.code in (403, 404, 405), (path, refused.value.code)


@pytest.mark.parametrize("method, path", [("GET", "/conversations/someone/tracker"), ("GET", "/domain"),
                                          ("POST", "/model/parse"), ("PUT", "/model"),
                                          ("POST", "/conversations/someone/messages"),
                                          ("GET", "/status")])
def test_each_rasa_server_wants_its_token_for_everything_but_the_webhooks(
        production: ProductionRun, method: str, path: str) -> None:
    for port in production.rasa_ports:
        for suffix in ("", "?token=wrong-token"):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}{suffix}", method=method,
                                             data=b"{}" if method != "GET" else None,
                                             headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 401, (port, method, path, suffix)
        # The channel webhook needs none.
        status, reply = production.say("production-webhook-open", "你好")
        assert status == 200 and reply


def test_the_rasa_token_is_not_on_any_command_line(production: ProductionRun) -> None:
    """Every user of the machine can read command lines (``ps``): the token is not there."""
    pids = production.rasa_pids()
    assert sorted(pids) == sorted(production.rasa_ports)
    for pid in pids.values():
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert "bot.rasa_server" in command_line and AUTH_TOKEN not in command_line
    every_command_line = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                                        check=True).stdout
    assert AUTH_TOKEN not in every_command_line
