"""The reference portal as `python -m portal` runs it, on SQLite and on PostgreSQL.

Each backend gets its own portal process (fault injection on, a small seed of
offices open all day so that there are always future slots), talked to over
HTTP with `requests`; the database is checked with SQL.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.conftest import PROJECT_DIR, free_port
from tests.portal_seed import write_seed

TOKEN = "test-token"
BASE = "/api/v1"
ID_NUMBER = "11010519491231002X"
CST = timezone(timedelta(hours=8))
REAL_SEED = PROJECT_DIR / "portal" / "seed"
APPLICATIONS = f"{BASE}/applications"
APPOINTMENTS = f"{BASE}/appointments"


@dataclass
class Portal:
    """A portal process and ways to talk to it and to its database."""

    backend: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    picked_slots: set[int] = field(default_factory=set)
    _engine: Engine | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "portal", "--port", str(self.port)], cwd=PROJECT_DIR, env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}{BASE}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the portal did not start:\n{self.log_path.read_text(encoding='utf-8')[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def call(self, method: str, path: str, *, token: str | None = TOKEN, key: str | None = None,
             headers: dict[str, str] | None = None, timeout: float = 15, **kwargs: Any) -> requests.Response:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        if key is not None:
            sent["Idempotency-Key"] = key
        return requests.request(method, f"{self.url}{path}", headers=sent, timeout=timeout, **kwargs)

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        if self._engine is None:
            self._engine = create_engine(self.database_url, future=True)
        with self._engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), params)]

    def scalar(self, query: str, **params: Any) -> Any:
        return self.sql(query, **params)[0][0]

    def fresh_slot(self, office_id: str, service_id: str) -> dict[str, Any]:
        """A future slot nobody has booked, not handed to another test."""
        response = self.call("GET", f"{BASE}/appointments/slots",
                             params={"office_id": office_id, "service_id": service_id})
        assert response.status_code == 200, response.text
        capacity = self.scalar("SELECT slot_capacity FROM offices WHERE id = :id", id=office_id)
        for slot in response.json()["slots"]:
            if slot["remaining"] == capacity and slot["id"] not in self.picked_slots:
                self.picked_slots.add(slot["id"])
                return dict(slot)
        raise AssertionError("no free slot left")

    def close(self) -> None:
        self.stop()
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the session, dropped at the end."""
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                                 connect_timeout=3)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres: {error}")
    admin.autocommit = True
    name = f"portal_test_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        # A new connection: the server may have restarted since (the production fault tests restart it).
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                                 connect_timeout=10)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def portal_env(data_dir: Path, seed_dir: Path, database_url: str, faults: bool = True) -> dict[str, str]:
    return {**os.environ, "DATA_DIR": str(data_dir), "PORTAL_SEED_DIR": str(seed_dir),
            "PORTAL_DATABASE_URL": database_url, "PORTAL_API_TOKEN": TOKEN,
            "PORTAL_FAULT_INJECTION": "1" if faults else "", "HOST": "127.0.0.1"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    scratch = tmp_path_factory.mktemp(f"portal-{request.param}")
    seed_dir = write_seed(scratch / "seed")
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_url")
        env = portal_env(scratch / "var", seed_dir, database_url)
    else:
        database_url = f"sqlite:///{scratch / 'var' / 'portal.db'}"
        env = portal_env(scratch / "var", seed_dir, "")  # the default: portal.db in DATA_DIR
    running = Portal(request.param, database_url, env, scratch / "portal.log")
    running.start()
    yield running
    running.close()


def key() -> str:
    return f"test-{uuid.uuid4()}"


def unique_phone() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


def application(phone: str | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_id": "id_card", "kind": "replacement",
        "applicant": {"name": "王秀英", "id_number": ID_NUMBER, "phone": phone or unique_phone()},
        "fields": {"reason": "lost", "collection_office_id": "xihu"}, "proxy": None, "channel": "rest"}
    body.update(changes)
    return body


def appointment(slot_id: int, **changes: Any) -> dict[str, Any]:
    return {"slot_id": slot_id, "service_id": "id_card", "name": "王秀英", "phone": "13812345678", **changes}


def assert_error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


# --- health, auth, languages ---

def test_health_needs_no_token(portal: Portal) -> None:
    response = portal.call("GET", f"{BASE}/health", token=None)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


PROTECTED = [
    ("GET", f"{BASE}/services"), ("GET", f"{BASE}/services/id_card"), ("GET", f"{BASE}/offices"),
    ("GET", f"{BASE}/appointments/slots?office_id=xihu&service_id=id_card"), ("POST", f"{BASE}/appointments"),
    ("POST", f"{BASE}/applications"), ("GET", f"{BASE}/applications/261124000123?phone=13812345678"),
    ("POST", f"{BASE}/applications/261124000123/status"), ("GET", f"{BASE}/openapi.json"),
    ("GET", "/openapi.json"), ("POST", f"{BASE}/_faults"), ("DELETE", f"{BASE}/_faults"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_but_health_needs_the_token(portal: Portal, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer"}, {"Authorization": f"Bearer {TOKEN}x"}):
        response = portal.call(method, path, token=None, headers=headers, json={})
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


def test_services_in_both_languages(portal: Portal) -> None:
    zh = portal.call("GET", f"{BASE}/services").json()["services"]
    assert zh == portal.call("GET", f"{BASE}/services", params={"lang": "zh"}).json()["services"]
    en = portal.call("GET", f"{BASE}/services", params={"lang": "en"}).json()["services"]
    assert [s["id"] for s in zh] == [s["id"] for s in en] == ["id_card", "hukou", "pension"]
    assert zh[0] == {"id": "id_card", "name": "id_card（中文）", "summary": "简要说明。",
                     "application_kinds": ["renewal", "replacement"]}
    assert en[0]["name"] == "id_card (English)"
    assert zh[1]["application_kinds"] == []


@pytest.mark.parametrize("path", [f"{BASE}/services", f"{BASE}/services/id_card", f"{BASE}/offices"])
@pytest.mark.parametrize("lang", ["fr", "EN", "", "zh-CN", "%FF"])
def test_other_languages_are_refused(portal: Portal, path: str, lang: str) -> None:
    message = assert_error(portal.call("GET", f"{path}?lang={lang}"), 400, "invalid_language")
    assert "lang" in message


def test_service_guide(portal: Portal) -> None:
    guide = portal.call("GET", f"{BASE}/services/id_card", params={"lang": "en"}).json()
    assert set(guide) == {"id", "lang", "name", "summary", "eligibility", "materials", "fee",
                          "processing_time", "online", "elderly_notes", "application_kinds", "offices"}
    assert (guide["id"], guide["lang"], guide["fee"]) == ("id_card", "en", "Free")
    assert guide["materials"] == ["Household register"]
    assert [o["id"] for o in guide["offices"]] == ["xihu", "binjiang"]
    assert guide["offices"][0]["name"] == "Xihu Service Hall"
    zh = portal.call("GET", f"{BASE}/services/id_card").json()
    assert zh["lang"] == "zh" and zh["offices"][0]["name"] == "xihu办事大厅"
    assert portal.call("GET", f"{BASE}/services/hukou").json()["offices"] == []
    assert_error(portal.call("GET", f"{BASE}/services/passport"), 404, "not_found")
    assert_error(portal.call("GET", f"{BASE}/services/%FF%FE"), 404, "not_found")


def test_offices(portal: Portal) -> None:
    offices = portal.call("GET", f"{BASE}/offices").json()["offices"]
    assert [o["id"] for o in offices] == ["xihu", "binjiang", "tiny"]
    xihu = offices[0]
    assert set(xihu) == {"id", "name", "address", "phone", "opening_hours", "opening_hours_text",
                         "accessibility", "services"}
    assert xihu["opening_hours"] == [{"weekdays": [1, 2, 3, 4, 5, 6, 7], "open": "00:00", "close": "24:00"}]
    assert xihu["services"] == ["id_card", "pension"]
    assert xihu["accessibility"] == ["无障碍通道", "老年人优先窗口"]
    en = portal.call("GET", f"{BASE}/offices", params={"lang": "en", "service_id": "pension"}).json()
    assert [(o["id"], o["name"]) for o in en["offices"]] == [("xihu", "Xihu Service Hall"),
                                                              ("tiny", "Tiny Service Hall")]
    assert portal.call("GET", f"{BASE}/offices", params={"service_id": "hukou"}).json() == {"offices": []}
    assert_error(portal.call("GET", f"{BASE}/offices", params={"service_id": "passport"}), 404, "not_found")


# --- appointments ---

def test_free_slots(portal: Portal) -> None:
    now = datetime.now(CST)
    slots = portal.call("GET", f"{BASE}/appointments/slots",
                        params={"office_id": "binjiang", "service_id": "id_card"}).json()["slots"]
    assert slots
    for slot in slots:
        assert set(slot) == {"id", "office_id", "date", "start", "end", "remaining"}
        assert slot["office_id"] == "binjiang" and slot["remaining"] > 0
        assert re.fullmatch(r"\d\d:\d\d", slot["start"]) and re.fullmatch(r"\d\d:\d\d", slot["end"])
        assert (slot["date"], slot["start"]) > (now.date().isoformat(), now.strftime("%H:%M"))
    last = (now.date() + timedelta(days=13)).isoformat()
    assert max(s["date"] for s in slots) == last
    tomorrow = (now.date() + timedelta(days=1)).isoformat()
    day = portal.call("GET", f"{BASE}/appointments/slots", params={
        "office_id": "binjiang", "service_id": "id_card", "date": tomorrow}).json()["slots"]
    assert [s["start"] for s in day][:3] == ["00:00", "00:30", "01:00"]
    assert len(day) == 48 and {s["date"] for s in day} == {tomorrow}
    for far_or_past in (now.date() + timedelta(days=30), now.date() - timedelta(days=1)):
        response = portal.call("GET", f"{BASE}/appointments/slots", params={
            "office_id": "binjiang", "service_id": "id_card", "date": far_or_past.isoformat()})
        assert response.json() == {"slots": []}


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"office_id": "nowhere", "service_id": "id_card"}, 404, "not_found"),
    ({"office_id": "xihu", "service_id": "passport"}, 404, "not_found"),
    ({"office_id": "tiny", "service_id": "id_card"}, 422, "service_not_offered"),
    ({"office_id": "xihu", "service_id": "id_card", "date": "2026-02-30"}, 400, "invalid_date"),
    ({"office_id": "xihu", "service_id": "id_card", "date": "24/11/2026"}, 400, "invalid_date"),
    ({"office_id": "xihu", "service_id": "id_card", "date": ""}, 400, "invalid_date"),
    ({"service_id": "id_card"}, 400, "invalid_parameter"),
    ({"office_id": "xihu"}, 400, "invalid_parameter"),
])
def test_slot_errors(portal: Portal, params: dict[str, str], status: int, code: str) -> None:
    assert_error(portal.call("GET", f"{BASE}/appointments/slots", params=params), status, code)


