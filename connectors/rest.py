"""The REST channel, with every request checked before it reaches the assistant.

Rasa's own REST channel (``rasa.core.channels.rest.RestInput``) trusts what it
is sent: a body that is empty or a JSON list makes it answer 500, and a
``message`` or ``sender`` that is a number, a list or an object goes on into
the assistant. :class:`CheckedRestInput` keeps its name (``rest``, so the URL
stays ``/webhooks/rest/webhook``) and its answers to valid messages, and
refuses everything else with a 4xx and a kind error in Chinese and English::

    {"error": {"code": "invalid_message", "message": "……。The message …"}}

It is registered in ``credentials.yml`` by its module path,
``connectors.rest.CheckedRestInput``.

What is accepted: a UTF-8 body of at most :data:`MAX_BODY_BYTES` holding one
JSON object with ``sender`` (1-128 characters, no control characters) and
``message`` (a string of at most :data:`MAX_MESSAGE_CHARS` characters; empty
and unreadable ones reach the assistant, which answers them kindly), and
optionally ``metadata`` (an object) and ``input_channel`` (a short name). Any
content type is accepted, as Rasa's channel does (``curl -d`` sends a form
content type).
"""

from __future__ import annotations

import json
import re
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, NoReturn, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.refusals import KindRefusal

#: Largest request body read as a message (a 20,000-character Chinese message
#: sent with every character escaped as ``\uXXXX`` takes 120 KB).
MAX_BODY_BYTES = 256 * 1024
#: Longest message: far more than anyone types, and ten times what Telegram allows.
MAX_MESSAGE_CHARS = 20_000
#: Longest conversation id (``sender``); the SQL tracker store keeps 255.
MAX_SENDER_CHARS = 128

#: Deepest nesting of ``metadata`` (Rasa copies it recursively; the channels send one level).
MAX_METADATA_DEPTH = 10

_CHANNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
#: A button payload as Rasa reads it: ``/intent``, an optional ``@confidence``, optional entities.
_PAYLOAD = re.compile(r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)")


class Refusal(KindRefusal):
    """Why a message is not passed on to the assistant."""

    def response(self) -> HTTPResponse:
        """The refusal as a JSON answer (Sanic)."""
        return response.json(self.body(), status=self.status, dumps=json.dumps, ensure_ascii=False)


def _refuse(status: int, code: str, zh: str, en: str) -> NoReturn:
    raise Refusal(status, code, zh, en)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _is_printable(text: str) -> bool:
    """Whether a text has no control characters, line breaks or half surrogate pairs."""
    return not any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in text)


def parse_body(raw: bytes) -> dict[str, Any]:
    """Return the JSON object of a request body, or refuse it.

    Raises:
        Refusal: 413 when it is too large; 400 when it is empty, not UTF-8,
            not JSON, or not a JSON object.

    """
    if len(raw) > MAX_BODY_BYTES:
        _refuse(413, "payload_too_large", f"发送的内容太大了（最多 {MAX_BODY_BYTES // 1024} KB）。",
                f"The request is too large (at most {MAX_BODY_BYTES // 1024} KB).")
    if not raw.strip():
        _refuse(400, "empty_body", "请求是空的。请发送 {\"sender\": \"…\", \"message\": \"…\"}。",
                'The request is empty. Please send {"sender": "…", "message": "…"}.')
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        _refuse(400, "invalid_encoding", f"请求不是有效的 UTF-8 文字（第 {error.start} 个字节）。",
                f"The request is not valid UTF-8 (byte {error.start}).")
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        _refuse(400, "invalid_json", "请求不是有效的 JSON。请发送 {\"sender\": \"…\", \"message\": \"…\"}。",
                'The request is not valid JSON. Please send {"sender": "…", "message": "…"}.')
    if not isinstance(body, dict):
        _refuse(400, "invalid_json", "请求必须是一个 JSON 对象：{\"sender\": \"…\", \"message\": \"…\"}。",
                'The request must be a JSON object: {"sender": "…", "message": "…"}.')
    return body


