"""Faults in the production profile: a Rasa server killed, PostgreSQL and Redis restarted, the portal failing.

Every test is bounded (a few citizens, a few seconds of traffic) and brings
back what it stopped. Restarting PostgreSQL and Redis needs the right to run
their service commands here (root); without it those tests are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AUTH_TOKEN, PORTAL_TOKEN
from tests.processes import wait_until_gone
from tests.production import ProductionRun, postgres

pytestmark = pytest.mark.server

#: What nginx answers for a Rasa server that failed (deploy/nginx.conf.template, @assistant_busy).
BUSY = "系统正忙"
ID_NUMBER = "330106194905120022"
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]


def postgres_cluster() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    return versions[-1] if versions else ""


can_restart_stores = (os.geteuid() == 0 and shutil.which("pg_ctlcluster") is not None
                      and bool(postgres_cluster()) and shutil.which("redis-server") is not None)


def talk(production: ProductionRun, sender: str, *messages: str) -> str:
    """Say each message in turn (each must be answered); return what was said to the last one."""
    said = ""
    for message in messages:
        status, replies = production.say(sender, message)
        assert status == 200 and replies, (message, status, replies)
        said = "\n".join(str(reply.get("text", "")) for reply in replies)
    return said


def applications_of(production: ProductionRun, phone: str) -> list[tuple[Any, ...]]:
    return postgres(production.portal_db, "SELECT application_no, applicant_name FROM applications "
                                          "WHERE applicant_phone = %s", phone)


def id_card_until_read_back(production: ProductionRun, sender: str, phone: str, name: str) -> str:
    return talk(production, sender, "我想补办身份证，帮我申请", "丢了", name, ID_NUMBER,
                " ".join((phone[:3], phone[3:7], phone[7:])), "第一个")


def wait_until_serving(production: ProductionRun, port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/status?token={AUTH_TOKEN}", timeout=5) as r:
                if json.loads(r.read()).get("model_file"):
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"the Rasa server on port {port} did not come back")


def test_a_killed_rasa_server_leaves_the_conversation_to_the_other_with_its_slots(
        production: ProductionRun) -> None:
    sender, phone = "fault-killed-rasa", "13900000101"
    talk(production, sender, "我想补办身份证，帮我申请", "丢了", "李建国", ID_NUMBER)
    killed_port = production.rasa_ports[0]
    # The whole server: its process and any process it started (each part runs in a process group of
    # its own), which could otherwise still hold its listening socket.
    group = os.getpgid(production.rasa_pids()[killed_port])
    members = [int(pid) for pid in subprocess.run(["pgrep", "-g", str(group)], capture_output=True,
                                                   text=True, check=False).stdout.split()]
    os.killpg(group, signal.SIGKILL)
    # Until the dying processes have closed their sockets, the kernel still accepts connections for
    # them (a message sent then is lost with the server, and gets nginx's kind "busy" answer); the
    # test goes on once they are gone, as a citizen's next message comes seconds later.
    for pid in members:
        wait_until_gone(pid)

    # Every later turn is answered by the other server, which knows what was said before.
    read_back = talk(production, sender, " ".join((phone[:3], phone[3:7], phone[7:])), "第一个")
    assert "李建国" in read_back and "330106 19490512 0022" in read_back, read_back
    summary = talk(production, sender, "对")
    assert re.search(r"申请号：\d{4} \d{4} \d{4}", summary), summary
    assert [name for _, name in applications_of(production, phone)] == ["李建国"]

    # The supervisor starts the killed server again, with the same model, and it takes turns again.
    wait_until_serving(production, killed_port)
    assert "Rasa server 1 stopped unexpectedly; restarting" in "".join(production.output)
    assert production.process.poll() is None


class Traffic:
    """Citizens talking in the background: each reply is recorded with its status and text."""

    def __init__(self, production: ProductionRun, citizens: int = 6) -> None:
        self.production = production
        self.results: list[tuple[float, int, str]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.citizen, args=(number,), daemon=True)
                        for number in range(citizens)]

    def citizen(self, number: int) -> None:
        messages = ["我的身份证丢了怎么办", "需要带什么", "在哪里办", "谢谢"]
        turn = 0
        while not self.stopping.is_set():
            sender = f"fault-traffic-{number}-{turn // len(messages)}"
            status, replies = self.production.say(sender, messages[turn % len(messages)], timeout=90)
            said = replies if isinstance(replies, list) else [{"text": str(replies)}]
            text = " ".join(str(reply.get("text", "")) for reply in said)
            self.results.append((time.monotonic(), status, text))
            turn += 1

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)


def restart_during_traffic(production: ProductionRun, restart: Callable[[], None]) -> None:
    """Run traffic, restart a store in the middle of it, and check every answer was kind."""
    with Traffic(production) as traffic:
        time.sleep(5)
        restarted_at = time.monotonic()
        restart()
        time.sleep(25)
    statuses = Counter(status for _, status, _ in traffic.results)
    # Every answer is a reply, or nginx's kind "busy" message for a turn that failed.
    unkind = [(status, text) for _, status, text in traffic.results
              if not (status == 200 and text) and not (status == 503 and BUSY in text)]
    assert not unkind, (statuses, unkind[:5])
    # Later turns succeed again: the last ones (well after the restart) were all answered.
    late = [status for at, status, _ in traffic.results if at > restarted_at + 15]
    assert late and set(late[-12:]) == {200}, statuses
    assert production.process.poll() is None
    # The citizens in the background were answered before, during and after.
    assert statuses[200] > 20, statuses


@pytest.mark.skipif(not can_restart_stores, reason="restarting PostgreSQL needs root and pg_ctlcluster")
def test_postgres_restarted_during_traffic(production: ProductionRun) -> None:
    def restart_postgres() -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main", "restart"],
                       check=True, timeout=120)

    try:
        restart_during_traffic(production, restart_postgres)
    finally:  # never leave the machine without its database
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main", "start"],
                       check=False, timeout=120, capture_output=True)
    # A conversation begun now is stored as usual.
    assert "身份证" in talk(production, "fault-after-postgres", "我的身份证丢了怎么办")
    assert production.events("fault-after-postgres")


@pytest.mark.skipif(not can_restart_stores, reason="restarting Redis needs root and redis-server")
def test_redis_restarted_during_traffic(production: ProductionRun) -> None:
    def restart_redis() -> None:
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, timeout=30,
                       capture_output=True)
        time.sleep(2)
        subprocess.run(REDIS_START, check=True, timeout=30)

    try:
        restart_during_traffic(production, restart_redis)
    finally:
        if subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True,
                          check=False).stdout.strip() != "PONG":
            subprocess.run(REDIS_START, check=False, timeout=30)
    assert "身份证" in talk(production, "fault-after-redis", "我的身份证丢了怎么办")


def portal_fault(production: ProductionRun, **fault: Any) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{production.portal_port}/api/v1/_faults", method="POST",
        data=json.dumps({"paths": "/api/v1/applications", "times": 1, **fault}).encode(),
        headers={"Authorization": f"Bearer {PORTAL_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.mark.parametrize("fault", [{"status": 503}, {"delay_ms": 8000}], ids=["failing", "too-slow"])
def test_a_failing_or_slow_portal_loses_no_application_and_makes_none_twice(
        production: ProductionRun, fault: dict[str, Any]) -> None:
    kind = next(iter(fault))
    sender, phone = f"fault-portal-{kind}", {"status": "13900000201", "delay_ms": "13900000202"}[kind]
    id_card_until_read_back(production, sender, phone, "张桂兰")
    portal_fault(production, **fault)
    apology = talk(production, sender, "对")
    assert "再试一次" in apology, apology
    time.sleep(9 if "delay_ms" in fault else 0)  # the slow portal stored it, after the assistant gave up
    # The retry (on whichever Rasa server) submits once, or finds the one the slow portal stored.
    summary = talk(production, sender, "再试一次")
    [(number, name)] = applications_of(production, phone)
    assert name == "张桂兰" and f"{number[:4]} {number[4:8]} {number[8:]}" in summary, summary
    assert "没有要重新提交" in talk(production, sender, "再试一次")
    assert len(applications_of(production, phone)) == 1