def test_booking_is_idempotent_and_counts_down(portal: Portal) -> None:
    slot = portal.fresh_slot("xihu", "id_card")
    first_key = key()
    first = portal.call("POST", f"{BASE}/appointments?lang=en", key=first_key, json=appointment(slot["id"]))
    assert first.status_code == 201, first.text
    booked = first.json()
    assert re.fullmatch(r"A\d{10}", booked["appointment_no"])
    assert booked["appointment_no"][1:7] == date.fromisoformat(slot["date"]).strftime("%y%m%d")
    assert {k: booked[k] for k in ("status", "service_id", "date", "start", "end", "name", "phone")} == {
        "status": "booked", "service_id": "id_card", "date": slot["date"], "start": slot["start"],
        "end": slot["end"], "name": "王秀英", "phone": "13812345678"}
    assert booked["office"]["id"] == "xihu" and booked["office"]["name"] == "Xihu Service Hall"
    assert datetime.fromisoformat(booked["created_at"]).utcoffset() == timedelta(hours=8)

    again = portal.call("POST", f"{BASE}/appointments?lang=en", key=first_key, json=appointment(slot["id"]))
    assert again.status_code == 200 and again.json() == booked
    assert_error(portal.call("POST", f"{BASE}/appointments", key=first_key,
                             json=appointment(slot["id"], name="李四")), 409, "idempotency_key_reused")
    assert portal.scalar("SELECT remaining FROM slots WHERE id = :id", id=slot["id"]) == 1

    second = portal.call("POST", APPOINTMENTS, key=key(), json=appointment(slot["id"], name="Li Si"))
    assert second.status_code == 201, second.text
    assert_error(portal.call("POST", f"{BASE}/appointments", key=key(), json=appointment(slot["id"])),
                 409, "slot_full")
    assert portal.scalar("SELECT remaining FROM slots WHERE id = :id", id=slot["id"]) == 0
    assert portal.scalar("SELECT count(*) FROM appointments WHERE slot_id = :id", id=slot["id"]) == 2
    listed = portal.call("GET", f"{BASE}/appointments/slots",
                         params={"office_id": "xihu", "service_id": "id_card", "date": slot["date"]}).json()
    assert slot["id"] not in [s["id"] for s in listed["slots"]]


