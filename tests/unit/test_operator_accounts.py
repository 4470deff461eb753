"""Operator accounts: password hashes, sessions that expire, the change log."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.operators.accounts import (
    AccountError,
    Accounts,
    accounts_table,
    hash_password,
    password_matches,
    sessions_table,
)
from bot.settings import Settings

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path: Path, clock: Clock) -> Accounts:
    return Accounts(f"sqlite:///{tmp_path / 'operators.db'}", session_minutes=30, max_session_hours=8,
                    clock=clock)


def test_passwords_are_stored_as_salted_scrypt_hashes(accounts: Accounts) -> None:
    accounts.add("小王", PASSWORD)
    with accounts.engine.connect() as db:
        stored = db.execute(select(accounts_table.c.password_hash)).scalar_one()
    match = re.fullmatch(r"scrypt\$16384\$8\$1\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)", stored)
    assert match is not None, stored
    assert len(base64.b64decode(match.group(1))) == 16
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # a new salt every time
    assert password_matches(PASSWORD, stored) and not password_matches(PASSWORD, "md5$abc")


def test_verify_accepts_only_the_right_password(accounts: Accounts) -> None:
    accounts.add("wang.li", PASSWORD)
    assert accounts.verify("wang.li", PASSWORD)
    assert not accounts.verify("wang.li", PASSWORD + "!")
    assert not accounts.verify("wang.li", "")
    assert not accounts.verify("nobody", PASSWORD)
    assert accounts.names() == ["wang.li"]


@pytest.mark.parametrize(("name", "password", "code"), [
    ("小王", "short", "weak_password"),
    ("has space", PASSWORD, "bad_name"),
    ("", PASSWORD, "bad_name"),
    ("x" * 65, PASSWORD, "bad_name"),
])
def test_bad_accounts_are_refused(accounts: Accounts, name: str, password: str, code: str) -> None:
    with pytest.raises(AccountError) as refused:
        accounts.add(name, password)
    assert refused.value.code == code
    assert accounts.names() == []


def test_names_are_unique(accounts: Accounts) -> None:
    accounts.add("小王", PASSWORD)
    with pytest.raises(AccountError) as refused:
        accounts.add("小王", "another password")
    assert refused.value.code == "exists"
    with pytest.raises(AccountError) as unknown:
        accounts.set_password("小李", PASSWORD)
    assert unknown.value.code == "unknown"


def test_only_a_hash_of_the_session_token_is_stored(accounts: Accounts) -> None:
    accounts.add("小王", PASSWORD)
    session = accounts.start_session("小王")
    assert len(session.token) >= 40 and len(session.csrf) >= 40 and session.token != session.csrf
    with accounts.engine.connect() as db:
        row = db.execute(select(sessions_table)).one()
    assert row.token_hash == hashlib.sha256(session.token.encode()).hexdigest()
    assert session.token not in [str(value) for value in row]
    again = accounts.session(session.token)
    assert again is not None and again.name == "小王" and again.csrf == session.csrf
    assert accounts.session("not-a-token") is None and accounts.session("") is None
    with pytest.raises(AccountError):
        accounts.start_session("nobody")


def test_sessions_end_after_30_idle_minutes_and_slide_with_use(accounts: Accounts, clock: Clock) -> None:
    accounts.add("小王", PASSWORD)
    session = accounts.start_session("小王")
    assert session.expires_at == clock.now + timedelta(minutes=30)
    clock.advance(minutes=29)
    used = accounts.session(session.token)
    assert used is not None and used.expires_at == clock.now + timedelta(minutes=30)
    clock.advance(minutes=29)  # 58 minutes after the start, 29 after the last use
    assert accounts.session(session.token) is not None
    clock.advance(minutes=31)
    assert accounts.session(session.token) is None
    clock.advance(minutes=-31)
    assert accounts.session(session.token) is None  # an expired session is gone for good


def test_sessions_end_after_8_hours_however_busy(accounts: Accounts, clock: Clock) -> None:
    accounts.add("小王", PASSWORD)
    session = accounts.start_session("小王")
    for _ in range(23):  # used every 20 minutes: 7 h 40 min
        clock.advance(minutes=20)
        assert accounts.session(session.token) is not None
    last = accounts.session(session.token)
    started = session.expires_at - timedelta(minutes=30)
    assert last is not None and last.expires_at == started + timedelta(hours=8)
    clock.advance(minutes=21)
    assert accounts.session(session.token) is None


def test_signing_out_and_new_passwords_end_sessions(accounts: Accounts) -> None:
    accounts.add("小王", PASSWORD)
    accounts.add("小李", PASSWORD)
    first, second, other = (accounts.start_session("小王"), accounts.start_session("小王"),
                            accounts.start_session("小李"))
    accounts.end_session(first.token)
    assert accounts.session(first.token) is None and accounts.session(second.token) is not None
    accounts.set_password("小王", "a new password")
    assert accounts.session(second.token) is None
    assert accounts.session(other.token) is not None
    assert accounts.verify("小王", "a new password") and not accounts.verify("小王", PASSWORD)


def test_the_change_log_is_newest_first_with_json_details(accounts: Accounts) -> None:
    accounts.add("小王", PASSWORD)
    accounts.set_password("小王", "a new password")
    accounts.record("小王", "deploy", {"model": "20261123-090000.tar.gz", "held_out": {"zh": 0.93}})
    accounts.record("小王", "login")
    entries = accounts.audit_log()
    assert [e.action for e in entries] == ["login", "deploy", "set_password", "add_account"]
    assert entries[1].details == {"model": "20261123-090000.tar.gz", "held_out": {"zh": 0.93}}
    assert entries[0].details == {} and entries[0].who == "小王"
    assert entries[0].id > entries[1].id and entries[0].when.utcoffset() == timedelta(hours=8)
    assert [e.action for e in accounts.audit_log(limit=1)] == ["login"]


def test_accounts_from_settings_live_in_the_data_folder(tmp_path: Path) -> None:
    accounts = Accounts.from_settings(Settings(data_dir=tmp_path / "var", operator_session_minutes=5))
    accounts.add("小王", PASSWORD)
    assert (tmp_path / "var" / "operators.db").is_file()
    assert accounts.idle == timedelta(minutes=5)
