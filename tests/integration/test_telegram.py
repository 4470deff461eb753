"""Telegram end to end: the real connector, a Bot-API-compatible server on loopback, the real assistant.

`make run` (the session's assistant) starts the connector in polling mode
because TELEGRAM_BOT_TOKEN is set, pointed at a FakeBotApi by
TELEGRAM_API_BASE_URL, with the Vosk model from PyPI as the Chinese model.
Webhook mode runs a second connector process against a second server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import RunningAssistant
from tests.telegram_server import ApiCall, FakeBotApi

pytestmark = pytest.mark.server

WAIT = 60.0


def _chat(api: FakeBotApi) -> int:
    """A new private chat whose user's Telegram app is in Chinese."""
    chat = 10_000_000 + uuid.uuid4().int % 1_000_000_000
    api.set_user(chat, language_code="zh-hans")
    return chat


@pytest.fixture(scope="module")
def api(assistant: RunningAssistant) -> FakeBotApi:
    assert assistant.telegram is not None
    api = assistant.telegram
    api.wait_for("getUpdates", timeout=120)  # the connector is polling
    return api


def _say(api: FakeBotApi, chat: int, text: str, **kwargs: object) -> int:
    since = api.mark()
    api.push_update(api.text_update(chat, text, **kwargs))  # type: ignore[arg-type]
    return since


def _to(call: ApiCall, chat: int, method: str = "sendMessage") -> bool:
    return call.method == method and str(call.chat_id) == str(chat)


def _reply(api: FakeBotApi, chat: int, since: int, contains: str = "") -> ApiCall:
    try:
        return api.wait_for(lambda c: _to(c, chat) and contains in (c.text or ""), timeout=WAIT, since=since)
    except TimeoutError:
        pytest.fail(f"no reply containing {contains!r}; the chat got: {api.texts_to(chat, since)}")


def _keyboard(call: ApiCall) -> list[dict[str, str]]:
    markup = call.params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [button for row in rows for button in row]


def test_start_greets_and_lists_the_commands(api: FakeBotApi) -> None:
    chat = _chat(api)
    since = _say(api, chat, "/start", language_code="zh-hans")
    _reply(api, chat, since, "您好")
    _reply(api, chat, since, "/elderly")


def test_an_application_completed_over_telegram_lands_in_the_portal(api: FakeBotApi,
                                                                    assistant: RunningAssistant) -> None:
    chat = _chat(api)
    phone = "137" + str(uuid.uuid4().int)[:8]
    since = _say(api, chat, "我想补办身份证，帮我申请")
    question = _reply(api, chat, since, "为什么要办新的身份证")
    lost = next(b for b in _keyboard(question) if b["text"] == "丢了")
    since = api.mark()
    api.push_update(api.callback_update(chat, lost["callback_data"], question.result["message_id"]))
    _reply(api, chat, since, "叫什么名字")
    api.wait_for(lambda c: c.method == "answerCallbackQuery", since=since, timeout=WAIT)
    for answer, next_question in (("王秀英", "身份证号码"), ("330106194905120022", "手机号码"),
                                  (phone, "哪个大厅领证"), ("第一个", "请核对")):
        since = _say(api, chat, answer)
        _reply(api, chat, since, next_question)
    since = _say(api, chat, "对")
    summary = _reply(api, chat, since, "申请号")
    with sqlite3.connect(assistant.portal_database) as db:
        rows = list(db.execute("SELECT application_no, channel FROM applications WHERE applicant_phone = ?",
                               (phone,)))
    assert len(rows) == 1 and rows[0][1] == "telegram"
    number = rows[0][0]
    assert f"{number[:4]} {number[4:8]} {number[8:]}" in (summary.text or "")


def test_buttons_are_inline_keyboards_and_pressing_one_continues(api: FakeBotApi) -> None:
    chat = _chat(api)
    since = _say(api, chat, "我想办个事情")
    offer = _reply(api, chat, since, "哪一项")
    buttons = _keyboard(offer)
    assert buttons and all(len(b["text"]) <= 24 for b in buttons)
    since = api.mark()
    api.push_update(api.callback_update(chat, buttons[0]["callback_data"], offer.result["message_id"]))
    _reply(api, chat, since, f"关于「{buttons[0]['text']}」")
    api.wait_for(lambda c: _to(c, chat, "editMessageReplyMarkup"), since=since)


def test_unknown_button_data_gets_a_kind_answer(api: FakeBotApi) -> None:
    chat = _chat(api)
    since = api.mark()
    api.push_update(api.callback_update(chat, "no-such-button"))
    answer = api.wait_for("answerCallbackQuery", since=since, timeout=WAIT)
    assert "过期" in str(answer.params.get("text"))


def _speech_ogg(text: str, voice: str, tmp: Path) -> bytes:
    wav, ogg = tmp / "speech.wav", tmp / "speech.ogg"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "48000",
                    "-c:a", "libopus", str(ogg)], check=True)
    return ogg.read_bytes()


def test_a_voice_note_is_transcribed_shown_and_answered_by_voice(api: FakeBotApi, tmp_path: Path) -> None:
    chat = _chat(api)
    since = api.mark()
    api.push_update(api.voice_update(chat, _speech_ogg("안녕하세요 여권", "ko", tmp_path)))
    heard = _reply(api, chat, since, "我听到的是")
    assert len((heard.text or "").split("：", 1)[1].strip()) > 0
    voice = api.wait_for(lambda c: _to(c, chat, "sendVoice"), since=since, timeout=WAIT)
    spoken = next(iter(voice.files.values())).data
    assert spoken[:4] == b"OggS" and len(spoken) > 2000