@pytest.mark.parametrize(("changes", "status", "code", "field_name"), [
    ({"slot_id": "1"}, 422, "invalid_field", "slot_id"),
    ({"slot_id": True}, 422, "invalid_field", "slot_id"),
    ({"slot_id": 99999999}, 422, "invalid_field", "slot_id"),
    ({"slot_id": 10**30}, 422, "invalid_field", "slot_id"),
    ({"slot_id": -1}, 422, "invalid_field", "slot_id"),
    ({"slot_id": 1.5}, 422, "invalid_field", "slot_id"),
    ({"service_id": "id\u0000card"}, 422, "invalid_field", "service_id"),
    ({"name": "王秀\u0000英"}, 422, "invalid_field", "name"),
    ({"name": "王"}, 422, "invalid_field", "name"),
    ({"name": 12}, 422, "invalid_field", "name"),
    ({"phone": "12812345678"}, 422, "invalid_field", "phone"),
    ({"id_number": "330106194905120028"}, 422, "invalid_field", "id_number"),
    ({"service_id": "passport"}, 422, "invalid_field", "service_id"),
    ({"service_id": "pension"}, 422, "service_not_offered", "pension"),
    ({"colour": "red"}, 422, "invalid_field", "colour"),
])
def test_booking_refuses_bad_fields(portal: Portal, changes: dict[str, Any], status: int, code: str,
                                    field_name: str) -> None:
    slot = portal.fresh_slot("binjiang", "id_card")
    body = {**appointment(slot["id"]), **changes}
    message = assert_error(portal.call("POST", f"{BASE}/appointments", key=key(), json=body), status, code)
    assert field_name in message