def nesting_depth(value: Any) -> int:
    """How deeply JSON objects and lists are nested in a value (a text or a number: 0)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            pending.extend((inner, depth + 1) for inner in item)
    return deepest


def payload_values_are_plain(message: str) -> bool:
    """Whether a button payload's entity values are texts, numbers or lists of them, as buttons send.

    Rasa turns ``/ask_service{"service": "id_card"}`` into an intent and
    entities without looking at the values' types; an object there would reach
    the custom actions as an entity value. Messages that are not payloads are
    plain.
    """
    match = _PAYLOAD.match(message.strip())
    if match is None or match.group("entities") is None:
        return True
    try:
        entities = json.loads(match.group("entities"))
    except (ValueError, RecursionError):
        return True  # Rasa reads it as no entities
    if not isinstance(entities, dict):
        return True
    values = [item for value in entities.values() for item in (value if isinstance(value, list) else [value])]
    return all(value is None or isinstance(value, (str, int, float)) for value in values)


def check_message_body(body: dict[str, Any]) -> None:
    """Check the fields of a message, or refuse it.

    Raises:
        Refusal: 400 for a missing or invalid ``sender``, ``message``,
            ``metadata`` or ``input_channel``; 413 for a too long message.

    """
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS \
            or not _is_printable(sender):
        _refuse(400, "invalid_sender",
                f"\"sender\" 必须是对话编号：1 到 {MAX_SENDER_CHARS} 个字符的文字，不含控制字符。",
                f'"sender" must be the conversation id: a text of 1 to {MAX_SENDER_CHARS} characters '
                "with no control characters.")
    message = body.get("message")
    if not isinstance(message, str):
        _refuse(400, "invalid_message", "\"message\" 必须是文字，也就是您想说的话。",
                '"message" must be a text: what you want to say.')
    if len(message) > MAX_MESSAGE_CHARS:
        _refuse(413, "message_too_long",
                f"这条消息太长了（最多 {MAX_MESSAGE_CHARS} 个字）。请说得简短一些，一次说一件事。",
                f"The message is too long (at most {MAX_MESSAGE_CHARS:,} characters). "
                "Please say it in fewer words, one thing at a time.")
    if not payload_values_are_plain(message):
        _refuse(400, "invalid_payload", "按钮内容无效：里面只能有文字或数字。",
                "This button payload is not valid: its values can only be texts or numbers.")
    metadata = body.get("metadata")
    too_deep = isinstance(metadata, dict) and nesting_depth(metadata) > MAX_METADATA_DEPTH
    if metadata is not None and (not isinstance(metadata, dict) or too_deep):
        _refuse(400, "invalid_metadata",
                f"\"metadata\" 必须是一个 JSON 对象，最多嵌套 {MAX_METADATA_DEPTH} 层。",
                f'"metadata" must be a JSON object nested at most {MAX_METADATA_DEPTH} levels deep.')
    channel = body.get("input_channel")
    if channel is not None and (not isinstance(channel, str) or not _CHANNEL_NAME.fullmatch(channel)):
        _refuse(400, "invalid_input_channel", "\"input_channel\" 必须是渠道名称，例如 rest。",
                '"input_channel" must be the name of a channel, e.g. rest.')


def checked_message(raw: bytes) -> dict[str, Any]:
    """Return the JSON object of a valid message request, or refuse it.

    Raises:
        Refusal: See :func:`parse_body` and :func:`check_message_body`.

    """
    body = parse_body(raw)
    check_message_body(body)
    return body


#: What a citizen reads when their message could not be handled (a store restarting):
#: the same words as nginx's answer when no Rasa server answers (deploy/nginx.conf.template).
BUSY_TEXT = ("对不起，系统正忙，请稍等一会儿再说一遍。"
             "Sorry, the service is busy right now. Please wait a moment and say it again.")
#: Seconds a client is asked to wait before sending the message again.
BUSY_RETRY_AFTER_SECONDS = 10


@dataclass
class TurnOutcome:
    """Whether the assistant failed while handling the message of the current request."""

    failed: bool = False


#: The outcome of the message the current request carries (set for each webhook request).
_CURRENT_TURN: ContextVar[Optional[TurnOutcome]] = ContextVar("current_turn", default=None)


def busy_response(sender: str) -> HTTPResponse:
    """503 with a kind reply in the REST channel's format, and when to try again."""
    return response.json([{"recipient_id": sender, "text": BUSY_TEXT}], status=503,
                         headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
                         dumps=json.dumps, ensure_ascii=False)


def remembering_failures(on_new_message: Callable[[UserMessage], Awaitable[Any]]
                         ) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap Rasa's message handler so that a failure is noted for the current request.

    Rasa's REST channel catches every error of the handler (a tracker store or
    lock store that cannot be reached) and answers ``200 []``: the citizen gets
    no answer and no sign that the message was not handled.
    """
    async def handle(message: UserMessage) -> Any:
        try:
            return await on_new_message(message)
        except BaseException:  # asyncio.CancelledError too: Rasa gave up on the turn
            outcome = _CURRENT_TURN.get()
            if outcome is not None:
                outcome.failed = True
            raise

    return handle


class CheckedRestInput(RestInput):
    """Rasa's REST channel that refuses malformed requests kindly instead of failing on them.

    A message the assistant failed to handle is answered with 503 and a kind
    "busy, please say it again" reply (:func:`busy_response`) instead of Rasa's
    empty ``200 []``.
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, with every message checked before the webhook handles it."""
        routes: Blueprint = super().blueprint(remembering_failures(on_new_message))

        @routes.middleware("response")
        async def answer_failures_kindly(request: Request, answer: HTTPResponse) -> Optional[HTTPResponse]:
            outcome = getattr(request.ctx, "turn", None)
            if isinstance(outcome, TurnOutcome) and outcome.failed:
                body = getattr(request, "parsed_json", None) or {}
                return busy_response(str(body.get("sender", "")))
            return None

        @routes.middleware("request")
        async def refuse_malformed(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                request.parsed_json = checked_message(request.body or b"")
            except Refusal as refusal:
                return refusal.response()
            request.ctx.turn = TurnOutcome()
            _CURRENT_TURN.set(request.ctx.turn)
            return None

        return routes
