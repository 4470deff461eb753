"""End-to-end: the assistant started by `make run`, spoken to like a citizen would."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import AUTH_TOKEN, RunningAssistant

pytestmark = pytest.mark.server

CJK = re.compile(r"[\u4e00-\u9fff]")


def _sender() -> str:
    return f"citizen-{uuid.uuid4().hex[:10]}"


def _without_asides(text: str) -> str:
    """Drop bracketed asides such as the greeting's "(说中文也可以。)"."""
    return re.sub(r"\(.*?\)|\uff08.*?\uff09", "", text)


def _is_chinese(texts: list[str]) -> bool:
    return bool(texts) and all(CJK.search(_without_asides(t)) for t in texts)


def _is_english(texts: list[str]) -> bool:
    return bool(texts) and all(not CJK.search(_without_asides(t)) for t in texts)


def test_make_run_says_where_each_part_listens(assistant: RunningAssistant) -> None:
    output = "".join(assistant.output)
    assert f"action server is ready at http://127.0.0.1:{assistant.action_port}/webhook" in output
    assert f"Rasa server is ready at http://127.0.0.1:{assistant.rasa_port}/webhooks/rest/webhook" in output


def test_a_chinese_conversation(assistant: RunningAssistant) -> None:
    me = _sender()
    greeting = assistant.texts(me, "您好")
    assert _is_chinese(greeting) and "政务服务" in greeting[0]
    answer = assistant.texts(me, "我的身份证丢了怎么办")
    assert _is_chinese(answer) and "居民身份证" in answer[0]
    assert "不客气" in assistant.texts(me, "谢谢")[0]


def test_an_english_conversation(assistant: RunningAssistant) -> None:
    me = _sender()
    greeting = assistant.texts(me, "hello there")
    assert _is_english(greeting) and "public services assistant" in greeting[0]
    answer = assistant.texts(me, "how do I renew my driving licence")
    assert _is_english(answer) and "driving licence" in answer[0]


def test_the_reply_language_follows_the_user_and_can_be_switched(assistant: RunningAssistant) -> None:
    me = _sender()
    assert _is_chinese(assistant.texts(me, "你好"))
    assert assistant.texts(me, "说英语") == ["OK, let's talk in English."]
    assert _is_english(assistant.texts(me, "ok"))  # a neutral word keeps English
    assert _is_chinese(assistant.texts(me, "我想问一下社保卡怎么补办"))  # writing Chinese switches back
    assert _is_english(assistant.texts(me, "where do I get a passport"))
    assert assistant.texts(me, "switch language") == ["好的，我们用中文交流。"]


def test_repeat_gives_the_last_answer_word_for_word(assistant: RunningAssistant) -> None:
    me = _sender()
    answer = assistant.texts(me, "养老金资格认证怎么做")
    assert assistant.texts(me, "再说一遍") == answer


def test_slower_is_acknowledged_and_remembered(assistant: RunningAssistant) -> None:
    me = _sender()
    assert "慢" in assistant.texts(me, "您说慢一点")[0]
    status, tracker = assistant.request("GET", f"/conversations/{me}/tracker?token={AUTH_TOKEN}")
    assert status == 200 and tracker["slots"]["speech_rate"] == "slow"


def test_a_question_naming_no_service_offers_buttons(assistant: RunningAssistant) -> None:
    me = _sender()
    (reply,) = assistant.say(me, "我想办个事情")
    titles = [button["title"] for button in reply.get("buttons", [])]
    assert "居民身份证" in titles
    for title in titles:  # every button works, whatever the length of its payload
        pressed = next(b["payload"] for b in reply["buttons"] if b["title"] == title)
        assert f"关于「{title}」" in assistant.texts(me, pressed)[0]