def test_booking_needs_a_good_idempotency_key(portal: Portal) -> None:
    slot = portal.fresh_slot("binjiang", "id_card")
    assert_error(portal.call("POST", f"{BASE}/appointments", json=appointment(slot["id"])),
                 400, "idempotency_key_required")
    for bad in ("short", "x" * 129, "clé-abcdefgh"):
        assert_error(portal.call("POST", f"{BASE}/appointments", json=appointment(slot["id"]),
                                 headers={"Idempotency-Key": bad}), 400, "invalid_idempotency_key")
    assert portal.scalar("SELECT remaining FROM slots WHERE id = :id", id=slot["id"]) == 4


def test_no_overbooking_under_concurrency(portal: Portal) -> None:
    slot = portal.fresh_slot("tiny", "pension")  # capacity 3
    barrier = threading.Barrier(10)
    results: list[requests.Response] = []

    def book(index: int) -> None:
        barrier.wait()
        body = appointment(slot["id"], service_id="pension", phone=f"1381234560{index}")
        results.append(portal.call("POST", APPOINTMENTS, key=key(), timeout=60, json=body))

    threads = [threading.Thread(target=book, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 3 + [409] * 7, [r.text for r in results]
    for response in results:
        if response.status_code == 409:
            assert_error(response, 409, "slot_full")
    assert portal.scalar("SELECT remaining FROM slots WHERE id = :id", id=slot["id"]) == 0
    assert portal.scalar("SELECT count(*) FROM appointments WHERE slot_id = :id", id=slot["id"]) == 3


# --- applications ---

def test_application_submit_and_status_lookup(portal: Portal) -> None:
    phone = unique_phone()
    proxy = {"name": "李小红", "phone": "13700001111", "relationship": "daughter", "consent": True}
    response = portal.call("POST", f"{BASE}/applications", key=key(), json=application(phone, proxy=proxy))
    assert response.status_code == 201, response.text
    submitted = response.json()
    number = submitted["application_no"]
    assert re.fullmatch(r"\d{12}", number)
    assert number[:6] == datetime.now(CST).strftime("%y%m%d") or number[:6] == (
        datetime.now(CST) - timedelta(minutes=1)).strftime("%y%m%d")
    assert submitted["status"] == "submitted" and submitted["kind"] == "replacement"
    assert submitted["applicant"] == {"name": "王秀英", "phone": f"{phone[:3]}****{phone[-4:]}"}
    assert submitted["proxy"] == {"name": "李小红", "phone": "137****1111", "relationship": "daughter",
                                  "consent": True}
    assert submitted["fields"] == {"reason": "lost", "collection_office_id": "xihu"}
    assert submitted["channel"] == "rest"
    assert [h["status"] for h in submitted["history"]] == ["submitted"]
    assert ID_NUMBER not in response.text and phone not in response.text

    found = portal.call("GET", f"{BASE}/applications/{number}", params={"phone": phone})
    assert found.status_code == 200 and found.json() == submitted
    assert portal.scalar("SELECT applicant_id_number FROM applications WHERE application_no = :n",
                         n=number) == ID_NUMBER
    wrong = assert_error(portal.call("GET", f"{BASE}/applications/{number}", params={"phone": "13800000000"}),
                         404, "not_found")
    unknown = assert_error(portal.call("GET", f"{BASE}/applications/999999999999", params={"phone": phone}),
                           404, "not_found")
    assert wrong == unknown
    assert_error(portal.call("GET", f"{BASE}/applications/{number}"), 400, "phone_required")
    assert_error(portal.call("GET", f"{BASE}/applications/{number}?phone="), 400, "phone_required")


def test_pension_certification_application(portal: Portal) -> None:
    body = application(service_id="pension", kind="qualification_certification",
                       fields={"method": "home_visit", "address": "西湖区文三路1号3幢201"},
                       channel="telegram")
    response = portal.call("POST", f"{BASE}/applications", key=key(), json=body)
    assert response.status_code == 201, response.text
    assert response.json()["fields"] == body["fields"]


@pytest.mark.parametrize(("changes", "field_name"), [
    ({"applicant": {"name": "王", "id_number": ID_NUMBER, "phone": "13812345678"}}, "applicant.name"),
    ({"applicant": {"name": 5, "id_number": ID_NUMBER, "phone": "13812345678"}}, "applicant.name"),
    ({"applicant": {"name": "王秀英", "id_number": "330106194905120028", "phone": "13812345678"}},
     "applicant.id_number"),
    ({"applicant": {"name": "王秀英", "id_number": ID_NUMBER, "phone": "12345"}}, "applicant.phone"),
    ({"applicant": {"name": "王秀英", "phone": "13812345678"}}, "applicant.id_number"),
    ({"applicant": {"name": "王秀英", "id_number": ID_NUMBER, "phone": "13812345678", "age": 77}},
     "applicant.age"),
    ({"proxy": {"name": "李小红", "phone": "13700001111", "relationship": "daughter", "consent": False}},
     "proxy.consent"),
    ({"proxy": {"name": "李小红", "phone": "13700001111", "relationship": "daughter", "consent": "yes"}},
     "proxy.consent"),
    ({"proxy": {"name": "李小红", "phone": "13700001111", "consent": True}}, "proxy.relationship"),
    ({"proxy": {"name": "李小红", "phone": "110", "relationship": "daughter", "consent": True}},
     "proxy.phone"),
    ({"service_id": "passport"}, "service_id"),
    ({"service_id": "id_card\u0000"}, "service_id"),
    ({"service_id": "x" * 5000}, "service_id"),
    ({"kind": "renewal\u0000"}, "kind"),
    ({"fields": {"reason": "lost\u0000", "collection_office_id": "xihu"}}, "fields.reason"),
    ({"service_id": "hukou"}, "service_id"),
    ({"kind": "new"}, "kind"),
    ({"fields": {"reason": "stolen", "collection_office_id": "xihu"}}, "fields.reason"),
    ({"fields": {"reason": "lost", "collection_office_id": "tiny"}}, "fields.collection_office_id"),
    ({"fields": {"reason": "lost", "collection_office_id": "xihu", "note": "x"}}, "fields.note"),
    ({"fields": {"reason": 1, "collection_office_id": "xihu"}}, "fields.reason"),
    ({"fields": {"reason": "lost", "collection_office_id": "xihu", "\U0001f600": "x"}}, "fields.\U0001f600"),
    ({"service_id": "pension", "kind": "qualification_certification", "fields": {"method": "home_visit"}},
     "fields.address"),
    ({"channel": "web chat"}, "channel"),
    ({"extra": 1}, "extra"),
])
def test_application_refuses_bad_fields(portal: Portal, changes: dict[str, Any], field_name: str) -> None:
    phone = unique_phone()
    body = {**application(phone), **changes}
    message = assert_error(portal.call("POST", APPLICATIONS, key=key(), json=body), 422, "invalid_field")
    assert message.startswith(f"{field_name}: "), message
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 0


def test_the_same_key_gives_one_application(portal: Portal) -> None:
    phone, used = unique_phone(), key()
    first = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone))
    second = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    # the same request with keys in another order and the optional fields left out
    body = application(phone)
    del body["proxy"]
    reordered = dict(reversed(list(body.items())))
    assert portal.call("POST", f"{BASE}/applications", key=used, json=reordered).status_code == 200
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 1
    assert portal.scalar("SELECT count(*) FROM idempotency_records WHERE key = :k", k=used) == 1
    assert_error(portal.call("POST", APPLICATIONS, key=used, json=application(phone, kind="renewal")),
                 409, "idempotency_key_reused")
    # a key is for one endpoint: the same key on another endpoint is another request
    slot = portal.fresh_slot("binjiang", "id_card")
    assert_error(portal.call("POST", f"{BASE}/appointments", key=used, json=appointment(slot["id"])),
                 409, "idempotency_key_reused")
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 1


