"""Webhook mode: a small HTTP server that checks every call before an update is handled.

python-telegram-bot's own webhook server answers 500 to a body that is not
UTF-8 or not JSON, and queues any object it can build an ``Update`` from, so
a ``text`` that is a number or a list reaches the handlers and fails there.
This server (aiohttp, following python-telegram-bot's "custom webhook" way:
updates go into ``application.update_queue``) refuses, each with a 4xx and a
kind error in Chinese and English (``{"error": {"code": …, "message": …}}``):

- a call without the right ``X-Telegram-Bot-Api-Secret-Token``: 403;
- another content type than JSON: 415; a body over :data:`MAX_UPDATE_BYTES`: 413;
- a body that is not UTF-8, not JSON, or not an Update whose fields the
  connector reads have the types Telegram gives them (texts no longer than
  Telegram allows): 400.

Other paths get 404, other methods 405, malformed HTTP 400 (without a
traceback in the log for each). A valid update gets an empty 200.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from dataclasses import dataclass
from typing import Any, Mapping, NoReturn, Union
from urllib.parse import urlparse

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from telegram import Update
from telegram.ext import Application, ExtBot

from connectors.refusals import KindRefusal

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Largest update read: Telegram's are a few kilobytes (a 4096-character text is at most 16 KB).
MAX_UPDATE_BYTES = 1024 * 1024
#: Telegram's limits on what a user sends.
MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_DATA_BYTES = 64
_LARGEST_ID = 2**63


class WebhookRefusal(KindRefusal):
    """Why a call to the webhook is refused."""

    def response(self) -> web.Response:
        """The refusal as a JSON answer (aiohttp)."""
        return web.json_response(self.body(), status=self.status,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _refuse(status: int, code: str, zh: str, en: str) -> NoReturn:
    raise WebhookRefusal(status, code, zh, en)


# -- the shape of an update ---------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string field, at most ``max_chars`` characters (or ``max_bytes`` UTF-8 bytes)."""

    max_chars: int = 4096
    max_bytes: int = 0


@dataclass(frozen=True)
class ListOf:
    """A list whose items all have one shape."""

    item: "Shape"


#: A field's expected shape: a JSON type, a text, a list, or an object (field -> (shape, required)).
Shape = Union[type, Text, ListOf, Mapping[str, "tuple[Shape, bool]"]]

USER: Mapping[str, tuple[Shape, bool]] = {
    "id": (int, True), "is_bot": (bool, True), "first_name": (Text(256), True),
    "last_name": (Text(256), False), "username": (Text(64), False), "language_code": (Text(35), False)}
CHAT: Mapping[str, tuple[Shape, bool]] = {"id": (int, True), "type": (Text(32), True)}
ENTITY: Mapping[str, tuple[Shape, bool]] = {"type": (Text(64), True), "offset": (int, True),
                                            "length": (int, True)}
VOICE: Mapping[str, tuple[Shape, bool]] = {"file_id": (Text(512), True), "file_unique_id": (Text(512), True),
                                           "duration": (int, True)}
MESSAGE: Mapping[str, tuple[Shape, bool]] = {
    "message_id": (int, True), "date": (int, True), "chat": (CHAT, True), "from": (USER, False),
    "text": (Text(MAX_TEXT_CHARS), False), "caption": (Text(MAX_CAPTION_CHARS), False),
    "entities": (ListOf(ENTITY), False), "voice": (VOICE, False)}
CALLBACK_QUERY: Mapping[str, tuple[Shape, bool]] = {
    "id": (Text(256), True), "from": (USER, True), "message": (MESSAGE, False),
    "data": (Text(MAX_CALLBACK_DATA_BYTES, max_bytes=MAX_CALLBACK_DATA_BYTES), False)}
CHAT_MEMBER: Mapping[str, tuple[Shape, bool]] = {"status": (Text(32), True), "user": (USER, True)}
CHAT_MEMBER_UPDATED: Mapping[str, tuple[Shape, bool]] = {
    "chat": (CHAT, True), "from": (USER, True), "date": (int, True),
    "old_chat_member": (CHAT_MEMBER, True), "new_chat_member": (CHAT_MEMBER, True)}
#: The fields of an Update the connector reads; other fields are left to python-telegram-bot.
UPDATE: Mapping[str, tuple[Shape, bool]] = {
    "update_id": (int, True),
    **{kind: (MESSAGE, False)
       for kind in ("message", "edited_message", "channel_post", "edited_channel_post")},
    "callback_query": (CALLBACK_QUERY, False),
    **{kind: (CHAT_MEMBER_UPDATED, False) for kind in ("my_chat_member", "chat_member")}}