@pytest.mark.parametrize(
    "message",
    ["", "   \n\t", "😀😀🙏", "\x00\x01\x02\x7f binary \ufffd",
     "Q2l0aXplbnNhc2tpbmdhYm91dHNlcnZpY2VzMTIzNDU2Nzg5MA=="],
    ids=["empty", "whitespace", "emoji", "binary", "base64"],
)
def test_unreadable_messages_get_a_kind_reply_in_the_users_language(
    assistant: RunningAssistant, message: str
) -> None:
    me = _sender()
    assert _is_english(assistant.texts(me, "hello, I need some help please"))
    reply = assistant.texts(me, message)
    assert reply == [
        'Sorry, I didn\'t understand that. Please tell me in a few words what you need, for example "I want '
        'to renew my ID card".'
    ]
    assert "public services assistant" in assistant.texts(me, "hello")[0]  # the conversation goes on


def test_a_very_long_message_is_answered(assistant: RunningAssistant) -> None:
    me = _sender()
    story = "我今年七十八了，老伴走得早，平时一个人住在城东的老小区里，儿女都在外地工作。" * 270
    assert len(story) > 10_000
    reply = assistant.texts(me, story + "想问问我的身份证丢了要怎么补办")
    assert _is_chinese(reply) and "居民身份证" in reply[0]
    assert "不客气" in assistant.texts(me, "谢谢")[0]


def test_a_mixed_script_message_is_answered(assistant: RunningAssistant) -> None:
    me = _sender()
    reply = assistant.texts(me, "我的ID card丢了 what should I do 怎么办")
    assert _is_chinese(reply) and "居民身份证" in reply[0]


def test_the_terminal_chat_talks_to_the_assistant(
    assistant: RunningAssistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.chat import chat_in_terminal
    from bot.settings import Settings

    typed = iter(["我想办个事情", "2", "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    chat_in_terminal(Settings(rasa_port=assistant.rasa_port))
    shown = capsys.readouterr().out
    assert "[2] 社会保障卡" in shown  # buttons are numbered
    assert "关于「社会保障卡」" in shown  # typing 2 pressed the second button


def test_parse_gives_the_service_id_in_both_languages(assistant: RunningAssistant) -> None:
    zh = assistant.parse("我的身份证丢了怎么办")
    assert [e["value"] for e in zh["entities"] if e["entity"] == "service"] == ["id_card"]
    en = assistant.parse("how do I renew my driving licence")
    assert [e["value"] for e in en["entities"] if e["entity"] == "service"] == ["driving_license"]


@pytest.mark.parametrize("text", ["明天会下雨吗", "tell me a joke about cats", "茅台股票能买吗"])
def test_parse_gives_no_service_for_other_topics(assistant: RunningAssistant, text: str) -> None:
    result = assistant.parse(text)
    assert result["intent"]["name"] in ("out_of_scope", "nlu_fallback")
    assert not [e for e in result["entities"] if e["entity"] == "service"]


def test_the_http_api_needs_the_token_but_the_channel_does_not(assistant: RunningAssistant) -> None:
    status, _ = assistant.request("GET", "/status")
    assert status == 401
    status, body = assistant.request("GET", f"/status?token={AUTH_TOKEN}")
    assert status == 200 and body["model_file"]
    assert assistant.texts(_sender(), "hi there, good morning")


def test_conversations_are_kept_in_the_sqlite_store(assistant: RunningAssistant) -> None:
    me = _sender()
    assistant.texts(me, "你好")
    status, tracker = assistant.request("GET", f"/conversations/{me}/tracker?token={AUTH_TOKEN}")
    assert status == 200
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["你好"]


@pytest.mark.stops_assistant
def test_sigterm_stops_every_part_cleanly(assistant: RunningAssistant) -> None:
    """Runs last of all (see conftest): stops the shared assistant the way a service manager would."""
    import os
    import signal

    from tests.conftest import port_is_open

    os.killpg(assistant.process.pid, signal.SIGTERM)
    assistant.process.wait(timeout=60)  # make itself ends by the signal; what it ran must stop cleanly
    output = "".join(assistant.output)
    assert "Stopping..." in output and "Stopped." in output
    assert "Traceback" not in output
    assert not port_is_open(assistant.rasa_port)
    assert not port_is_open(assistant.action_port)
    assert not port_is_open(assistant.portal_port)
