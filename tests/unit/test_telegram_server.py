"""The loopback Bot API server, spoken to by python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.telegram_server import ApiCall, FakeBotApi, parse_entities

CHAT = 424242


def ogg_page(granule: int, payload: bytes, sequence: int, flags: int) -> bytes:
    header = (
        b"OggS\x00"
        + bytes([flags])
        + granule.to_bytes(8, "little", signed=True)
        + (0x5EED).to_bytes(4, "little")
        + sequence.to_bytes(4, "little")
        + b"\x00\x00\x00\x00"
        + bytes([1, len(payload)])
    )
    return header + payload


def ogg_opus(seconds: int) -> bytes:
    """An Ogg Opus stream shaped like a recording of `seconds` (headers and one audio page)."""
    pre_skip = 312
    head = (
        b"OpusHead\x01\x01" + pre_skip.to_bytes(2, "little") + (48000).to_bytes(4, "little") + b"\x00\x00\x00"
    )
    tags = b"OpusTags" + (4).to_bytes(4, "little") + b"test" + (0).to_bytes(4, "little")
    return (
        ogg_page(0, head, 0, 0x02)
        + ogg_page(0, tags, 1, 0x00)
        + ogg_page(pre_skip + seconds * 48000, b"\xfc\xff\xfe" * 20, 2, 0x04)
    )


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


async def test_get_me(bot: Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "public_services_test_bot"
    assert me.id == int(api.token.split(":")[0])
    assert api.sent("getMe")[0].ok


async def test_send_message_with_inline_keyboard(bot: Bot, api: FakeBotApi) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("身份证", callback_data="svc:id_card")],
            [InlineKeyboardButton("Site", url="https://gov.example")],
        ]
    )
    message = await bot.send_message(CHAT, "Choose a service", reply_markup=markup)

    assert message.chat.id == CHAT and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.is_bot
    assert message.text == "Choose a service"
    assert message.reply_markup == markup
    call = api.messages_to(CHAT)[0]
    assert call.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "身份证",
        "callback_data": "svc:id_card",
    }
    assert api.texts_to(CHAT) == ["Choose a service"]

    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Yes"), KeyboardButton("No")]], one_time_keyboard=True)
    plain = await bot.send_message(CHAT, "Sure?", reply_markup=keyboard)
    assert plain.reply_markup is None  # Telegram only echoes inline keyboards
    assert api.messages_to(CHAT)[-1].params["reply_markup"]["keyboard"] == [[{"text": "Yes"}, {"text": "No"}]]

    with pytest.raises(BadRequest, match="Text buttons are unallowed"):
        await bot.send_message(CHAT, "x", reply_markup={"inline_keyboard": [[{"text": "bare"}]]})  # type: ignore[arg-type]


async def test_replies_and_edits(bot: Bot, api: FakeBotApi) -> None:
    first = await bot.send_message(CHAT, "first")
    reply = await bot.send_message(CHAT, "second", reply_parameters=ReplyParameters(first.message_id))
    assert reply.reply_to_message is not None and reply.reply_to_message.message_id == first.message_id
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(CHAT, "third", reply_to_message_id=9999)

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    edited = await bot.edit_message_text(
        "first, edited", chat_id=CHAT, message_id=first.message_id, reply_markup=markup
    )
    assert isinstance(edited, type(first)) and edited.text == "first, edited" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, first.message_id, reply_markup=markup)
    cleared = await bot.edit_message_reply_markup(CHAT, first.message_id)
    assert not isinstance(cleared, bool) and cleared.reply_markup is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("nope", chat_id=CHAT, message_id=9999)


async def test_message_text_limits(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(CHAT, "办" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "办" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, " ")
    assert [call.status for call in api.sent("sendMessage")] == [200, 400, 400]
    assert api.sent("sendMessage")[1].error == "Bad Request: message is too long"


async def test_parse_modes(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities: character '.' is reserved"):
        await bot.send_message(CHAT, "Office hours: 9-17.", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match="can't find end of bold entity"):
        await bot.send_message(CHAT, "*unclosed", parse_mode=ParseMode.MARKDOWN_V2)
    message = await bot.send_message(
        CHAT,
        r"*Bring* your _ID card_ \(原件\)\. [Portal](https://gov.example/a_b)",
        parse_mode=ParseMode.MARKDOWN_V2,
    )
    assert message.text == "Bring your ID card (原件). Portal"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 5),
        ("italic", 11, 7),
        ("text_link", 25, 6),
    ]
    assert message.entities[2].url == "https://gov.example/a_b"

    html = await bot.send_message(
        CHAT, "<b>Fee</b>: 20 &lt;元&gt; <a href='https://x.example'>x</a>", parse_mode="HTML"
    )
    assert html.text == "Fee: 20 <元> x"
    assert [e.type for e in html.entities] == ["bold", "text_link"]
    with pytest.raises(BadRequest, match='unsupported start tag "foo"'):
        await bot.send_message(CHAT, "<foo>bar</foo>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="can't find end tag"):
        await bot.send_message(CHAT, "<b>bold", parse_mode="HTML")

    assert parse_entities("😀 *x*", "MarkdownV2") == ("😀 x", [{"type": "bold", "offset": 3, "length": 1}])
    assert parse_entities("```python\nprint(1)\n```", "MarkdownV2")[1] == [
        {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    ]


async def test_send_voice_and_download(bot: Bot, api: FakeBotApi) -> None:
    recording = ogg_opus(3)
    message = await bot.send_voice(CHAT, voice=recording, caption="Your reply")
    assert message.voice is not None
    assert message.voice.mime_type == "audio/ogg"
    assert message.voice.file_size == len(recording)
    assert seconds(message.voice.duration) == 3
    assert message.caption == "Your reply"
    assert api.sent("sendVoice")[0].files["voice"].data == recording

    file = await bot.get_file(message.voice.file_id)
    assert file.file_path is not None and file.file_path.startswith(f"{api.base_file_url}{api.token}/voice/")
    assert bytes(await file.download_as_bytearray()) == recording

    again = await bot.send_voice(CHAT, voice=message.voice.file_id)
    assert again.voice is not None and again.voice.file_unique_id == message.voice.file_unique_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_voice(CHAT, voice="AwACAgIAAxkBAAIunknown")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("missing")


async def test_get_updates_returns_pushed_updates(bot: Bot, api: FakeBotApi) -> None:
    keyboard = await bot.send_message(
        CHAT,
        "Pick one",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="pick:a")]]),
    )
    api.push_update(api.text_update(CHAT, "/start", first_name="李", language_code="zh-hans"))
    api.push_update(api.callback_update(CHAT, "pick:a"))
    api.push_update(api.voice_update(CHAT, ogg_opus(2)))

    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 3
    ids = [update.update_id for update in updates]
    assert ids == sorted(ids) and len(set(ids)) == 3

    start = updates[0].message
    assert start is not None and start.text == "/start"
    assert start.from_user is not None and start.from_user.first_name == "李"
    assert start.from_user.language_code == "zh-hans"
    assert start.chat.id == CHAT and start.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in start.entities] == [("bot_command", 0, 6)]

    query = updates[1].callback_query
    assert query is not None and query.data == "pick:a"
    assert query.message is not None and query.message.message_id == keyboard.message_id
    assert query.from_user.first_name == "李"
    assert await bot.answer_callback_query(query.id, text="Noted")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)

    voice_message = updates[2].message
    assert voice_message is not None and voice_message.voice is not None
    assert seconds(voice_message.voice.duration) == 2
    voice_file = await bot.get_file(voice_message.voice.file_id)
    assert bytes(await voice_file.download_as_bytearray()) == ogg_opus(2)

    assert len(await bot.get_updates(offset=ids[1], timeout=0)) == 2  # confirms the first only
    assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
    assert api.pending_updates() == []


async def test_other_update_kinds_parse(bot: Bot, api: FakeBotApi) -> None:
    text = api.text_update(CHAT, "hello")
    sticker = Update.de_json(api.sticker_update(CHAT, "🙏"), bot)
    photo = Update.de_json(api.photo_update(CHAT, caption="my form"), bot)
    document = Update.de_json(api.document_update(CHAT, b"%PDF-1.4 test", "form.pdf"), bot)
    location = Update.de_json(api.location_update(CHAT, 30.25, 120.16), bot)
    edited = Update.de_json(api.edited_message_update(CHAT, "hello again"), bot)
    blocked = Update.de_json(api.blocked_update(CHAT), bot)

    assert sticker.message is not None and sticker.message.sticker is not None
    assert sticker.message.sticker.emoji == "🙏"
    assert photo.message is not None and len(photo.message.photo) == 3 and photo.message.caption == "my form"
    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_name == "form.pdf"
    downloaded = await (await bot.get_file(document.message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 test"
    assert location.message is not None and location.message.location is not None
    assert location.message.location.latitude == 30.25
    assert edited.edited_message is not None and edited.edited_message.text == "hello again"
    assert edited.edited_message.message_id == text["message"]["message_id"]
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert blocked.my_chat_member.old_chat_member.status == "member"
    assert len({u["update_id"] for u in (text, api.text_update(CHAT, "x"))}) == 2


async def test_long_polling_waits_for_an_update(bot: Bot, api: FakeBotApi) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.5

    timer = threading.Timer(0.3, lambda: api.push_update(api.text_update(CHAT, "later")))
    timer.start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - started
    timer.join()
    assert [u.message.text for u in updates if u.message] == ["later"]
    assert 0.2 <= elapsed < 2.0


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that records what it gets and answers with `reply`."""

    received: list[tuple[dict[str, str], dict[str, Any]]] = []
    reply: dict[str, Any] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((dict(self.headers), body))
        answer = json.dumps(type(self).reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("TestReceiver", (Receiver,), {"received": [], "reply": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/telegram/webhook", handler
    server.shutdown()
    server.server_close()


async def test_webhook_delivery(bot: Bot, api: FakeBotApi, receiver: tuple[str, type[Receiver]]) -> None:
    url, handler = receiver
    assert await bot.set_webhook(url, secret_token="s3cret_Token-1", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)

    handler.reply = {"method": "sendMessage", "chat_id": CHAT, "text": "pong"}
    update = api.push_update(api.text_update(CHAT, "ping"))
    delivery = await asyncio.to_thread(api.wait_for_delivery, update["update_id"], 5.0)
    assert delivery.ok and delivery.status == 200 and delivery.secret_token == "s3cret_Token-1"
    headers, body = handler.received[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_Token-1"
    parsed = Update.de_json(body, bot)
    assert (
        parsed.update_id == update["update_id"]
        and parsed.message is not None
        and parsed.message.text == "ping"
    )
    answered = await api.async_wait_for(lambda call: call.method == "sendMessage" and call.chat_id == CHAT)
    assert answered.ok and answered.result["text"] == "pong"

    api.push_update(api.callback_update(CHAT, "skipped"))  # not in allowed_updates
    last = api.push_update(api.text_update(CHAT, "after"))
    await asyncio.to_thread(api.wait_for_delivery, last["update_id"], 5.0)
    assert [b["message"]["text"] for _, b in handler.received] == ["ping", "after"]

    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates(timeout=0) == ()


async def test_flood_control(bot: Bot, api: FakeBotApi) -> None:
    api.flood("sendMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "hello")
        assert seconds(caught.value.retry_after) == 7
    await bot.send_message(CHAT, "hello")
    assert [call.status for call in api.sent("sendMessage")] == [429, 429, 200]
    assert await bot.send_chat_action(CHAT, ChatAction.TYPING)


async def test_blocked_chat(bot: Bot, api: FakeBotApi) -> None:
    api.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    with pytest.raises(Forbidden):
        await bot.send_voice(CHAT, voice=ogg_opus(1))
    await bot.send_message(CHAT + 1, "others still get messages")
    api.unblock(CHAT)
    await bot.send_message(CHAT, "hello again")
    assert api.texts_to(CHAT) == ["hello again"]


async def test_wrong_token_and_unknown_method(api: FakeBotApi, bot: Bot) -> None:
    stranger = Bot("987654:AAwrongToken", base_url=api.base_url, base_file_url=api.base_file_url)
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await stranger.get_me()
    malformed = Bot("not-a-token", base_url=api.base_url, base_file_url=api.base_file_url)
    with pytest.raises(InvalidToken, match="Not Found"):
        await malformed.get_me()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT})
    assert [(c.method, c.status) for c in api.sent()[-3:]] == [
        ("getMe", 401),
        ("getMe", 404),
        ("sendTelepathy", 404),
    ]


async def test_commands_close_and_log_out(bot: Bot, api: FakeBotApi) -> None:
    commands = [BotCommand("start", "Start over"), BotCommand("help", "What I can do")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands([BotCommand("start", "重新开始")], language_code="zh")
    assert await bot.get_my_commands() == tuple(commands)
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["重新开始"]
    assert api.commands() == [c.to_dict() for c in commands]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.close()
    assert await bot.log_out()


async def test_application_polling_round_trip(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}", do_quote=True)

    application = (
        Application.builder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=2)
        mark = api.mark()
        api.push_update(api.text_update(CHAT, "one"))
        first: ApiCall = await api.async_wait_for("sendMessage", since=mark)
        api.push_update(api.text_update(CHAT, "two"))
        second = await api.async_wait_for(
            lambda call: call.method == "sendMessage" and call.index > first.index
        )
        await application.updater.stop()
        await application.stop()
    assert [first.result["text"], second.result["text"]] == ["echo: one", "echo: two"]
    assert first.result["reply_to_message"]["text"] == "one"
    assert api.sent("deleteWebhook")[0].ok
    assert api.pending_updates() == []
