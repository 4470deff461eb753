"""Reviewing conversations from a real Rasa tracker store: filters, reasons, masking."""

from __future__ import annotations

import asyncio
import csv
import io
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pytest

from bot.operators.masking import mask_text
from bot.operators.review import (
    REVIEW_REASONS,
    ConversationLog,
    ReviewFilter,
    ReviewMessage,
)
from bot.settings import Settings

CST = timezone(timedelta(hours=8))
DAY_1 = datetime(2026, 11, 20, 10, 0, tzinfo=CST).timestamp()
DAY_2 = datetime(2026, 11, 21, 23, 30, tzinfo=CST).timestamp()  # 15:30 UTC: still the 21st in China
DAY_3 = datetime(2026, 11, 22, 9, 0, tzinfo=CST).timestamp()


def user(text: str, intent: str, confidence: float, at: float, services: tuple[str, ...] = ()) -> Any:
    from rasa.shared.core.events import UserUttered

    entities = [{"entity": "service", "value": s, "start": 0, "end": 1, "extractor": "ServiceResolver"}
                for s in services]
    return UserUttered(text, parse_data={"intent": {"name": intent, "confidence": confidence},
                                         "entities": entities, "text": text},
                       timestamp=at, input_channel="rest", metadata={"lang": "zh"})


def bot(text: Optional[str], at: float, buttons: Optional[list[dict[str, str]]] = None) -> Any:
    from rasa.shared.core.events import BotUttered

    return BotUttered(text, data={"buttons": buttons} if buttons else {}, timestamp=at)


def action(name: str, at: float) -> Any:
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, timestamp=at)


def slot(name: str, value: Any, at: float) -> Any:
    from rasa.shared.core.events import SlotSet

    return SlotSet(name, value, timestamp=at)


CONVERSATIONS: dict[str, list[Any]] = {
    "telegram-42": [
        action("action_session_start", DAY_1),
        user("我的身份证丢了怎么办", "ask_service", 0.95, DAY_1 + 1, ("id_card",)),
        action("action_service_answer", DAY_1 + 2),
        bot("请带户口本到派出所补办。", DAY_1 + 3),
        user("不对，我问的是社报卡", "ask_service", 0.52, DAY_1 + 4, ("social_security_card",)),
        bot("请问您的姓名？", DAY_1 + 5, [{"title": "取消", "payload": "/cancel"}]),
        user("王秀英", "inform", 0.91, DAY_1 + 6),
        slot("applicant_name", "王秀英", DAY_1 + 7),
        bot("王秀英您好，请问您的手机号？", DAY_1 + 8),
        user("我的电话是138 1234 5678，身份证11010519491231002X", "inform", 0.88, DAY_1 + 9),
        slot("home_address", "杭州市西湖区文三路100号", DAY_1 + 10),
        user("住在杭州市西湖区文三路100号", "inform", 0.9, DAY_1 + 11),
    ],
    "kiosk-hall-1": [
        user("帮我读一下报纸", "out_of_scope", 0.8, DAY_2),
        bot("这个我帮不上忙。", DAY_2 + 1),
        user("啊啊啊", "nlu_fallback", 0.3, DAY_2 + 2),
        user("转人工", "human_handoff", 0.99, DAY_2 + 3),
        action("action_hand_off", DAY_2 + 4),
    ],
    "citizen-7": [
        user("I need help with my pension", "ask_service", 0.7, DAY_3, ("pension",)),
        action("action_hand_off", DAY_3 + 1),
        user("no", "deny", 0.99, DAY_3 + 2),
        slot("proxy_name", "John Smith", DAY_3 + 3),
        user("my name is John Smith, call me on +86 139-8765-4321", "inform", 0.9, DAY_3 + 4),
        user("that's wrong", "inform", 0.4, DAY_3 + 5),
    ],
}


def make_tracker_store(path: Path, conversations: dict[str, list[Any]]) -> str:
    """A tracker store written by Rasa's own SQLTrackerStore."""
    from rasa.shared.core.trackers import DialogueStateTracker

    with warnings.catch_warnings():  # Rasa's own use of deprecated SQLAlchemy calls
        warnings.simplefilter("ignore")
        from rasa.core.tracker_store import SQLTrackerStore

        store = SQLTrackerStore(dialect="sqlite", db=str(path))
    for sender, events in conversations.items():
        tracker = DialogueStateTracker(sender, slots=[])
        for event in events:
            tracker.update(event)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> ConversationLog:
    return ConversationLog(make_tracker_store(tmp_path_factory.mktemp("tracker") / "tracker.db",
                                              CONVERSATIONS))


def by_text(messages: list[ReviewMessage]) -> dict[str, ReviewMessage]:
    return {m.text: m for m in messages}


