"""Retention: old conversations and their handoffs are deleted, recent ones kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.handoff import HandoffDesk, HandoffError
from bot.operator_cli import operator_command
from bot.operators.accounts import Accounts
from bot.operators.review import ConversationLog
from bot.retention import delete_old_conversations
from bot.settings import Settings
from tests.unit.test_operator_review import CONVERSATIONS, DAY_3, make_tracker_store

NOW = datetime.fromtimestamp(DAY_3, timezone.utc) + timedelta(days=1)


@pytest.fixture()
def stores(tmp_path: Path) -> tuple[ConversationLog, HandoffDesk]:
    log = ConversationLog(make_tracker_store(tmp_path / "tracker.db", CONVERSATIONS))
    desk = HandoffDesk(f"sqlite:///{tmp_path / 'handoff.db'}")
    return log, desk


def test_conversations_older_than_the_age_go_with_their_handoffs(
        stores: tuple[ConversationLog, HandoffDesk]) -> None:
    log, desk = stores
    old = desk.open("kiosk-hall-1", "zh", "asked", [{"from": "citizen", "text": "转人工"}])
    desk.reply(old.id, "小王", "您好")
    recent = desk.open("citizen-7", "en", "asked", [])
    senders = {c.sender for c in log.conversations()}
    assert senders == {"telegram-42", "kiosk-hall-1", "citizen-7"}

    counted = delete_old_conversations(log, desk, 2, dry_run=True, now=NOW)
    assert (counted.conversations, counted.handoffs) == (1, 0)  # only telegram-42 is older than two days
    assert {c.sender for c in log.conversations()} == senders, "a dry run deletes nothing"

    done = delete_old_conversations(log, desk, 2, now=NOW)
    assert done.conversations == 1 and done.events == len(CONVERSATIONS["telegram-42"])
    assert {c.sender for c in log.conversations()} == {"kiosk-hall-1", "citizen-7"}
    assert desk.get(recent.id).sender_id == "citizen-7"

    done = delete_old_conversations(log, desk, 1, now=NOW)
    assert {c.sender for c in log.conversations()} == {"citizen-7"}
    assert done.handoffs == 1 and desk.conversation(old.id) == []
    with pytest.raises(HandoffError):
        desk.get(old.id)


def test_a_day_at_least_is_kept_and_the_command_logs_who_deleted(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(data_dir=tmp_path)
    old = {sender: CONVERSATIONS[sender] for sender in ("telegram-42", "kiosk-hall-1")}  # days ago
    make_tracker_store(tmp_path / "tracker.db", old)
    accounts = Accounts.from_settings(settings)
    accounts.add("wang.li", "correct horse battery")
    with pytest.raises(ValueError):
        delete_old_conversations(ConversationLog.from_settings(settings),
                                 HandoffDesk.from_settings(settings), 0)
    assert operator_command(["retention", "--older-than-days", "0", "--as", "wang.li"], settings) == 2
    assert operator_command(["retention", "--older-than-days", "1", "--as", "nobody"], settings) == 2
    assert operator_command(["retention", "--older-than-days", "1", "--dry-run", "--as", "wang.li"],
                            settings) == 0
    assert "Would delete 2 conversation(s)" in capsys.readouterr().out
    assert operator_command(["retention", "--older-than-days", "1", "--as", "wang.li"], settings) == 0
    assert "Deleted 2 conversation(s)" in capsys.readouterr().out
    assert ConversationLog.from_settings(settings).conversations() == []
    assert accounts.audit_log(1)[0].action == "retention"