def test_corrupt_and_very_long_voice_notes_get_kind_replies(api: FakeBotApi) -> None:
    chat = _chat(api)
    since = api.mark()
    api.push_update(api.voice_update(chat, b"OggS" + os.urandom(3000), duration=3))
    _reply(api, chat, since, "没听清")
    since = api.mark()
    api.push_update(api.voice_update(chat, b"OggS" + os.urandom(3000), duration=600))
    _reply(api, chat, since, "太长")


@pytest.mark.parametrize("kind", ["sticker", "photo", "document", "location"])
def test_things_that_are_not_text_or_voice_get_a_kind_reply(api: FakeBotApi, kind: str) -> None:
    chat = _chat(api)
    since = api.mark()
    update = api.location_update(chat, 30.27, 120.15) if kind == "location" \
        else getattr(api, f"{kind}_update")(chat)
    api.push_update(update)
    _reply(api, chat, since, "看不懂")


def test_edited_messages_blocked_users_and_huge_messages_do_not_stop_the_bot(api: FakeBotApi) -> None:
    chat, other = _chat(api), _chat(api)
    _reply(api, chat, _say(api, chat, "你好"), "您好")
    since = api.mark()
    api.push_update(api.edited_message_update(chat, "改过的消息"))
    api.push_update(api.blocked_update(chat))
    api.push_update(api.text_update(chat, "你好"))  # to a blocked chat: Telegram refuses, nothing breaks
    since_other = _say(api, other, "身" * 4096)
    _reply(api, other, since_other)
    since_other = _say(api, other, "你好")
    _reply(api, other, since_other, "您好")
    assert not [c for c in api.calls()[since:] if _to(c, chat) and c.ok]


def test_commands(api: FakeBotApi) -> None:
    chat = _chat(api)
    _reply(api, chat, _say(api, chat, "/language"), "English")
    _reply(api, chat, _say(api, chat, "/language"), "中文")
    _reply(api, chat, _say(api, chat, "/cancel"), "取消")
    _reply(api, chat, _say(api, chat, "/nosuchcommand"), "/elderly")
    on = _say(api, chat, "/elderly")
    _reply(api, chat, on, "长辈模式已打开")
    since = _say(api, chat, "我想办个事情")
    offer = _reply(api, chat, since, "哪一项")
    markup = offer.params["reply_markup"]
    assert "keyboard" in (json.loads(markup) if isinstance(markup, str) else markup)  # big buttons
    api.wait_for(lambda c: _to(c, chat, "sendVoice"), since=since, timeout=WAIT)
    since = _say(api, chat, _keyboard(offer)[0]["text"])  # pressing a big button sends its label
    _reply(api, chat, since, "关于「")
    _reply(api, chat, _say(api, chat, "/elderly"), "长辈模式已关闭")
    _reply(api, chat, _say(api, chat, "/human"), "转接工作人员")


def test_flood_limits_are_waited_out(api: FakeBotApi) -> None:
    chat = _chat(api)
    api.flood("sendMessage", times=2, retry_after=1)
    _reply(api, chat, _say(api, chat, "谢谢"), "不客气")


def test_messages_of_one_chat_are_answered_in_order(api: FakeBotApi) -> None:
    chat = _chat(api)
    since = api.mark()
    for text in ("你好", "谢谢", "再见"):
        api.push_update(api.text_update(chat, text))
    _reply(api, chat, since, "再见")
    texts = [c.text or "" for c in api.calls()[since:] if _to(c, chat)]
    order = [next(i for i, t in enumerate(texts) if word in t) for word in ("您好", "不客气", "再见")]
    assert order == sorted(order)


def test_webhook_mode_answers_updates_with_the_secret(webhook_bot: FakeBotApi) -> None:
    chat = _chat(webhook_bot)
    setting = webhook_bot.sent("setWebhook")[-1].params
    assert setting["secret_token"] == "test-secret"
    since = webhook_bot.mark()
    update = webhook_bot.push_update(webhook_bot.text_update(chat, "你好"))
    delivery = webhook_bot.wait_for_delivery(update["update_id"], timeout=30)
    assert delivery.ok, delivery
    _reply(webhook_bot, chat, since, "您好")


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_webhook_mode_rejects_calls_without_the_secret(webhook_bot: FakeBotApi, secret: str | None) -> None:
    chat = _chat(webhook_bot)
    update = json.dumps(webhook_bot.text_update(chat, "你好")).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(str(webhook_bot.sent("setWebhook")[-1].params["url"]), data=update,
                                     headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    time.sleep(1)
    assert not webhook_bot.messages_to(chat)


def test_without_a_speech_model_a_voice_note_gets_a_text_reply(webhook_bot: FakeBotApi) -> None:
    chat = _chat(webhook_bot)
    since = webhook_bot.mark()
    webhook_bot.push_update(webhook_bot.voice_update(chat, b"OggS" + os.urandom(2000), duration=2))
    _reply(webhook_bot, chat, since, "听不了语音")