def test_concurrent_requests_with_one_key_make_one_application(portal: Portal) -> None:
    phone, used = unique_phone(), key()
    barrier = threading.Barrier(8)
    results: list[requests.Response] = []

    def submit() -> None:
        barrier.wait()
        results.append(portal.call("POST", APPLICATIONS, key=used, json=application(phone), timeout=60))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [200] * 7 + [201], [r.text for r in results]
    assert len({r.json()["application_no"] for r in results}) == 1
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 1
    assert portal.scalar("SELECT count(*) FROM idempotency_records WHERE key = :k", k=used) == 1


def test_operators_move_applications_on(portal: Portal) -> None:
    phone = unique_phone()
    number = portal.call("POST", APPLICATIONS, key=key(), json=application(phone)).json()["application_no"]
    path = f"{BASE}/applications/{number}/status"
    accepted = portal.call("POST", path, json={"status": "accepted", "note": "材料齐全"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert [(h["status"], h["note"]) for h in accepted.json()["history"]] == [("submitted", ""),
                                                                             ("accepted", "材料齐全")]
    assert portal.call("POST", path, json={"status": "completed"}).status_code == 200
    found = portal.call("GET", f"{BASE}/applications/{number}", params={"phone": phone}).json()
    assert found["status"] == "completed"
    assert [h["status"] for h in found["history"]] == ["submitted", "accepted", "completed"]
    assert portal.scalar(
        "SELECT count(*) FROM application_history h JOIN applications a ON a.id = h.application_id "
        "WHERE a.application_no = :n", n=number) == 3
    assert_error(portal.call("POST", path, json={"status": "processing"}), 409, "invalid_status_change")
    assert_error(portal.call("POST", path, json={"status": "done"}), 422, "invalid_field")
    assert_error(portal.call("POST", path, json={"status": 3}), 422, "invalid_field")
    assert_error(portal.call("POST", path, json={"status": "ready", "note": "x" * 501}), 422, "invalid_field")
    assert_error(portal.call("POST", f"{BASE}/applications/000000000000/status", json={"status": "ready"}),
                 404, "not_found")


# --- malformed requests ---

def _post(portal: Portal, data: Any, content_type: str | None = "application/json",
          path: str = f"{BASE}/applications") -> requests.Response:
    headers = {"Idempotency-Key": key()}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return portal.call("POST", path, headers=headers, data=data)


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    (b'{"service_id": "id_card",', "application/json", 400, "invalid_json"),
    (b"", "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 400, "invalid_json"),
    (b'"text"', "application/json", 400, "invalid_json"),
    (b'{"slot_id": NaN}', "application/json", 400, "invalid_json"),
    (b'{"a": ' + b"[" * 30000 + b"]" * 30000 + b"}", "application/json", 400, "invalid_json"),
    (b'{"name": "\xff\xfe"}', "application/json", 400, "invalid_encoding"),
    (b'{"name": "\xe7\x8e"}', "application/json; charset=utf-8", 400, "invalid_encoding"),
    (b'{"name": "\\ud800", "fields": {"\\udfff": "x"}}', "application/json", 400, "invalid_encoding"),
    (b'{"name": "x"}', "application/json; charset=latin-1", 415, "unsupported_media_type"),
    (b"{}", "text/plain", 415, "unsupported_media_type"),
    (b"service_id=id_card", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"{}", None, 415, "unsupported_media_type"),
    (b'{"pad": "' + b"x" * 70_000 + b'"}', "application/json", 413, "payload_too_large"),
])
@pytest.mark.parametrize("path", [f"{BASE}/applications", f"{BASE}/appointments"])
def test_malformed_bodies_get_4xx(portal: Portal, data: bytes, content_type: str | None, status: int,
                                  code: str, path: str) -> None:
    assert_error(_post(portal, data, content_type, path), status, code)


def test_big_streamed_bodies_are_refused(portal: Portal) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 8192

    assert_error(_post(portal, chunks()), 413, "payload_too_large")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"{BASE}/services/id%00card"), ("GET", f"{BASE}/services/{'x' * 3000}"),
    ("GET", f"{BASE}/offices?service_id=%00"),
    ("GET", f"{BASE}/appointments/slots?office_id=%00&service_id=id_card"),
    ("GET", f"{BASE}/appointments/slots?office_id=xihu&service_id=id%00card"),
    ("GET", f"{BASE}/applications/%00?phone=13812345678"), ("GET", f"{BASE}/applications/1%2F2?phone=1"),
    ("POST", f"{BASE}/applications/26112400012%00/status"),
])
def test_odd_identifiers_are_unknown_not_errors(portal: Portal, method: str, path: str) -> None:
    assert_error(portal.call(method, path, json={"status": "ready"}), 404, "not_found")