def test_every_message_with_what_was_understood(log: ConversationLog) -> None:
    messages = log.messages()
    assert len(messages) == 12
    assert [m.when for m in messages] == sorted((m.when for m in messages), reverse=True)
    first = by_text(messages)["我的身份证丢了怎么办"]
    assert (first.sender, first.channel, first.language, first.intent, first.confidence, first.services) == \
        ("telegram-42", "telegram", "zh", "ask_service", 0.95, ("id_card",))
    assert first.when == datetime(2026, 11, 20, 10, 0, 1, tzinfo=CST)
    assert log.message(first.event_id) == first
    assert log.message(10_000) is None


def test_reasons_for_review(log: ConversationLog) -> None:
    reasons = {m.text: set(m.reasons) for m in log.messages()}
    assert reasons["我的身份证丢了怎么办"] == {"said_wrong"}  # the next message says 不对
    assert reasons["不对，我问的是社报卡"] == {"low_confidence"}
    assert reasons["帮我读一下报纸"] == {"out_of_scope"}
    assert reasons["啊啊啊"] == {"fallback", "low_confidence"}
    assert reasons["转人工"] == {"handoff"}
    assert reasons["I need help with my pension"] == {"handoff", "said_wrong"}  # handed off, then "no"
    assert reasons["no"] == set()
    assert reasons["my name is J*** S****, call me on 139****4321"] == {"said_wrong"}  # "that's wrong"
    assert reasons["that's wrong"] == {"low_confidence"}
    assert {r for rs in reasons.values() for r in rs} == set(REVIEW_REASONS)


def test_personal_data_is_masked_everywhere(log: ConversationLog) -> None:
    texts = [m.text for m in log.messages()]
    assert "王**" in texts
    assert "我的电话是138****5678，身份证110105********002X" in texts
    assert "住在杭州市" + "*" * 10 in texts
    turns = log.conversation("telegram-42")
    shown = " ".join(t.text for t in turns)
    assert "王秀英" not in shown and "王**您好" in shown and "1234" not in shown
    exported = log.export_csv(ReviewFilter())
    for secret in ("王秀英", "John", "Smith", "8765", "1234 5678", "19491231", "文三路"):
        assert secret not in exported and not any(secret in t for t in texts)


@pytest.mark.parametrize(("chosen", "expected"), [
    (ReviewFilter(channel="telegram"), 5),
    (ReviewFilter(channel="kiosk"), 3),
    (ReviewFilter(channel="rest"), 4),
    (ReviewFilter(date_from=date(2026, 11, 21)), 7),
    (ReviewFilter(date_to=date(2026, 11, 21)), 8),
    (ReviewFilter(date_from=date(2026, 11, 21), date_to=date(2026, 11, 21)), 3),
    (ReviewFilter(language="en"), 3),  # "no" is too short to tell
    (ReviewFilter(language="zh"), 8),
    (ReviewFilter(intent="inform"), 5),
    (ReviewFilter(service="id_card"), 1),
    (ReviewFilter(service="pension", channel="rest"), 1),
    (ReviewFilter(min_confidence=0.9), 6),
    (ReviewFilter(max_confidence=0.5), 2),
    (ReviewFilter(min_confidence=0.5, max_confidence=0.8), 3),
    (ReviewFilter(needs_review=True), 8),
    (ReviewFilter(needs_review=True, channel="kiosk", intent="human_handoff"), 1),
])
def test_filters(log: ConversationLog, chosen: ReviewFilter, expected: int) -> None:
    found = log.messages(chosen)
    assert len(found) == expected, [m.text for m in found]
    assert all(chosen.accepts(m) for m in found)


def test_paging_newest_first(log: ConversationLog) -> None:
    everything = log.messages()
    assert log.messages(limit=3) == everything[:3]
    assert log.messages(limit=3, offset=3) == everything[3:6]
    assert everything[0].text == "that's wrong"


def test_a_conversation_turn_by_turn(log: ConversationLog) -> None:
    turns = log.conversation("telegram-42")
    assert [t.who for t in turns] == ["user", "bot", "user", "bot", "user", "bot", "user", "user"]
    assert turns[0].intent == "ask_service" and turns[1].intent is None and turns[1].confidence is None
    assert turns[3].text == "请问您的姓名？ [取消]"  # buttons shown with the reply
    assert [t.when for t in turns] == sorted(t.when for t in turns)
    assert log.conversation("nobody") == []


def test_conversation_summaries(log: ConversationLog) -> None:
    summaries = log.conversations()
    assert [s.sender for s in summaries] == ["citizen-7", "kiosk-hall-1", "telegram-42"]
    kiosk = summaries[1]
    assert (kiosk.channel, kiosk.messages, kiosk.needs_review) == ("kiosk", 3, 3)
    assert kiosk.started == datetime(2026, 11, 21, 23, 30, tzinfo=CST) and kiosk.last > kiosk.started
    assert [s.sender for s in log.conversations(ReviewFilter(language="en"))] == ["citizen-7"]
    assert log.conversations(limit=1) == summaries[:1]


