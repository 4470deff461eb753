"""`make run PROFILE=production`: PostgreSQL, Redis, RabbitMQ and two Rasa servers behind nginx.

Uses the PostgreSQL, Redis and RabbitMQ on this machine (the profile's
defaults), with databases and a queue of its own, removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    AUTH_TOKEN,
    PORTAL_TOKEN,
    PROJECT_DIR,
    copy_of_the_assistant,
    free_port,
    port_is_open,
)

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"

pytestmark = pytest.mark.server


def stores_are_running() -> bool:
    for port in (5432, 6379, 5672):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return False
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


def free_ports_in_a_row(count: int) -> int:
    """A free port followed by count - 1 free ports (nginx, then the Rasa servers)."""
    for _ in range(50):
        first = free_port()
        if all(not port_is_open(first + offset) and bindable(first + offset) for offset in range(count)):
            return first
    raise RuntimeError("no free ports in a row")


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def postgres(database: str, query: str, *args: Any, autocommit: bool = False) -> list[tuple[Any, ...]]:
    import psycopg2

    connection = psycopg2.connect(f"{POSTGRES}/{database}")
    connection.autocommit = autocommit
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, args)
            return list(cursor.fetchall()) if cursor.description else []
        if not autocommit:
            connection.commit()
    finally:
        connection.close()


def drop_database(name: str) -> None:
    postgres("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name,
             autocommit=True)
    postgres("postgres", f'DROP DATABASE IF EXISTS "{name}"', autocommit=True)


async def drain_queue(queue_name: str) -> list[dict[str, Any]]:
    """Every event on the queue (consumed), then the queue deleted."""
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        events = []
        while (message := await queue.get(no_ack=True, fail=False, timeout=5)) is not None:
            events.append(json.loads(message.body))
        await queue.delete(if_unused=False, if_empty=False)
        return events
    finally:
        await connection.close()


async def delete_queue(queue_name: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    try:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
    finally:
        await connection.close()


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.skipif(not stores_are_running(), reason="needs PostgreSQL, Redis, RabbitMQ and nginx here")
def test_the_production_profile_serves_one_conversation_from_two_rasa_servers(tmp_path: Path) -> None:
    token = secrets.token_hex(4)
    tracker_db, portal_db, queue = (f"assistant_tracker_test_{token}", f"assistant_portal_test_{token}",
                                    f"assistant_events_test_{token}")
    balancer = free_ports_in_a_row(3)
    rasa_ports = [balancer + 1, balancer + 2]
    action_port, portal_port, web_port = free_port(), free_port(), free_port()
    data_dir = tmp_path / "var"
    assistant_dir, models_dir = copy_of_the_assistant(tmp_path)
    env = {**os.environ, "RASA_PORT": str(balancer), "ACTION_SERVER_PORT": str(action_port),
           "PORTAL_PORT": str(portal_port), "WEB_PORT": str(web_port), "DATA_DIR": str(data_dir),
           "ASSISTANT_DIR": str(assistant_dir), "MODELS_DIR": str(models_dir),
           "RASA_AUTH_TOKEN": AUTH_TOKEN, "PORTAL_API_TOKEN": PORTAL_TOKEN,
           "TRACKER_STORE_URL": f"{POSTGRES}/{tracker_db}",
           "PORTAL_DATABASE_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{portal_db}",
           "EVENT_QUEUE": queue, "RASA_PROCESSES": "2"}
    for name in ("PROFILE", "PORTAL_URL", "TELEGRAM_BOT_TOKEN", "BALANCER_PORT", "LOCK_STORE_URL",
                 "EVENT_BROKER_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", "PROFILE=production"], cwd=PROJECT_DIR, env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output: list[str] = []
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            sys.stderr.write(f"[production] {line}")
            if line.startswith("Ready."):
                ready.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready.is_set(), "the production profile did not start:\n" + "".join(output[-60:])
        assert f"Created the database {tracker_db}." in "".join(output)

        # One conversation through nginx; each turn may land on either Rasa server.
        sender = f"production-{token}"
        messages = ["你好", "我的身份证丢了怎么办", "需要带什么", "谢谢"]
        replies = [post(f"http://127.0.0.1:{balancer}/webhooks/rest/webhook",
                        {"sender": sender, "message": message}) for message in messages]
        assert all(replies), replies
        # The third turn follows on from the second (the service is remembered), wherever it ran.
        assert "身份证" in replies[2][0]["text"], replies[2]

        # nginx sent the turns to both Rasa servers.
        nginx_log = (data_dir / "logs" / "nginx.log").read_text(encoding="utf-8")
        upstreams = set(re.findall(r'"POST /webhooks/rest/webhook [^"]*" 200 upstream=127\.0\.0\.1:(\d+)',
                                   nginx_log))
        assert upstreams == {str(port) for port in rasa_ports}, nginx_log
        # The Rasa HTTP API is not behind nginx.
        with pytest.raises(urllib.error.HTTPError):
            get(f"http://127.0.0.1:{balancer}/status?token={AUTH_TOKEN}")
        # Both servers see the whole conversation (one shared tracker store).
        trackers = [get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker?token={AUTH_TOKEN}")
                    for port in rasa_ports]
        assert trackers[0]["events"] == trackers[1]["events"]

        # The conversation is in PostgreSQL, its events in order.
        rows = postgres(tracker_db, "SELECT type_name, timestamp, data FROM events WHERE sender_id = %s "
                                    "ORDER BY id", sender)
        assert [json.loads(data)["text"] for kind, _, data in rows if kind == "user"] == messages
        timestamps = [timestamp for _, timestamp, _ in rows]
        assert timestamps == sorted(timestamps)
        kinds = [kind for kind, _, _ in rows]
        assert kinds[:2] == ["action", "session_started"]
        assert sum(kind == "bot" for kind in kinds) >= len(messages)
        for turn in range(len(messages)):  # every message is answered before the next one
            user_at = [i for i, kind in enumerate(kinds) if kind == "user"]
            following = kinds[user_at[turn]:user_at[turn + 1] if turn + 1 < len(user_at) else None]
            assert "bot" in following, kinds

        # The reference portal runs on its PostgreSQL database.
        assert postgres(portal_db, "SELECT count(*) FROM offices")[0][0] > 0

        # Every event went to RabbitMQ too, in the same order.
        published = [event for event in asyncio.run(drain_queue(queue)) if event.get("sender_id") == sender]
        assert [event.get("text") for event in published if event["event"] == "user"] == messages
        assert len(published) == len(rows)

        # Ctrl-C stops every part cleanly.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=90)
        reader.join(timeout=10)
        assert "Stopped." in "".join(output), "".join(output[-30:])
        for port in [balancer, *rasa_ports, action_port, portal_port, web_port]:
            assert not port_is_open(port), port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        for database in (tracker_db, portal_db):
            drop_database(database)
        with contextlib.suppress(Exception):  # drained and deleted already, or never declared
            asyncio.run(delete_queue(queue))