def test_unknown_routes_and_methods(portal: Portal) -> None:
    assert_error(portal.call("GET", f"{BASE}/nothing"), 404, "not_found")
    assert_error(portal.call("GET", f"{BASE}/nothing", token=None), 404, "not_found")
    assert_error(portal.call("GET", "/"), 404, "not_found")
    assert_error(portal.call("GET", f"{BASE}/services/"), 404, "not_found")
    response = portal.call("DELETE", f"{BASE}/services")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
    assert_error(portal.call("PUT", f"{BASE}/applications", json={}), 405, "method_not_allowed")


def test_openapi_lists_every_path(portal: Portal) -> None:
    expected = {f"{BASE}/health", f"{BASE}/services", f"{BASE}/services/{{service_id}}", f"{BASE}/offices",
                f"{BASE}/appointments/slots", f"{BASE}/appointments", f"{BASE}/applications",
                f"{BASE}/applications/{{application_no}}", f"{BASE}/applications/{{application_no}}/status",
                f"{BASE}/_faults"}
    for path in (f"{BASE}/openapi.json", "/openapi.json"):
        response = portal.call("GET", path)
        assert response.status_code == 200, response.text
        spec = response.json()
        assert spec["openapi"].startswith("3.")
        assert set(spec["paths"]) == expected
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    assert "requestBody" in spec["paths"][f"{BASE}/applications"]["post"]


