"""The Telegram connector's pure parts: splitting, button memory, URLs and secrets."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from connectors.assistant_client import Button, Reply
from connectors.telegram.app import file_base_url, webhook_secret
from connectors.telegram.chats import sender_id
from connectors.telegram.render import REMEMBERED_BUTTONS, ButtonMemory, label, split_message


def test_short_messages_are_kept_whole() -> None:
    assert split_message("你好") == ["你好"]
    assert split_message("  ") == []


@pytest.mark.parametrize("text", ["第一行\n" * 2000, "字" * 9000, "Sentence one. " * 700])
def test_long_messages_are_split_within_the_limit_and_lose_nothing(text: str) -> None:
    parts = split_message(text)
    assert len(parts) > 1 and all(0 < len(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_labels_are_short() -> None:
    assert label("居民身份证") == "居民身份证"
    assert len(label("x" * 100)) == 24 and label("x" * 100).endswith("…")


def test_buttons_are_remembered_by_key_and_by_label_and_expire() -> None:
    memory = ButtonMemory()
    key = memory.key_for('/ask_service{"service":"id_card","aspect":"materials"}' * 3)
    assert len(key.encode()) <= 64 and str(memory.payload_for_key(key)).startswith("/ask_service")
    assert memory.payload_for_key("b999999") is None
    memory.remember_labels((Button("对，提交", "/affirm"), Button("取消", "/cancel")))
    assert memory.payload_for_text("对，提交") == "/affirm" and memory.payload_for_text("别的") is None
    for _ in range(REMEMBERED_BUTTONS):
        memory.key_for("/greet")
    assert memory.payload_for_key(key) is None


def test_replies_from_the_rest_channel() -> None:
    reply = Reply.from_json({"text": "hi", "buttons": [{"title": "A", "payload": "/a"}, {"title": "B"}]})
    assert reply == Reply("hi", (Button("A", "/a"),))
    assert sender_id(42) == "telegram-42"


def test_file_url_and_webhook_secret() -> None:
    assert file_base_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_base_url("https://api.telegram.org/bot/") == "https://api.telegram.org/file/bot"
    derived = webhook_secret(Settings(telegram_bot_token="123:abc"))
    assert derived == webhook_secret(Settings(telegram_bot_token="123:abc")) and derived.isalnum()
    assert webhook_secret(Settings(telegram_bot_token="1:a", telegram_webhook_secret="s")) == "s"