def shape_problem(value: Any, shape: Shape, where: str) -> str | None:
    """Return what is wrong with a JSON value given its expected shape, or None when it fits."""
    if shape is int:
        fits = isinstance(value, int) and not isinstance(value, bool) and abs(value) < _LARGEST_ID
        return None if fits else f"{where} must be an integer"
    if shape is bool:
        return None if isinstance(value, bool) else f"{where} must be true or false"
    if isinstance(shape, Text):
        if not isinstance(value, str):
            return f"{where} must be a string"
        too_long = len(value) > shape.max_chars or (
            shape.max_bytes and len(value.encode("utf-8", "surrogatepass")) > shape.max_bytes)
        return f"{where} is longer than Telegram allows" if too_long else None
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return f"{where} must be a list"
        return next((problem for index, item in enumerate(value)
                     if (problem := shape_problem(item, shape.item, f"{where}[{index}]"))), None)
    if isinstance(shape, Mapping):
        if not isinstance(value, dict):
            return f"{where} must be an object"
        for name, (field_shape, required) in shape.items():
            if name not in value:
                if required:
                    return f"{where}.{name} is missing"
                continue
            problem = shape_problem(value[name], field_shape, f"{where}.{name}")
            if problem:
                return problem
        return None
    raise TypeError(f"unknown shape {shape!r}")


# -- one call -----------------------------------------------------------------------------


def check_secret(given: str | None, secret: str) -> None:
    """Refuse (403) a call without the webhook's secret token (compared in constant time)."""
    if given is None or not hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                                secret.encode("utf-8")):
        _refuse(403, "forbidden", "没有权限。", "Forbidden: this address only takes updates from Telegram.")


def check_content_type(header: str) -> None:
    """Refuse (415) another body than ``application/json`` (UTF-8)."""
    media_type, _, parameters = header.partition(";")
    charset = parameters.partition("charset=")[2].strip().strip('"').lower()
    if media_type.strip().lower() != "application/json" or charset not in ("", "utf-8", "utf8"):
        _refuse(415, "unsupported_media_type", "请用 JSON 格式（application/json）发送。",
                "Please send the update as JSON (application/json).")


def parse_update(raw: bytes) -> dict[str, Any]:
    """Return the JSON object of an update whose fields have the right types, or refuse it (400)."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        _refuse(400, "invalid_encoding", "内容不是有效的 UTF-8 文字。", "The body is not valid UTF-8.")
    except (ValueError, RecursionError):
        _refuse(400, "invalid_json", "内容不是有效的 JSON。", "The body is not valid JSON.")
    problem = shape_problem(data, UPDATE, "update")
    if problem:
        _refuse(400, "invalid_update", "这不是一个有效的 Telegram 更新。",
                f"This is not a valid Telegram update: {problem}.")
    assert isinstance(data, dict)
    return data


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


async def read_body(request: web.BaseRequest, limit: int = MAX_UPDATE_BYTES) -> bytes:
    """Read a request body of at most ``limit`` bytes, or refuse it (413).

    The rest of a larger body is left to the server, which reads and drops it
    before closing, so the client gets the answer rather than a reset connection.
    """
    declared = request.content_length
    if declared is None or declared <= limit:
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
    _refuse(413, "payload_too_large", f"内容太大了（最多 {limit // 1024} KB）。",
            f"The update is too large (at most {limit // 1024} KB).")


@dataclass(frozen=True)
class Webhook:
    """Where the webhook listens and what it expects."""

    url: str
    listen: str
    port: int
    secret: str

    @property
    def path(self) -> str:
        """The URL's path, where updates are posted."""
        return "/" + urlparse(self.url).path.strip("/")


def webhook_app(webhook: Webhook, application: Application[Any, Any, Any, Any, Any, Any]) -> web.Application:
    """The aiohttp application that checks calls and queues the updates for ``application``."""

    async def receive(request: web.Request) -> web.Response:
        try:
            check_secret(request.headers.get(SECRET_HEADER), webhook.secret)
            check_content_type(request.headers.get("Content-Type", ""))
            data = parse_update(await read_body(request))
            try:
                update = Update.de_json(data, application.bot)
            except Exception as error:  # python-telegram-bot could not build it
                _refuse(400, "invalid_update", "这不是一个有效的 Telegram 更新。",
                        f"This is not a valid Telegram update ({error.__class__.__name__}).")
        except WebhookRefusal as refusal:
            logger.debug("Webhook call refused: %s", refusal)
            return refusal.response()
        if isinstance(application.bot, ExtBot):
            application.bot.insert_callback_data(update)
        await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    paths = {webhook.path, webhook.path.rstrip("/") + "/"}
    for path in sorted(paths):
        app.router.add_post(path, receive)
    return app


class QuietMalformedHttp(logging.Filter):
    """Keep aiohttp's traceback for each malformed HTTP request (the caller's fault) out of the log.

    aiohttp answers such a request 400 itself and logs it as an error with a
    traceback: anyone able to reach the port could fill the log with them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            logger.debug("Malformed HTTP request refused: %s", error.message)
            return False
        return True


async def serve_webhook(application: Application[Any, Any, Any, Any, Any, Any], webhook: Webhook) -> None:
    """Serve updates posted to the webhook until SIGINT or SIGTERM, as ``run_webhook`` would.

    Runs ``post_init`` after initialising, tells Telegram the webhook's URL and
    secret once the server listens, and ``post_shutdown`` at the end.
    """
    logging.getLogger("aiohttp.server").addFilter(QuietMalformedHttp())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        runner = web.AppRunner(webhook_app(webhook, application), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, webhook.listen, webhook.port).start()
            await application.bot.set_webhook(webhook.url, secret_token=webhook.secret,
                                              allowed_updates=Update.ALL_TYPES)
            await application.start()
            logger.info("Listening for Telegram updates at %s", webhook.url)
            await stop.wait()
        finally:
            await runner.cleanup()
            if application.running:
                await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