# --- fault injection, restarts ---

def test_injected_server_errors_store_nothing(portal: Portal) -> None:
    fault = {"status": 503, "times": 1, "paths": APPLICATIONS}
    faults = portal.call("POST", f"{BASE}/_faults", json=fault)
    assert faults.status_code == 200, faults.text
    assert faults.json() == {"faults": {"delay_ms": 0, **fault}}
    phone, used = unique_phone(), key()
    assert portal.call("GET", f"{BASE}/services").status_code == 200  # another path: not affected
    assert_error(portal.call("POST", APPLICATIONS, key=used, json=application(phone)), 503, "unavailable")
    assert portal.scalar("SELECT count(*) FROM idempotency_records WHERE key = :k", k=used) == 0
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 0
    retried = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone))
    assert retried.status_code == 201, retried.text

    portal.call("POST", f"{BASE}/_faults", json={"status": 500, "times": 5, "paths": f"{BASE}/services"})
    assert_error(portal.call("GET", f"{BASE}/services"), 500, "internal_error")
    assert portal.call("DELETE", f"{BASE}/_faults").json() == {"faults": None}
    assert portal.call("GET", f"{BASE}/services").status_code == 200


def test_injected_delays_come_after_the_work(portal: Portal) -> None:
    portal.call("POST", f"{BASE}/_faults", json={"delay_ms": 1500, "paths": f"{BASE}/applications"})
    phone, used = unique_phone(), key()
    with pytest.raises(requests.Timeout):
        portal.call("POST", f"{BASE}/applications", key=used, json=application(phone), timeout=0.5)
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 1
    number = portal.scalar("SELECT application_no FROM applications WHERE applicant_phone = :p", p=phone)
    retried = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone))
    assert retried.status_code == 200 and retried.json()["application_no"] == number
    assert portal.scalar("SELECT count(*) FROM applications WHERE applicant_phone = :p", p=phone) == 1


