"""The handoff desk, working hours, the operator command line, proxy wording."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from actions.applications import proxy_relationship
from actions.forms import CHINA_TIME
from actions.handoff import next_opening, say_when
from actions.portal_client import Office, OpeningHours
from bot.handoff import HandoffDesk, HandoffError, channel_of_sender
from bot.operator_cli import operator_command
from bot.settings import Settings


@pytest.fixture
def desk(tmp_path: Path) -> HandoffDesk:
    return HandoffDesk(f"sqlite:///{tmp_path / 'handoff.db'}")


def test_a_handoff_from_request_to_hand_back(desk: HandoffDesk) -> None:
    opened = desk.open("telegram-42", "zh", "asked for a person", [{"from": "citizen", "text": "转人工"}])
    assert opened.status == "waiting" and opened.channel == "telegram"
    assert desk.open("telegram-42", "zh", "again", []).id == opened.id  # one open handoff per conversation
    desk.record_citizen(opened.id, "我的社保卡丢了")
    assert desk.take(opened.id, "小王").status == "taken"
    desk.reply(opened.id, "小王", "请带身份证来大厅")
    [(sender, reply)] = desk.outbox("telegram")
    assert sender == "telegram-42" and reply.text == "请带身份证来大厅" and reply.name == "小王"
    assert [m.text for m in desk.undelivered("telegram-42")] == ["请带身份证来大厅"]
    desk.mark_delivered([reply.id])
    assert desk.outbox("telegram") == [] and desk.undelivered("telegram-42") == []
    assert [m.author for m in desk.conversation(opened.id)] == ["citizen", "operator"]
    desk.close(opened.id)
    assert desk.current("telegram-42") is None and desk.queue() == []
    with pytest.raises(HandoffError):
        desk.reply(opened.id, "小王", "too late")


def test_bad_operator_actions_are_refused(desk: HandoffDesk) -> None:
    with pytest.raises(HandoffError):
        desk.take(99, "小王")
    opened = desk.open("citizen-1", "en", "asked", [])
    with pytest.raises(HandoffError):
        desk.reply(opened.id, "Wang", "   ")
    assert desk.reply(opened.id, "Wang", "Hello").author == "operator"
    assert desk.get(opened.id).status == "taken"  # replying takes a waiting conversation


def test_channels_from_sender_ids() -> None:
    assert [channel_of_sender(s) for s in ("telegram-1", "kiosk-hall-3", "web-abc", "citizen")] == \
        ["telegram", "kiosk", "rest", "rest"]


WEEKDAYS = Office("a", "A", "", "", "", (OpeningHours((1, 2, 3, 4, 5), "09:00", "17:00"),))
SATURDAY = Office("b", "B", "", "", "", (OpeningHours((6,), "09:00", "12:00"),))


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-11-23 10:00", "2026-11-23 10:00"),  # Monday, open: now
    ("2026-11-23 18:30", "2026-11-24 09:00"),  # Monday evening: Tuesday morning
    ("2026-11-27 17:30", "2026-11-28 09:00"),  # Friday evening: Saturday's hall
    ("2026-11-28 13:00", "2026-11-30 09:00"),  # Saturday afternoon: Monday
])
def test_next_opening(now: str, expected: str) -> None:
    moment = datetime.strptime(now, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA_TIME)
    opening = next_opening([WEEKDAYS, SATURDAY], moment)
    assert opening is not None and opening.strftime("%Y-%m-%d %H:%M") == expected


def test_say_when() -> None:
    now = datetime(2026, 11, 23, 18, 30, tzinfo=CHINA_TIME)
    assert say_when(datetime(2026, 11, 24, 9, 0, tzinfo=CHINA_TIME), now, "zh") == "明天 9:00"
    assert say_when(datetime(2026, 11, 26, 9, 0, tzinfo=CHINA_TIME), now, "en") == "Thursday at 9:00"


@pytest.mark.parametrize(("said", "relationship"), [
    ("帮我妈申请补办身份证", "mother"), ("替我爸做养老金认证", "father"), ("给家里老人办身份证", "relative"),
    ("I want to renew the ID card for my mother", "mother"), ("apply for my husband", "spouse"),
    ("我要补办身份证", None), ("renew my ID card", None),
])
def test_proxy_relationship(said: str, relationship: str | None) -> None:
    assert proxy_relationship(said) == relationship


def test_operator_command_line(desk: HandoffDesk, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()
    opened = desk.open("citizen-7", "zh", "asked for a person", [{"from": "citizen", "text": "转人工"}])
    assert operator_command(["handoffs"], settings, desk) == 0
    assert "citizen-7" in capsys.readouterr().out
    assert operator_command(["take", str(opened.id), "--as", "小王"], settings, desk) == 0
    assert operator_command(["reply", str(opened.id), "您好", "--as", "小王"], settings, desk) == 0
    assert operator_command(["show", str(opened.id)], settings, desk) == 0
    shown = capsys.readouterr().out
    assert "citizen: 转人工" in shown and "operator 小王: 您好" in shown
    assert operator_command(["hand-back", str(opened.id)], settings, desk) == 0
    assert operator_command(["hand-back", str(opened.id)], settings, desk) == 1