def test_csv_export_is_masked_and_complete(log: ConversationLog) -> None:
    rows = list(csv.DictReader(io.StringIO(log.export_csv(ReviewFilter(channel="rest")))))
    assert [r["text"] for r in rows] == ["that's wrong", "my name is J*** S****, call me on 139****4321",
                                         "no", "I need help with my pension"]
    assert rows[-1]["reasons"] == "handoff said_wrong" and rows[-1]["services"] == "pension"
    assert rows[-1]["when"] == "2026-11-22T09:00:00+08:00"


def test_a_store_that_does_not_exist_yet_is_empty(tmp_path: Path) -> None:
    log = ConversationLog.from_settings(Settings(data_dir=tmp_path))
    assert log.messages() == [] and log.conversations() == [] and log.conversation("x") == []
    assert log.message(1) is None and log.export_csv(ReviewFilter()).count("\n") == 1
    assert not (tmp_path / "tracker.db").exists()  # reading creates nothing


def test_the_tracker_store_of_a_run_is_read(tmp_path: Path) -> None:
    make_tracker_store(tmp_path / "tracker.db", {"telegram-1": CONVERSATIONS["telegram-42"][:2]})
    assert [m.text for m in ConversationLog.from_settings(Settings(data_dir=tmp_path)).messages()] == \
        ["我的身份证丢了怎么办"]


@pytest.mark.parametrize(("text", "names", "masked"), [
    ("11010519491231002X", (), "110105********002X"),
    ("老身份证号110105491231002", (), "老身份证号110105*****1002"),
    ("身份证 110105 19491231 002x", (), "身份证 110105********002X"),
    ("１１０１０５１９４９１２３１００２Ｘ", (), "110105********002X"),
    ("13812345678", (), "138****5678"),
    ("+86 138 1234 5678", (), "138****5678"),
    ("0086-138-1234-5678", (), "138****5678"),
    ("电话：138-1234-5678。", (), "电话：138****5678。"),
    ("幺三八 幺二三四 五六七八", (), "138****5678"),
    ("一三八一二三四五六七八", (), "138****5678"),
    ("one three eight one two three four five six seven eight", (), "138****5678"),
    ("座机0571-88886666", (), "座机0571-888*6666"),
    ("预约2026-11-23上午10:00，三号窗口", (), "预约2026-11-23上午10:00，三号窗口"),
    ("我叫王秀英，今年七十", (), "我叫王**，今年七十"),
    ("帮我叫个管事的来", (), "帮我叫个管事的来"),  # "叫" here calls someone: no name follows
    ("我是李建国的儿子", (), "我是李**的儿子"),
    ("我是来办身份证的", (), "我是来办身份证的"),
    ("姓名：欧阳娜娜", (), "姓名：欧***"),
    ("my name is john smith and I need help", (), "my name is j*** s**** and I need help"),
    ("I am Mary Brown", (), "I am M*** B****"),
    ("I am 70 years old", (), "I am 70 years old"),
    ("替王秀英办，秀英是我妈", ("王秀英",), "替王**办，秀*是我妈"),
    ("JOHN SMITH here, Mr Smith", ("John Smith",), "J*** S**** here, Mr S****"),
])
def test_masking(text: str, names: tuple[str, ...], masked: str) -> None:
    assert mask_text(text, names) == masked


def test_half_a_surrogate_pair_in_a_message_never_keeps_operators_from_reading(tmp_path: Path) -> None:
    # Valid JSON ("\ud800") that Python reads as a text no page or CSV file can encode.
    log = ConversationLog(make_tracker_store(tmp_path / "tracker.db", {
        "citizen-odd": [user("bad \ud800 text", "nlu_fallback", 0.3, DAY_3), bot("Sorry?", DAY_3 + 1)]}))
    [message] = log.messages()
    assert message.text.startswith("bad \ufffd") and message.text.endswith(" text")
    message.text.encode("utf-8")
    log.export_csv(ReviewFilter()).encode("utf-8")


@pytest.mark.parametrize(("text", "shown"), [
    ("帮我叫个管事的来", "帮我叫个管事的来"), ("", "（空消息）(empty message)"),
    ("\u200b\u200b", "（空消息）(empty message)"), (" \t\x07", "（空消息）(empty message)"),
    ("\u200b好", "\u200b好"),
])
def test_a_message_with_nothing_visible_is_named_in_the_console(text: str, shown: str) -> None:
    from web.operator.routes import shown_text

    assert shown_text(text) == shown