@pytest.mark.parametrize("body", [{"status": 404}, {"delay_ms": -1}, {"delay_ms": 10, "times": 0},
                                  {"delay_ms": 10, "paths": "api"}, {}, {"delay_ms": "5"}])
def test_bad_fault_settings_are_refused(portal: Portal, body: dict[str, Any]) -> None:
    assert_error(portal.call("POST", f"{BASE}/_faults", json=body), 422, "invalid_field")


def test_data_survives_a_restart(portal: Portal) -> None:
    phone, used = unique_phone(), key()
    submitted = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone)).json()
    counts = "SELECT (SELECT count(*) FROM services), (SELECT count(*) FROM service_texts), " \
             "(SELECT count(*) FROM offices), (SELECT count(*) FROM office_texts), " \
             "(SELECT count(*) FROM applications), (SELECT count(*) FROM appointments)"
    before = portal.sql(counts)
    last_day = portal.scalar("SELECT max(date) FROM slots")
    slots_before = portal.scalar("SELECT count(*) FROM slots WHERE date <= :d", d=last_day)
    portal.stop()
    portal.start()
    assert portal.sql(counts) == before
    assert portal.scalar("SELECT count(*) FROM slots WHERE date <= :d", d=last_day) == slots_before
    found = portal.call("GET", f"{BASE}/applications/{submitted['application_no']}", params={"phone": phone})
    assert found.json() == submitted
    replay = portal.call("POST", f"{BASE}/applications", key=used, json=application(phone))
    assert replay.status_code == 200 and replay.json() == submitted


# --- the shipped seed, without fault injection ---

@pytest.mark.skipif(not (REAL_SEED / "offices.yml").is_file(), reason="portal/seed has no offices.yml yet")
def test_the_shipped_seed_and_no_fault_endpoint(tmp_path: Path) -> None:
    running = Portal("sqlite", f"sqlite:///{tmp_path / 'var' / 'portal.db'}",
                     portal_env(tmp_path / "var", REAL_SEED, "", faults=False), tmp_path / "portal.log")
    running.start()
    try:
        from bot.services import catalogue

        for lang in ("zh", "en"):
            services = running.call("GET", f"{BASE}/services", params={"lang": lang}).json()["services"]
            assert [s["id"] for s in services] == list(catalogue())
            for service in services:
                guide = running.call("GET", f"{BASE}/services/{service['id']}", params={"lang": lang})
                assert guide.status_code == 200 and guide.json()["materials"], guide.text
        assert_error(running.call("POST", f"{BASE}/_faults", json={"status": 503}), 404, "not_found")
        assert_error(running.call("DELETE", f"{BASE}/_faults"), 404, "not_found")
        paths = running.call("GET", "/openapi.json").json()["paths"]
        assert f"{BASE}/_faults" not in paths
        assert "Portal ready at http://127.0.0.1:" in (tmp_path / "portal.log").read_text(encoding="utf-8")
    finally:
        running.close()
