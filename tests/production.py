"""`make run PROFILE=production` for tests and benchmarks, on this machine's stores.

Each run gets databases and a queue of its own on the local PostgreSQL and
RabbitMQ (removed when it stops), a copy of the assistant's data and model,
and free ports: nginx first, then one per Rasa server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import (
    AUTH_TOKEN,
    PORTAL_TOKEN,
    copy_of_the_assistant,
    free_port,
    port_is_open,
    start_make_run,
)

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"
#: Seconds the profile gets to start (two Rasa servers load the model at once on two cores).
START_SECONDS = 300


def stores_are_running() -> bool:
    """Whether PostgreSQL, Redis and RabbitMQ answer here and nginx is installed."""
    for port in (5432, 6379, 5672):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return False
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports_in_a_row(count: int) -> int:
    """A free port followed by count - 1 free ports (nginx, then the Rasa servers)."""
    for _ in range(50):
        first = free_port()
        if all(not port_is_open(first + offset) and bindable(first + offset) for offset in range(count)):
            return first
    raise RuntimeError("no free ports in a row")


def postgres(database: str, query: str, *args: Any, autocommit: bool = False) -> list[tuple[Any, ...]]:
    """Run one query on a database of the local PostgreSQL; the rows it returns."""
    import psycopg2

    connection = psycopg2.connect(f"{POSTGRES}/{database}")
    connection.autocommit = autocommit
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, args)
            rows = list(cursor.fetchall()) if cursor.description else []
        if not autocommit:
            connection.commit()
        return rows
    finally:
        connection.close()


def drop_database(name: str) -> None:
    postgres("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name,
             autocommit=True)
    postgres("postgres", f'DROP DATABASE IF EXISTS "{name}"', autocommit=True)


async def drain_queue(queue_name: str, quiet_seconds: float = 3.0) -> list[dict[str, Any]]:
    """Every event waiting on the queue, consumed (the queue stays, for the events to come).

    Stops once no event has come for ``quiet_seconds``.
    """
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    events = []
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=2000)
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        async with queue.iterator(no_ack=True) as messages:
            while True:
                try:
                    message = await asyncio.wait_for(messages.__anext__(), timeout=quiet_seconds)
                except (asyncio.TimeoutError, StopAsyncIteration):
                    break
                events.append(json.loads(message.body))
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


@dataclass
class ProductionRun:
    """One `make run PROFILE=production`, and ways to talk to it and look into its stores."""

    process: subprocess.Popen[str]
    balancer_port: int
    rasa_ports: list[int]
    action_port: int
    portal_port: int
    web_port: int
    data_dir: Path
    tracker_db: str
    portal_db: str
    queue: str
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """nginx: the public entrance (channel webhooks, web pages)."""
        return f"http://127.0.0.1:{self.balancer_port}"

    def say(self, sender: str, message: Any, timeout: float = 120) -> tuple[int, Any]:
        """Send a message over the REST channel through nginx; the status and the parsed body."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw.decode(errors="replace")

    def tracker(self, sender: str, port: int) -> dict[str, Any]:
        """The conversation as the Rasa server on ``port`` sees it (its HTTP API, with the token)."""
        url = f"http://127.0.0.1:{port}/conversations/{sender}/tracker?token={AUTH_TOKEN}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return dict(json.loads(response.read()))

    def events(self, sender: str) -> list[tuple[str, float, dict[str, Any]]]:
        """The conversation's events in the PostgreSQL tracker store, in the order they were stored."""
        rows = postgres(self.tracker_db, "SELECT type_name, timestamp, data FROM events "
                                         "WHERE sender_id = %s ORDER BY id", sender)
        return [(kind, timestamp, json.loads(data)) for kind, timestamp, data in rows]

    def rasa_pids(self) -> dict[int, int]:
        """The process id of the Rasa server on each port."""
        pids = {}
        for port in self.rasa_ports:
            found = subprocess.run(["pgrep", "-f", f"bot.rasa_server run .*--port {port} "],
                                   capture_output=True, text=True, check=False).stdout.split()
            if found:
                pids[port] = int(found[0])
        return pids

    def log(self, name: str) -> str:
        return (self.data_dir / "logs" / name).read_text(encoding="utf-8", errors="replace")


def start_production(folder: Path, processes: int = 2, extra_env: dict[str, str] | None = None,
                     echo: str = "production") -> ProductionRun:
    """Start `make run PROFILE=production` with ``processes`` Rasa servers; return once it is ready.

    Raises:
        RuntimeError: It did not start (the end of its output is in the message).

    """
    token = secrets.token_hex(4)
    balancer = free_ports_in_a_row(processes + 1)
    data_dir = folder / "var"
    assistant_dir, models_dir = copy_of_the_assistant(folder)
    run_env = {"RASA_PORT": str(balancer), "ACTION_SERVER_PORT": str(free_port()),
               "PORTAL_PORT": str(free_port()), "WEB_PORT": str(free_port()), "DATA_DIR": str(data_dir),
               "ASSISTANT_DIR": str(assistant_dir), "MODELS_DIR": str(models_dir),
               "RASA_AUTH_TOKEN": AUTH_TOKEN, "PORTAL_API_TOKEN": PORTAL_TOKEN,
               "TRACKER_STORE_URL": f"{POSTGRES}/assistant_tracker_test_{token}",
               "PORTAL_DATABASE_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/assistant_portal_test_{token}",
               "EVENT_QUEUE": f"assistant_events_test_{token}", "RASA_PROCESSES": str(processes),
               **(extra_env or {})}
    env = {**os.environ, **run_env}
    for name in ("PROFILE", "PORTAL_URL", "TELEGRAM_BOT_TOKEN", "BALANCER_PORT", "LOCK_STORE_URL",
                 "EVENT_BROKER_URL"):
        env.pop(name, None)
    output: list[str] = []
    process, ready = start_make_run(["PROFILE=production"], env, output, echo, START_SECONDS)
    run = ProductionRun(process, balancer, [balancer + n for n in range(1, processes + 1)],
                        int(run_env["ACTION_SERVER_PORT"]), int(run_env["PORTAL_PORT"]),
                        int(run_env["WEB_PORT"]), data_dir, f"assistant_tracker_test_{token}",
                        f"assistant_portal_test_{token}", run_env["EVENT_QUEUE"], output=output)
    if not ready:
        stop_production(run, timeout=30)
        raise RuntimeError("the production profile did not start:\n" + "".join(output[-60:]))
    return run


def stop_production(run: ProductionRun, timeout: float = 90) -> bool:
    """Stop the run as Ctrl-C does, then remove its databases and queue.

    Returns:
        Whether it stopped cleanly by itself (else it was killed).

    """
    clean = True
    try:
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGINT)
            try:
                run.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                clean = False
                os.killpg(run.process.pid, signal.SIGKILL)
                run.process.wait(timeout=30)
    finally:
        for database in (run.tracker_db, run.portal_db):
            with contextlib.suppress(Exception):
                drop_database(database)
        with contextlib.suppress(Exception):  # never declared, if the run did not start
            asyncio.run(delete_queue(run.queue))
    return clean
