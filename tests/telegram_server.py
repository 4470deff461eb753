"""A Telegram Bot API server on loopback for the Telegram connector's tests.

`FakeBotApi` speaks the real Bot API protocol over HTTP, so python-telegram-bot (or any other
client) talks to it exactly as it talks to ``api.telegram.org``:

* methods are called as ``{base_url}{token}/{method}`` with GET or POST; parameters come from the
  query string, an ``application/x-www-form-urlencoded`` or ``multipart/form-data`` body (where
  every non-string value is a JSON-encoded string) or an ``application/json`` body;
* answers are ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``;
* files are downloaded from ``{base_file_url}{token}/{file_path}``.

The server runs an aiohttp application on its own event loop in a background thread, so both
synchronous tests and asyncio tests can use it. Everything the tests call is thread-safe.

Typical use::

    with FakeBotApi() as api:
        application = (
            Application.builder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        ...
        api.push_update(api.text_update(42, "/start"))
        reply = api.wait_for(lambda call: call.method == "sendMessage" and call.chat_id == 42)
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAHfakeLoopbackTokenForConnectorTests0"
"""The token `FakeBotApi` accepts unless it is given another one."""

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

# Update types Telegram leaves out when ``allowed_updates`` is not given (or is empty).
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_METHODS = {
    name.lower(): name
    for name in (
        "getMe",
        "getUpdates",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "sendMessage",
        "sendVoice",
        "sendChatAction",
        "answerCallbackQuery",
        "editMessageReplyMarkup",
        "editMessageText",
        "getFile",
        "setMyCommands",
        "deleteMyCommands",
        "getMyCommands",
        "close",
        "logOut",
    )
}
_SEND_METHODS = frozenset({"sendMessage", "sendVoice"})

_INT_PARAMS = frozenset(
    {
        "cache_time",
        "duration",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "protect_content",
        "show_alert",
    }
)
_JSON_PARAMS = {
    "allowed_updates": "allowed updates",
    "caption_entities": "caption entities",
    "commands": "commands",
    "entities": "message entities",
    "link_preview_options": "link preview options",
    "reply_markup": "reply keyboard markup",
    "reply_parameters": "reply parameters",
    "scope": "bot command scope",
}
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_TOKEN_RE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)

_FILE_KINDS = {
    # kind: (file_id prefix, folder, default extension, default mime type)
    "voice": ("AwACAgIAAxkBAAI", "voice", "oga", "audio/ogg"),
    "audio": ("CQACAgIAAxkBAAI", "music", "mp3", "audio/mpeg"),
    "photo": ("AgACAgIAAxkBAAI", "photos", "jpg", "image/jpeg"),
    "document": ("BQACAgIAAxkBAAI", "documents", "bin", "application/octet-stream"),
    "sticker": ("CAACAgIAAxkBAAI", "stickers", "webp", "image/webp"),
}

_TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
_TINY_WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)


class ApiError(Exception):
    """A Bot API error answer.

    Attributes:
        code: The HTTP status and ``error_code``.
        description: The ``description`` field, e.g. ``"Bad Request: message is too long"``.
        parameters: The optional ``parameters`` field (``retry_after``, ``migrate_to_chat_id``).
    """

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON answer Telegram gives for this error.

        Returns:
            The error object.
        """
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class EntityParseError(ValueError):
    """Text that Telegram refuses to parse with the requested ``parse_mode``."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request.

    Attributes:
        field: The form field name (``voice`` for sendVoice).
        filename: The file name the client gave.
        content_type: The part's content type.
        data: The file's bytes.
    """

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    """A file the server holds, downloadable through getFile and the file route.

    Attributes:
        file_id: The identifier to use in API calls.
        file_unique_id: The identifier that stays the same for the same file.
        file_path: The path under ``base_file_url``, e.g. ``voice/file_3.oga``.
        data: The file's bytes.
        kind: ``voice``, ``audio``, ``photo``, ``document`` or ``sticker``.
        mime_type: The file's MIME type.
        file_name: The original file name, for documents.
    """

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str
    mime_type: str
    file_name: str | None = None


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request the server received and what it answered.

    Attributes:
        index: The position of the call in arrival order, from 0.
        method: The canonical method name (``sendMessage``), or the name as sent when unknown.
        params: The decoded parameters: numbers, booleans and JSON objects are decoded,
            ``chat_id`` is an ``int`` when numeric.
        files: The uploaded files by form field.
        time: When the request arrived, in `time.monotonic` seconds.
        status: The HTTP status of the answer (200, 400, 403, 429, ...).
        result: The ``result`` field on success, else None.
        error: The ``description`` field on failure, else None.
    """

    index: int
    method: str
    params: JSONDict
    files: dict[str, UploadedFile]
    time: float
    status: int
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        """The call's ``chat_id`` parameter, if any."""
        value = self.params.get("chat_id")
        return value if isinstance(value, (int, str)) else None

    @property
    def text(self) -> str | None:
        """The ``text`` parameter as sent (before entity parsing), if any."""
        value = self.params.get("text")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver an update to the webhook.

    Attributes:
        update_id: The delivered update's id.
        url: The webhook URL.
        secret_token: The ``X-Telegram-Bot-Api-Secret-Token`` header sent, if any.
        status: The webhook's HTTP status, or None when no answer came.
        error: Why the delivery failed, in Telegram's words, or None.
        time: When the delivery finished, in `time.monotonic` seconds.
    """

    update_id: int
    url: str
    secret_token: str | None
    status: int | None
    error: str | None
    time: float

    @property
    def ok(self) -> bool:
        """Whether the webhook answered with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None


@dataclass
class _Reply:
    """A handler result with a ``description`` next to it (setWebhook, deleteWebhook)."""

    result: Any
    description: str | None = None


@dataclass
class _Flood:
    remaining: int
    retry_after: int


@dataclass
class _Open:
    """An entity being parsed: its type, start and extra field."""

    type: str
    offset: int
    position: int
    argument: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Entity parsing (MarkdownV2, HTML, legacy Markdown), after the rules of the Bot API.
# --------------------------------------------------------------------------------------------


def utf16_length(text: str) -> int:
    """The length of a text in UTF-16 code units, the unit of Telegram offsets and limits.

    Args:
        text: Any text.

    Returns:
        The number of UTF-16 code units.
    """
    return len(text.encode("utf-16-le")) // 2


class _TextBuilder:
    """The plain text being built while entities are parsed, with UTF-16 offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[JSONDict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_length(text)

    def byte_offset(self, position: int) -> int:
        return len(self.source[:position].encode("utf-8"))

    def text_since(self, offset: int) -> str:
        return "".join(self.parts).encode("utf-16-le")[offset * 2 :].decode("utf-16-le")

    def entity(self, kind: str, offset: int, end: int | None = None, **extra: Any) -> None:
        length = (self.offset if end is None else end) - offset
        if length > 0:
            self.entities.append({"type": kind, "offset": offset, "length": length, **extra})

    def result(self) -> tuple[str, list[JSONDict]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_V2_RESERVED = "_*[]()~`>#+-=|{}.!"
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _v2_reserved_error(char: str) -> EntityParseError:
    return EntityParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


def _v2_is_end(kind: str, text: str, i: int) -> bool:
    char = text[i]
    following = text[i + 1] if i + 1 < len(text) else ""
    return {
        "bold": char == "*",
        "italic": char == "_" and following != "_",
        "underline": char == "_" and following == "_",
        "strikethrough": char == "~",
        "spoiler": char == "|" and following == "|",
        "code": char == "`",
        "pre": text.startswith("```", i),
        "text_link": char == "]",
        "custom_emoji": char == "]",
    }[kind]


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parses MarkdownV2 the way the Bot API does.

    Args:
        text: Text with MarkdownV2 markup.

    Returns:
        The plain text and its entities (offsets in UTF-16 code units).

    Raises:
        EntityParseError: For an unescaped reserved character or an unclosed entity, with
            Telegram's message.
    """
    out = _TextBuilder(text)
    stack: list[_Open] = []
    quote: _Open | None = None
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        line_start = i == 0 or text[i - 1] == "\n"
        if not in_code and line_start:
            if quote is not None and char != ">" and not text.startswith("**>", i):
                out.entity(quote.type, quote.offset, end=out.offset - 1)  # the newline is not quoted
                quote = None
            if char == ">" or text.startswith("**>", i):
                expandable = char == "*"
                if quote is None:
                    quote = _Open("expandable_blockquote" if expandable else "blockquote", out.offset, i)
                i += 3 if expandable else 1
                continue
        if (
            quote is not None
            and not in_code
            and text.startswith("||", i)
            and (i + 2 == n or text[i + 2] == "\n")
            and not (stack and stack[-1].type == "spoiler")
        ):
            quote.type = "expandable_blockquote"
            out.entity(quote.type, quote.offset)
            quote = None
            i += 2
            continue
        reserved = "`" if in_code else _V2_RESERVED
        if char not in reserved:
            out.add(char)
            i += 1
            continue
        if stack and _v2_is_end(stack[-1].type, text, i):
            entity = stack.pop()
            extra: JSONDict = {}
            if entity.type in ("text_link", "custom_emoji"):
                i += 1
                url = ""
                if i < n and text[i] == "(":
                    url_start = i
                    i += 1
                    url_chars: list[str] = []
                    while i < n and text[i] != ")":
                        if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                            url_chars.append(text[i + 1])
                            i += 2
                        else:
                            url_chars.append(text[i])
                            i += 1
                    if i >= n:
                        raise EntityParseError(
                            f"Can't find end of a URL at byte offset {out.byte_offset(url_start)}"
                        )
                    i += 1
                    url = "".join(url_chars)
                else:
                    url = out.text_since(entity.offset)
                if entity.type == "custom_emoji":
                    match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if match is None:
                        raise EntityParseError("Custom emoji URL must have scheme tg")
                    extra["custom_emoji_id"] = match.group(1)
                elif url:
                    extra["url"] = url
                else:
                    continue
            elif entity.type == "pre":
                i += 3
                if entity.argument:
                    extra["language"] = entity.argument
            elif entity.type in ("underline", "spoiler"):
                i += 2
            else:
                i += 1
            out.entity(entity.type, entity.offset, **extra)
            continue
        start = i
        following = text[i + 1] if i + 1 < n else ""
        argument: str | None = None
        if char == "_" and following == "_":
            kind, i = "underline", i + 2
        elif char == "_":
            kind, i = "italic", i + 1
        elif char == "*":
            kind, i = "bold", i + 1
        elif char == "~":
            kind, i = "strikethrough", i + 1
        elif char == "|" and following == "|":
            kind, i = "spoiler", i + 2
        elif char == "[":
            kind, i = "text_link", i + 1
        elif char == "!" and following == "[":
            kind, i = "custom_emoji", i + 2
        elif char == "`" and text.startswith("```", i):
            kind, i = "pre", i + 3
            language_end = i
            while language_end < n and not text[language_end].isspace() and text[language_end] != "`":
                language_end += 1
            if language_end != i and language_end < n and text[language_end] != "`":
                argument = text[i:language_end]
                i = language_end
            if i < n and text[i] in "\r\n":
                i += 2 if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1] else 1
        elif char == "`":
            kind, i = "code", i + 1
        else:
            raise _v2_reserved_error(char)
        stack.append(_Open(kind, out.offset, start, argument))
    if stack:
        entity = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_V2_NAMES[entity.type]} entity at byte offset "
            f"{out.byte_offset(entity.position)}"
        )
    if quote is not None:
        out.entity(quote.type, quote.offset)
    return out.result()


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


def _html_unescape_at(text: str, i: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, i)
    if match is None:
        return None
    decoded = html.unescape(match.group(0))
    if decoded == match.group(0):
        return None
    return decoded, match.end()


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parses Telegram's HTML subset the way the Bot API does.

    Args:
        text: Text with HTML markup.

    Returns:
        The plain text and its entities (offsets in UTF-16 code units).

    Raises:
        EntityParseError: For an unsupported, unclosed or mismatched tag, with Telegram's message.
    """
    out = _TextBuilder(text)
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            unescaped = _html_unescape_at(text, i)
            if unescaped is None:
                out.add(char)
                i += 1
            else:
                out.add(unescaped[0])
                i = unescaped[1]
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            i += 1
            name_end = i
            while name_end < n and text[name_end] != ">":
                name_end += 1
            if name_end >= n:
                raise EntityParseError(f"Unclosed end tag at byte offset {out.byte_offset(begin)}")
            name = text[i:name_end].strip().lower()
            i = name_end + 1
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {out.byte_offset(begin)}")
            entity = stack.pop()
            if name != entity.argument:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {out.byte_offset(begin)}, "
                    f'expected "</{entity.argument}>", found "</{name}>"'
                )
            _close_html_entity(out, entity, stack)
            continue
        name_end = i
        while name_end < n and not text[name_end].isspace() and text[name_end] not in "/>":
            name_end += 1
        name = text[i:name_end].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {out.byte_offset(begin)}')
        i = name_end
        attributes: dict[str, str] = {}
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] in "/>":
                break
            attribute_end = i
            while (
                attribute_end < n and not text[attribute_end].isspace() and text[attribute_end] not in "=/>"
            ):
                attribute_end += 1
            attribute = text[i:attribute_end].lower()
            i = attribute_end
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != "=":
                attributes[attribute] = ""
                continue
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                break
            if text[i] in "\"'":
                quote_char = text[i]
                value_end = text.find(quote_char, i + 1)
                if value_end < 0:
                    raise EntityParseError(
                        f'Unclosed end of an attribute value of the tag "{name}" at byte offset '
                        f"{out.byte_offset(begin)}"
                    )
                value = text[i + 1 : value_end]
                i = value_end + 1
            else:
                value_end = i
                while value_end < n and not text[value_end].isspace() and text[value_end] != ">":
                    value_end += 1
                value = text[i:value_end]
                i = value_end
            attributes[attribute] = html.unescape(value)
        if i < n and text[i] == "/":
            i += 1
        if i >= n or text[i] != ">":
            raise EntityParseError(f"Unclosed start tag at byte offset {out.byte_offset(begin)}")
        i += 1
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {out.byte_offset(begin)}'
            )
        stack.append(_Open(_HTML_TAGS[name], out.offset, begin, name, attributes))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].argument}"')
    return out.result()


def _close_html_entity(out: _TextBuilder, entity: _Open, stack: list[_Open]) -> None:
    extra: JSONDict = {}
    kind = entity.type
    if kind == "text_link":
        url = entity.extra.get("href") or out.text_since(entity.offset)
        if not url:
            return
        extra["url"] = url
    elif kind == "custom_emoji":
        emoji_id = entity.extra.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise EntityParseError("Custom emoji identifier must be non-empty")
        extra["custom_emoji_id"] = emoji_id
    elif kind == "blockquote" and "expandable" in entity.extra:
        kind = "expandable_blockquote"
    elif kind == "code":
        language = entity.extra.get("class", "")
        parent = stack[-1] if stack else None
        if language.startswith("language-") and parent is not None and parent.type == "pre":
            if parent.offset == entity.offset:
                parent.extra["language"] = language.removeprefix("language-")
                return
    elif kind == "pre" and entity.extra.get("language"):
        extra["language"] = entity.extra["language"]
    out.entity(kind, entity.offset, **extra)


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parses legacy Markdown (``parse_mode="Markdown"``) the way the Bot API does.

    Args:
        text: Text with legacy Markdown markup.

    Returns:
        The plain text and its entities (offsets in UTF-16 code units).

    Raises:
        EntityParseError: For an entity that is not closed, with Telegram's message.
    """
    out = _TextBuilder(text)
    i, n = 0, len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if char not in kinds:
            out.add(char)
            i += 1
            continue
        begin = i
        kind = kinds[char]
        end_char = "]" if char == "[" else char
        i += 1
        language: str | None = None
        if char == "`" and text.startswith("``", i):
            kind = "pre"
            i += 2
            newline = text.find("\n", i)
            closing = text.find("```", i)
            if 0 <= newline < closing and text[i:newline].strip() and " " not in text[i:newline].strip():
                language = text[i:newline].strip()
                i = newline + 1
        offset = out.offset
        while i < n and not (text[i] == end_char and (kind != "pre" or text.startswith("```", i))):
            out.add(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {out.byte_offset(begin)}"
            )
        i += 3 if kind == "pre" else 1
        extra: JSONDict = {}
        if kind == "text_link":
            if i < n and text[i] == "(":
                closing = text.find(")", i)
                if closing < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {out.byte_offset(begin)}"
                    )
                extra["url"] = text[i + 1 : closing]
                i = closing + 1
            if not extra.get("url"):
                continue
        if language:
            extra["language"] = language
        out.entity(kind, offset, **extra)
    return out.result()


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Parses a text with a ``parse_mode`` the way the Bot API does.

    Args:
        text: The text as sent.
        parse_mode: ``MarkdownV2``, ``HTML``, ``Markdown`` (case-insensitive) or None/empty for
            plain text.

    Returns:
        The plain text and its entities.

    Raises:
        EntityParseError: When Telegram would answer "can't parse entities".
        ValueError: For an unknown parse mode.
    """
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "html":
        return parse_html(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")


def detect_entities(text: str) -> list[JSONDict]:
    """The entities Telegram finds by itself in a user's text: bot commands and URLs.

    Args:
        text: A message text.

    Returns:
        ``bot_command`` and ``url`` entities, offsets in UTF-16 code units.
    """
    entities: list[JSONDict] = []
    for kind, pattern in (("bot_command", _BOT_COMMAND_RE), ("url", _URL_RE)):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_length(text[: match.start()]),
                    "length": utf16_length(match.group(0)),
                }
            )
    return sorted(entities, key=lambda e: e["offset"])


def ogg_duration(data: bytes) -> int | None:
    """The duration of an Ogg Opus (or Vorbis) stream, in whole seconds, from its last page.

    Args:
        data: The file's bytes.

    Returns:
        The rounded duration, at least 1 for a non-empty stream, or None when it cannot be read.
    """
    if not data.startswith(b"OggS"):
        return None
    last = data.rfind(b"OggS")
    if last + 14 > len(data):
        return None
    granule = int.from_bytes(data[last + 6 : last + 14], "little", signed=True)
    rate, skip = 48000, 0
    opus = data.find(b"OpusHead")
    vorbis = data.find(b"\x01vorbis")
    if 0 <= opus and opus + 12 <= len(data):
        skip = int.from_bytes(data[opus + 10 : opus + 12], "little")
    elif 0 <= vorbis and vorbis + 16 <= len(data):
        rate = int.from_bytes(data[vorbis + 12 : vorbis + 16], "little") or 48000
    if granule <= skip:
        return None
    return max(1, int((granule - skip) / rate + 0.5))


def _sniff_audio(data: bytes) -> str | None:
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def _sniff_kind(data: bytes) -> str:
    if data.startswith(b"OggS"):
        return "voice"
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG"):
        return "photo"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "sticker"
    return "document"


def _coerce_params(raw: dict[str, Any]) -> JSONDict:
    """Decodes parameters the way Telegram reads them: every value may arrive as a string."""
    params: JSONDict = {}
    for key, value in raw.items():
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("utf-8", "replace")
        if key in _JSON_PARAMS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {_JSON_PARAMS[key]} JSON object") from None
        elif key in _INT_PARAMS and isinstance(value, (str, float)):
            try:
                value = int(float(value))
            except ValueError:
                raise ApiError(400, f"Bad Request: invalid {key} specified") from None
        elif key in _BOOL_PARAMS and isinstance(value, str):
            value = value.strip().lower() in ("true", "1", "yes")
        elif (
            key in ("chat_id", "from_chat_id")
            and isinstance(value, str)
            and re.fullmatch(r"-?\d+", value.strip())
        ):
            value = int(value.strip())
        params[key] = value
    return params


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


class FakeBotApi:
    """A Telegram Bot API server on 127.0.0.1, run in a background thread.

    The bot's own methods arrive over HTTP; the tests drive the server with plain methods:
    they build and push updates, inspect recorded calls, and make the server fail on demand
    (flood control, a user who blocked the bot).

    Args:
        token: The only token accepted; any other gets 401 Unauthorized.
        bot_username: The bot's username in getMe and in sent messages.
        bot_first_name: The bot's first name.
        port: The port to listen on; 0 picks a free one (kept across stop/start).
        webhook_timeout: Seconds to wait for the webhook to answer a delivery.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "public_services_test_bot",
        bot_first_name: str = "Public Services",
        port: int = 0,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.webhook_timeout = webhook_timeout
        self._port = port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # State shared with the server thread; guarded by self._lock.
        self._calls: list[ApiCall] = []
        self._pending: list[JSONDict] = []
        self._deliveries: list[WebhookDelivery] = []
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._last_message_id: dict[int | str, int] = {}
        self._users: dict[int, JSONDict] = {}
        self._callback_queries: dict[str, JSONDict] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._floods: dict[str, _Flood] = {}
        self._blocked: set[int | str] = set()
        self._webhook: _Webhook | None = None
        self._allowed_updates: list[str] | None = None
        self._last_webhook_error: tuple[int, str] | None = None
        self._update_ids = itertools.count(100_000_001)
        self._file_numbers = itertools.count(1)
        self._poll_generation = 0
        self._stopping = False
        # Owned by the server thread.
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._event: asyncio.Event | None = None

    # ---------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        """The port the server listens on (0 before the first start)."""
        return self._port

    @property
    def url(self) -> str:
        """The server's root URL, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The value for PTB's ``base_url``: methods are called at ``{base_url}{token}/{method}``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for PTB's ``base_file_url``: files are at ``{base_file_url}{token}/{path}``."""
        return f"{self.url}/file/bot"

    @property
    def running(self) -> bool:
        """Whether the server is accepting requests."""
        return self._thread is not None

    def start(self) -> FakeBotApi:
        """Starts the server in a background thread; returns when it accepts connections.

        Returns:
            The server itself.

        Raises:
            RuntimeError: When the server could not start.
        """
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        sock.listen(128)
        sock.setblocking(False)
        self._port = int(sock.getsockname()[1])
        self._stopping = False
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(sock))
            except BaseException as error:  # noqa: BLE001 - reported to the starting thread
                failure.append(error)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=f"fake-bot-api-{self._port}", daemon=True)
        self._thread.start()
        if not started.wait(10) or failure:
            self._thread = None
            self._loop = None
            raise RuntimeError(f"the fake Bot API did not start: {failure[:1]}")
        return self

    def stop(self) -> None:
        """Stops the server; open long polls end and the port is released. State is kept."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with self._lock:
            self._stopping = True
        loop.call_soon_threadsafe(self._wake_in_loop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("*", "/bot{token}/{method}/", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._event = asyncio.Event()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        self._worker = asyncio.get_running_loop().create_task(self._webhook_worker())

    async def _shutdown(self) -> None:
        self._wake_in_loop()
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._worker = self._session = self._runner = None

    def _wake(self) -> None:
        """Wakes long polls and the webhook worker, from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake_in_loop)
            except RuntimeError:
                pass

    def _wake_in_loop(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    # ---------------------------------------------------------------- HTTP handlers

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return self._answer(ApiError(404, "Not Found").body(), 404)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._answer(ApiError(401, "Unauthorized").body(), 401)
        with self._lock:
            stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._answer(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def _handle_method(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        name = request.match_info["method"]
        method = _METHODS.get(name.lower(), name)
        params: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        result: Any = None
        description: str | None = None
        unreadable: ApiError | None = None
        try:
            params, files = await self._read_request(request)
        except ApiError as error:
            unreadable = error
        try:
            token = request.match_info["token"]
            if token != self.token:
                # Telegram: a malformed token is not a bot at all, a well-formed one is refused.
                raise (
                    ApiError(401, "Unauthorized")
                    if _TOKEN_RE.fullmatch(token)
                    else ApiError(404, "Not Found")
                )
            if name.lower() not in _METHODS:
                raise ApiError(404, "Not Found")
            if unreadable is not None:
                raise unreadable
            self._check_restrictions(method, params)
            if method == "getUpdates":
                reply = await self._get_updates(params)
            else:
                with self._lock:
                    reply = self._dispatch(method, params, files)
            if isinstance(reply, _Reply):
                result, description = reply.result, reply.description
            else:
                result = reply
        except ApiError as error:
            self._record(method, params, files, arrived, error.code, None, error.description)
            return self._answer(error.body(), error.code)
        except Exception as failure:  # noqa: BLE001 - a server bug must reach the test as an answer
            internal = ApiError(500, f"Internal Server Error: {failure!r}")
            self._record(method, params, files, arrived, internal.code, None, internal.description)
            return self._answer(internal.body(), internal.code)
        self._record(method, params, files, arrived, 200, result, None)
        body: JSONDict = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return self._answer(body, 200)

    @staticmethod
    def _answer(body: JSONDict, status: int) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
        )

    async def _read_request(self, request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            try:
                if request.content_type == "application/json":
                    try:
                        body = await request.json()
                    except ValueError:
                        raise ApiError(400, "Bad Request: can't parse JSON object") from None
                    if not isinstance(body, dict):
                        raise ApiError(400, "Bad Request: JSON object expected")
                    raw.update(body)
                elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                    form = await request.post()
                    for key, value in form.items():
                        if isinstance(value, web.FileField):
                            files[key] = UploadedFile(
                                key, value.filename, value.content_type, value.file.read()
                            )
                        else:
                            raw[key] = value
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
        return _coerce_params(raw), files

    def _record(
        self,
        method: str,
        params: JSONDict,
        files: dict[str, UploadedFile],
        arrived: float,
        status: int,
        result: Any,
        error: str | None,
    ) -> ApiCall:
        with self._lock:
            call = ApiCall(
                index=len(self._calls),
                method=method,
                params=copy.deepcopy(params),
                files=dict(files),
                time=arrived,
                status=status,
                result=copy.deepcopy(result),
                error=error,
            )
            self._calls.append(call)
            self._changed.notify_all()
            return call

    def _check_restrictions(self, method: str, params: JSONDict) -> None:
        with self._lock:
            flood = self._floods.get(method.lower())
            if flood is not None and flood.remaining > 0:
                flood.remaining -= 1
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {flood.retry_after}",
                    {"retry_after": flood.retry_after},
                )
            chat_id = params.get("chat_id")
            if isinstance(chat_id, (int, str)) and chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _dispatch(self, method: str, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        handlers: dict[str, Callable[[JSONDict, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendVoice": self._send_voice,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "close": lambda params, files: True,
            "logOut": lambda params, files: True,
        }
        return handlers[method](params, files)

    # ---------------------------------------------------------------- updates

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        loop = asyncio.get_running_loop()
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = loop.time() + timeout
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)
            if "allowed_updates" in params:
                self._allowed_updates = self._check_allowed_updates(params["allowed_updates"])
            self._poll_generation += 1
            generation = self._poll_generation
        self._wake_in_loop()
        while True:
            event = self._event
            with self._lock:
                if self._webhook is not None:
                    raise ApiError(409, _WEBHOOK_CONFLICT)
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                if offset < 0:
                    del self._pending[: max(len(self._pending) + offset, 0)]
                else:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                self._pending = [u for u in self._pending if self._is_allowed(u)]
                batch = copy.deepcopy(self._pending[:limit])
                stopping = self._stopping
            remaining = deadline - loop.time()
            if batch or stopping or remaining <= 0 or event is None:
                return batch
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = _update_type(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _NOT_DELIVERED_BY_DEFAULT

    @staticmethod
    def _check_allowed_updates(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
        return list(value)

    async def _webhook_worker(self) -> None:
        while True:
            event = self._event
            job: tuple[JSONDict, _Webhook] | None = None
            with self._lock:
                if self._webhook is not None and not self._stopping:
                    while self._pending and job is None:
                        update = self._pending.pop(0)
                        if self._is_allowed(update):
                            job = (update, copy.copy(self._webhook))
            if job is None:
                if event is not None:
                    await event.wait()
                continue
            await self._deliver(*job)

    async def _deliver(self, update: JSONDict, webhook: _Webhook) -> None:
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_TOKEN_HEADER] = webhook.secret_token
        status: int | None = None
        error: str | None = None
        answer: Any = None
        assert self._session is not None
        try:
            async with self._session.post(
                webhook.url, data=json.dumps(update, ensure_ascii=False).encode("utf-8"), headers=headers
            ) as response:
                status = response.status
                body = await response.read()
                if 200 <= status < 300:
                    if response.content_type == "application/json" and body:
                        try:
                            answer = json.loads(body)
                        except ValueError:
                            answer = None
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason or ''}".strip()
        except asyncio.TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as failure:
            error = f"Connection failed: {failure}"
        with self._lock:
            if error is not None:
                self._last_webhook_error = (int(time.time()), error)
            self._deliveries.append(
                WebhookDelivery(
                    update["update_id"], webhook.url, webhook.secret_token, status, error, time.monotonic()
                )
            )
            self._changed.notify_all()
        if isinstance(answer, dict) and isinstance(answer.get("method"), str):
            self._call_from_webhook_answer(answer)

    def _call_from_webhook_answer(self, answer: JSONDict) -> None:
        """Runs a method given in a webhook's answer, as Telegram does (the result is not returned)."""
        arrived = time.monotonic()
        raw = {key: value for key, value in answer.items() if key != "method"}
        name = str(answer["method"])
        method = _METHODS.get(name.lower(), name)
        params: JSONDict = {}
        try:
            params = _coerce_params(raw)
            if name.lower() not in _METHODS or method == "getUpdates":
                raise ApiError(404, "Not Found")
            self._check_restrictions(method, params)
            with self._lock:
                reply = self._dispatch(method, params, {})
        except ApiError as error:
            self._record(method, params, {}, arrived, error.code, None, error.description)
            return
        self._record(
            method, params, {}, arrived, 200, reply.result if isinstance(reply, _Reply) else reply, None
        )

    def _set_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> _Reply:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params, files)
        if not re.match(r"https?://[^/\s]+", url):
            raise ApiError(400, "Bad Request: bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = int(params.get("max_connections") or 40)
        if not 1 <= max_connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: invalid max_connections specified")
        if "allowed_updates" in params:
            self._allowed_updates = self._check_allowed_updates(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._pending.clear()
        webhook = _Webhook(url, str(secret) if secret else None, max_connections, params.get("ip_address"))
        unchanged = self._webhook == webhook
        self._webhook = webhook
        self._last_webhook_error = None
        self._wake()
        return _Reply(True, "Webhook is already set" if unchanged else "Webhook was set")

    def _delete_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> _Reply:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        had_webhook = self._webhook is not None
        self._webhook = None
        self._last_webhook_error = None
        return _Reply(True, "Webhook was deleted" if had_webhook else "Webhook is already deleted")

    def _get_webhook_info(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        info: JSONDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        webhook = self._webhook
        if webhook is not None:
            info["url"] = webhook.url
            info["max_connections"] = webhook.max_connections
            if webhook.ip_address:
                info["ip_address"] = webhook.ip_address
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._last_webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info

    # ---------------------------------------------------------------- messages

    def _get_me(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _chat_id(params: JSONDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(value, int) or isinstance(value, bool) or value == 0:
            raise ApiError(400, "Bad Request: chat not found")
        return value

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id < 0:
            return {
                "id": chat_id,
                "type": "group",
                "title": "Test Group",
                "all_members_are_administrators": True,
            }
        user = self._users.get(chat_id) or {"first_name": "Test"}
        chat: JSONDict = {"id": chat_id, "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def _next_message_id(self, chat_id: int | str) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _parse_text(self, text: str, parse_mode: Any, what: str) -> tuple[str, list[JSONDict]]:
        try:
            return parse_entities(text, str(parse_mode) if parse_mode else None)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse {what}: {error}") from None
        except ValueError:
            raise ApiError(400, "Bad Request: unsupported parse_mode") from None

    @staticmethod
    def _check_reply_markup(markup: Any) -> JSONDict | None:
        """Validates reply_markup; returns it when it is an inline keyboard (which Telegram echoes)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "InlineKeyboardMarkup must be an Array of Arrays",
                )
            if sum(len(row) for row in rows) > 100:
                raise ApiError(400, "Bad Request: reply markup is too long")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise ApiError(
                            400, "Bad Request: can't parse inline keyboard button: Text must be a String"
                        )
                    if not button["text"].strip():
                        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                    actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
                    if not actions:
                        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        data = button["callback_data"]
                        if (
                            not isinstance(data, str)
                            or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                        ):
                            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"(https?|tg)://\S+", str(button["url"])):
                        raise ApiError(
                            400, f"Bad Request: inline keyboard button URL '{button['url']}' is invalid"
                        )
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ApiError(
                    400,
                    "Bad Request: can't parse keyboard button: "
                    "ReplyKeyboardMarkup must be an Array of Arrays",
                )
            for row in rows:
                for button in row:
                    text = (
                        button
                        if isinstance(button, str)
                        else button.get("text")
                        if isinstance(button, dict)
                        else None
                    )
                    if not isinstance(text, str) or not text.strip():
                        raise ApiError(400, "Bad Request: keyboard button text must be non-empty")
            return None
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return None
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        message_id: Any = params.get("reply_to_message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        target_chat: Any = chat_id
        if reply is not None:
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
            message_id = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply", allow))
            target_chat = reply.get("chat_id", chat_id)
        if message_id is None:
            return None
        if isinstance(target_chat, str) and re.fullmatch(r"-?\d+", target_chat):
            target_chat = int(target_chat)
        try:
            original = self._messages.get((target_chat, int(message_id)))
        except (TypeError, ValueError):
            original = None
        if original is None:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        replied = copy.deepcopy(original)
        replied.pop("reply_to_message", None)
        return replied

    def _new_message(self, chat_id: int, params: JSONDict, body: JSONDict) -> JSONDict:
        markup = self._check_reply_markup(params.get("reply_markup"))
        replied = self._reply_to(chat_id, params)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        if replied is not None:
            message["reply_to_message"] = replied
        message.update(body)
        if markup is not None:
            message["reply_markup"] = copy.deepcopy(markup)
        self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def _message_text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = self._parse_text(raw, params.get("parse_mode"), "entities")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        if not params.get("parse_mode") and isinstance(params.get("entities"), list):
            entities = params["entities"]
        return text, entities

    def _send_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat_id = self._chat_id(params)
        text, entities = self._message_text(params)
        body: JSONDict = {"text": text}
        if entities:
            body["entities"] = entities
        return self._new_message(chat_id, params, body)

    def _caption(self, params: JSONDict) -> JSONDict:
        raw = params.get("caption")
        if not isinstance(raw, str) or not raw:
            return {}
        caption, entities = self._parse_text(raw, params.get("parse_mode"), "caption entities")
        if utf16_length(caption) > MAX_CAPTION_LENGTH:
            raise ApiError(400, "Bad Request: message caption is too long")
        body: JSONDict = {"caption": caption} if caption else {}
        if not params.get("parse_mode") and isinstance(params.get("caption_entities"), list):
            entities = params["caption_entities"]
        if entities:
            body["caption_entities"] = entities
        return body

    def _send_voice(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat_id = self._chat_id(params)
        upload = files.get("voice")
        duration = params.get("duration")
        if upload is not None:
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            mime_type = _sniff_audio(upload.data)
            if mime_type is None:
                # Telegram sends what is not OGG/Opus, MP3 or M4A as a document.
                stored = self._store_file(
                    upload.data,
                    "document",
                    upload.filename,
                    upload.content_type or "application/octet-stream",
                )
                body: JSONDict = {"document": self._document_object(stored)}
            else:
                stored = self._store_file(upload.data, "voice", upload.filename, mime_type)
                if duration is None:
                    duration = ogg_duration(upload.data) if mime_type == "audio/ogg" else None
                body = {"voice": self._voice_object(stored, duration)}
        else:
            reference = params.get("voice")
            if not isinstance(reference, str) or not reference:
                raise ApiError(400, "Bad Request: there is no voice in the request")
            if reference.startswith("attach://"):
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            existing = self._files.get(reference)
            if existing is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            if existing.kind not in ("voice", "audio"):
                raise ApiError(
                    400, f"Bad Request: can't use file of type {existing.kind.capitalize()} as Voice"
                )
            if duration is None:
                duration = ogg_duration(existing.data)
            body = {"voice": self._voice_object(existing, duration)}
        body.update(self._caption(params))
        return self._new_message(chat_id, params, body)

    @staticmethod
    def _voice_object(stored: StoredFile, duration: Any) -> JSONDict:
        return {
            "duration": int(duration) if duration is not None else 0,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }

    @staticmethod
    def _document_object(stored: StoredFile) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        return document

    def _send_chat_action(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise ApiError(400, "Bad Request: query_id is empty")
        text = params.get("text")
        if isinstance(text, str) and utf16_length(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if self._callback_queries.pop(str(query_id), None) is None:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _message_to_edit(self, params: JSONDict) -> JSONDict:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat_id, int(message_id)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"].get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    _NOT_MODIFIED = (
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message"
    )

    def _edit_message_text(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        message = self._message_to_edit(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._message_text(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        if params.get("reply_markup") is not None and markup is None:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(400, self._NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = copy.deepcopy(markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        message = self._message_to_edit(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        if params.get("reply_markup") is not None and markup is None:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if message.get("reply_markup") == markup:
            raise ApiError(400, self._NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = copy.deepcopy(markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _get_file(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ---------------------------------------------------------------- commands

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise ApiError(400, "Bad Request: can't parse bot command scope JSON object")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    def _set_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", "")).strip()
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
            cleaned.append({"command": command["command"], "description": description})
        key = self._commands_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _delete_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> list[JSONDict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    # ---------------------------------------------------------------- files (test controls)

    def _store_file(self, data: bytes, kind: str, file_name: str | None, mime_type: str | None) -> StoredFile:
        prefix, folder, extension, default_mime = _FILE_KINDS[kind]
        number = next(self._file_numbers)
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1].lower()
        stored = StoredFile(
            file_id=f"{prefix}{number:05d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"AgAD{number:05d}{secrets.token_hex(3)}",
            file_path=f"{folder}/file_{number}.{extension}",
            data=bytes(data),
            kind=kind,
            mime_type=mime_type or default_mime,
            file_name=file_name,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def add_file(
        self,
        data: bytes,
        *,
        kind: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> str:
        """Stores a file the bot can fetch with getFile and download.

        Args:
            data: The file's bytes.
            kind: ``voice``, ``audio``, ``photo``, ``document`` or ``sticker``; guessed from the
                bytes when not given (OGG is a voice).
            file_name: The original file name (gives the extension of the file path).
            mime_type: The MIME type; a default for the kind when not given.

        Returns:
            The new file_id.
        """
        chosen = kind or _sniff_kind(data)
        if chosen not in _FILE_KINDS:
            raise ValueError(f"unknown file kind {chosen!r}")
        with self._lock:
            return self._store_file(data, chosen, file_name, mime_type).file_id

    def file(self, file_id: str) -> StoredFile:
        """A stored file: one added by a test or uploaded by the bot.

        Args:
            file_id: The file's id.

        Returns:
            The stored file.

        Raises:
            KeyError: When there is no such file.
        """
        with self._lock:
            return self._files[file_id]

    # ---------------------------------------------------------------- updates (test controls)

    def push_update(self, update: JSONDict, *, wait: bool = False, timeout: float = 10.0) -> JSONDict:
        """Makes an update available to the bot.

        Without a webhook the update waits for getUpdates. With a webhook it is POSTed to the
        webhook URL (with the secret token header when one was set), in order, one at a time;
        each attempt is recorded as a `WebhookDelivery` (see `deliveries`, `wait_for_delivery`).
        A failed delivery is recorded and not retried.

        Args:
            update: An Update object, e.g. from `text_update`; ``update_id`` is added if missing.
            wait: With a webhook set, block until the delivery has been attempted. Leave False
                when the webhook receiver runs on the calling thread's event loop.
            timeout: Seconds to wait when ``wait`` is True.

        Returns:
            The update as queued.
        """
        update = copy.deepcopy(update)
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = next(self._update_ids)
            self._pending.append(update)
            webhook = self._webhook is not None
        self._wake()
        if wait and webhook:
            self.wait_for_delivery(update["update_id"], timeout)
        return copy.deepcopy(update)

    def pending_updates(self) -> list[JSONDict]:
        """The updates queued and not yet confirmed or delivered.

        Returns:
            Copies of the pending updates, oldest first.
        """
        with self._lock:
            return copy.deepcopy(self._pending)

    def deliveries(self) -> list[WebhookDelivery]:
        """Every webhook delivery attempt so far, in order.

        Returns:
            The delivery records.
        """
        with self._lock:
            return list(self._deliveries)

    def wait_for_delivery(self, update_id: int, timeout: float = 10.0) -> WebhookDelivery:
        """Blocks until the webhook delivery of an update has been attempted.

        Args:
            update_id: The update's id.
            timeout: Seconds to wait.

        Returns:
            The delivery record.

        Raises:
            TimeoutError: When no delivery was attempted in time.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for delivery in self._deliveries:
                    if delivery.update_id == update_id:
                        return delivery
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"update {update_id} was not delivered to the webhook in {timeout} s")
                self._changed.wait(remaining)

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL the bot set, or None."""
        with self._lock:
            return self._webhook.url if self._webhook else None

    @property
    def webhook_secret(self) -> str | None:
        """The webhook secret token the bot set, or None."""
        with self._lock:
            return self._webhook.secret_token if self._webhook else None

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Sets how a user appears in the updates built afterwards.

        Args:
            user_id: The user's id (also their private chat's id).
            first_name: The first name.
            last_name: The last name.
            username: The username, without ``@``.
            language_code: The IETF language tag of the user's client, e.g. ``zh-hans``.

        Returns:
            The User object.
        """
        with self._lock:
            user = self._users.setdefault(
                user_id, {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
            )
            for key, value in (
                ("first_name", first_name),
                ("last_name", last_name),
                ("username", username),
                ("language_code", language_code),
            ):
                if value is not None:
                    user[key] = value
            return dict(user)

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str | None,
        language_code: str | None,
        body: JSONDict,
    ) -> JSONDict:
        user = self.set_user(
            user_id if user_id is not None else chat_id, first_name=first_name, language_code=language_code
        )
        with self._lock:
            message: JSONDict = {
                "message_id": self._next_message_id(chat_id),
                "from": user,
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                **body,
            }
            self._messages[(chat_id, message["message_id"])] = message
            return copy.deepcopy(message)

    def _update(self, kind: str, payload: JSONDict) -> JSONDict:
        with self._lock:
            return {"update_id": next(self._update_ids), kind: payload}

    def text_update(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Builds an update with a text message from a user (commands get a bot_command entity).

        Args:
            chat_id: The private chat's id.
            text: The message text.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name (remembered for later updates).
            language_code: The sender's client language (remembered for later updates).
            reply_to_message_id: A message in the chat this one replies to.

        Returns:
            The Update object.
        """
        body: JSONDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            body["entities"] = entities
        if reply_to_message_id is not None:
            with self._lock:
                original = self._messages.get((chat_id, reply_to_message_id))
            if original is not None:
                replied = copy.deepcopy(original)
                replied.pop("reply_to_message", None)
                body["reply_to_message"] = replied
        return self._update("message", self._user_message(chat_id, user_id, first_name, language_code, body))

    def voice_update(
        self,
        chat_id: int,
        ogg_bytes: bytes,
        duration: int | None = None,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update with a voice message; the audio becomes a downloadable file.

        Args:
            chat_id: The private chat's id.
            ogg_bytes: The OGG/Opus recording.
            duration: The duration in seconds; read from the OGG stream when not given.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name.
            language_code: The sender's client language.

        Returns:
            The Update object.
        """
        with self._lock:
            stored = self._store_file(ogg_bytes, "voice", None, "audio/ogg")
        seconds = duration if duration is not None else ogg_duration(ogg_bytes) or 1
        voice = self._voice_object(stored, seconds)
        return self._update(
            "message", self._user_message(chat_id, user_id, first_name, language_code, {"voice": voice})
        )

    def callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update for a press on an inline keyboard button.

        Args:
            chat_id: The chat of the message with the keyboard.
            data: The button's callback_data.
            message_id: The bot message with the keyboard; the bot's latest message in the chat
                with an inline keyboard when not given.
            user_id: The presser's id; the chat id by default.
            first_name: The presser's first name.
            language_code: The presser's client language.

        Returns:
            The Update object (its ``callback_query.id`` can be answered once).
        """
        user = self.set_user(
            user_id if user_id is not None else chat_id, first_name=first_name, language_code=language_code
        )
        with self._lock:
            message: JSONDict | None = None
            if message_id is None:
                candidates = [
                    m
                    for (chat, _), m in self._messages.items()
                    if chat == chat_id and m["from"].get("id") == self.bot_user["id"] and "reply_markup" in m
                ]
                if candidates:
                    message = max(candidates, key=lambda m: int(m["message_id"]))
            else:
                message = self._messages.get((chat_id, message_id))
            if message is None:
                message = {
                    "message_id": message_id or self._next_message_id(chat_id),
                    "from": dict(self.bot_user),
                    "chat": self._chat(chat_id),
                    "date": int(time.time()),
                    "text": "…",
                }
            query: JSONDict = {
                "id": str(secrets.randbelow(9 * 10**18) + 10**18),
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": str(-(10**17 + abs(chat_id) * 1_000_003 % 10**17)),
                "data": data,
            }
            self._callback_queries[query["id"]] = query
        return self._update("callback_query", query)

    def sticker_update(
        self,
        chat_id: int,
        emoji: str = "👍",
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update with a sticker message.

        Args:
            chat_id: The private chat's id.
            emoji: The sticker's emoji.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name.
            language_code: The sender's client language.

        Returns:
            The Update object.
        """
        with self._lock:
            stored = self._store_file(_TINY_WEBP, "sticker", None, "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TestStickers",
            "file_size": len(stored.data),
        }
        return self._update(
            "message", self._user_message(chat_id, user_id, first_name, language_code, {"sticker": sticker})
        )

    def photo_update(
        self,
        chat_id: int,
        data: bytes = _TINY_JPEG,
        caption: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update with a photo (three sizes, as Telegram sends them).

        Args:
            chat_id: The private chat's id.
            data: The image bytes (a tiny JPEG by default).
            caption: An optional caption.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name.
            language_code: The sender's client language.

        Returns:
            The Update object.
        """
        sizes: list[JSONDict] = []
        with self._lock:
            for side in (90, 320, 800):
                stored = self._store_file(data, "photo", None, "image/jpeg")
                sizes.append(
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "file_size": len(data),
                        "width": side,
                        "height": side * 3 // 4,
                    }
                )
        body: JSONDict = {"photo": sizes}
        if caption:
            body["caption"] = caption
        return self._update("message", self._user_message(chat_id, user_id, first_name, language_code, body))

    def document_update(
        self,
        chat_id: int,
        data: bytes = b"%PDF-1.4\n%%EOF\n",
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update with a document; the file becomes downloadable.

        Args:
            chat_id: The private chat's id.
            data: The file's bytes.
            file_name: The file name.
            mime_type: The MIME type.
            caption: An optional caption.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name.
            language_code: The sender's client language.

        Returns:
            The Update object.
        """
        with self._lock:
            stored = self._store_file(data, "document", file_name, mime_type)
        body: JSONDict = {"document": self._document_object(stored)}
        if caption:
            body["caption"] = caption
        return self._update("message", self._user_message(chat_id, user_id, first_name, language_code, body))

    def location_update(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Builds an update with a shared location.

        Args:
            chat_id: The private chat's id.
            latitude: The latitude.
            longitude: The longitude.
            user_id: The sender's id; the chat id by default.
            first_name: The sender's first name.
            language_code: The sender's client language.

        Returns:
            The Update object.
        """
        body = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._update("message", self._user_message(chat_id, user_id, first_name, language_code, body))

    def edited_message_update(self, chat_id: int, text: str, message_id: int | None = None) -> JSONDict:
        """Builds an update for a user editing one of their text messages.

        Args:
            chat_id: The private chat's id.
            text: The new text.
            message_id: The edited message; the user's latest text message in the chat when not
                given.

        Returns:
            The Update object (``edited_message`` with ``edit_date``).

        Raises:
            KeyError: When there is no such user message.
        """
        with self._lock:
            if message_id is None:
                candidates = [
                    m
                    for (chat, _), m in self._messages.items()
                    if chat == chat_id and not m["from"].get("is_bot") and "text" in m
                ]
                if not candidates:
                    raise KeyError(f"no user text message in chat {chat_id}")
                message = max(candidates, key=lambda m: int(m["message_id"]))
            else:
                message = self._messages[(chat_id, message_id)]
            message["text"] = text
            message.pop("entities", None)
            entities = detect_entities(text)
            if entities:
                message["entities"] = entities
            message["edit_date"] = int(time.time())
            edited = copy.deepcopy(message)
        return self._update("edited_message", edited)

    def my_chat_member_update(self, chat_id: int, old_status: str, new_status: str) -> JSONDict:
        """Builds a ``my_chat_member`` update: the bot's status in a chat changed.

        Args:
            chat_id: The chat (the user's private chat).
            old_status: ``member``, ``kicked``, ``left``, ...
            new_status: The new status.

        Returns:
            The Update object.
        """
        user = self.set_user(chat_id)

        def member(status: str) -> JSONDict:
            state: JSONDict = {"user": dict(self.bot_user), "status": status}
            if status == "kicked":
                state["until_date"] = 0
            return state

        with self._lock:
            payload = {
                "chat": self._chat(chat_id),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": member(old_status),
                "new_chat_member": member(new_status),
            }
        return self._update("my_chat_member", payload)

    def blocked_update(self, chat_id: int, *, block: bool = True) -> JSONDict:
        """Builds the update Telegram sends when a user blocks the bot (status ``kicked``).

        Args:
            chat_id: The user's private chat.
            block: Also make sends to the chat answer 403, as after a real block.

        Returns:
            The Update object.
        """
        if block:
            self.block(chat_id)
        return self.my_chat_member_update(chat_id, "member", "kicked")

    def unblocked_update(self, chat_id: int, *, unblock: bool = True) -> JSONDict:
        """Builds the update Telegram sends when a user unblocks the bot (status ``member``).

        Args:
            chat_id: The user's private chat.
            unblock: Also let sends to the chat through again.

        Returns:
            The Update object.
        """
        if unblock:
            self.unblock(chat_id)
        return self.my_chat_member_update(chat_id, "kicked", "member")

    # ---------------------------------------------------------------- failures (test controls)

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Makes the next calls of a method answer 429 Too Many Requests.

        Args:
            method: The method name (case-insensitive), e.g. ``sendMessage``.
            times: How many calls fail.
            retry_after: The ``parameters.retry_after`` seconds in the answer.
        """
        with self._lock:
            self._floods[method.lower()] = _Flood(times, retry_after)

    def block(self, chat_id: int) -> None:
        """Makes calls for a chat answer 403 "Forbidden: bot was blocked by the user".

        Args:
            chat_id: The user's private chat.
        """
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undoes `block`.

        Args:
            chat_id: The user's private chat.
        """
        with self._lock:
            self._blocked.discard(chat_id)

    # ---------------------------------------------------------------- inspection

    def calls(self) -> list[ApiCall]:
        """Every request so far, getUpdates included, in arrival order.

        Returns:
            The recorded calls.
        """
        with self._lock:
            return list(self._calls)

    def sent(self, method: str | None = None) -> list[ApiCall]:
        """The bot's calls in arrival order, failed ones included (see `ApiCall.status`).

        Args:
            method: Only calls of this method (case-insensitive). Without it, every call except
                getUpdates polling.

        Returns:
            The recorded calls.
        """
        with self._lock:
            if method is None:
                return [call for call in self._calls if call.method != "getUpdates"]
            return [call for call in self._calls if call.method.lower() == method.lower()]

    def mark(self) -> int:
        """The index the next call will get: pass it as ``since`` to look only at later calls.

        Returns:
            The number of calls so far.
        """
        with self._lock:
            return len(self._calls)

    def messages_to(self, chat_id: int | str, since: int = 0) -> list[ApiCall]:
        """The successful sendMessage and sendVoice calls to a chat, in order.

        Args:
            chat_id: The chat.
            since: Only calls with this index or later (see `mark`).

        Returns:
            The calls; ``call.result`` is the Message Telegram returned.
        """
        with self._lock:
            return [
                call
                for call in self._calls[since:]
                if call.ok and call.method in _SEND_METHODS and call.chat_id == chat_id
            ]

    def texts_to(self, chat_id: int | str, since: int = 0) -> list[str]:
        """The texts (after entity parsing) of the messages sent to a chat, in order.

        Args:
            chat_id: The chat.
            since: Only calls with this index or later (see `mark`).

        Returns:
            The message texts.
        """
        return [
            str(call.result["text"]) for call in self.messages_to(chat_id, since) if "text" in call.result
        ]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """A message as it stands now (after edits), sent by the bot or by a user.

        Args:
            chat_id: The chat.
            message_id: The message's id.

        Returns:
            A copy of the Message, or None.
        """
        with self._lock:
            stored = self._messages.get((chat_id, message_id))
            return copy.deepcopy(stored) if stored is not None else None

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The bot's commands for a scope and language, as set with setMyCommands.

        Args:
            scope: A BotCommandScope; the default scope when not given.
            language_code: A two-letter language code, or empty for all languages.

        Returns:
            The BotCommand objects.
        """
        key = self._commands_key({"scope": scope, "language_code": language_code})
        with self._lock:
            return copy.deepcopy(self._commands.get(key, []))

    def wait_for(
        self,
        predicate: Callable[[ApiCall], bool] | str,
        timeout: float = 5.0,
        since: int = 0,
    ) -> ApiCall:
        """Blocks until a recorded call matches, and returns the first match.

        Calls recorded before this method was called count too; pass ``since=api.mark()``
        (taken before the action) to look only at later ones.

        Args:
            predicate: A test on each call, or a method name (case-insensitive).
            timeout: Seconds to wait.
            since: Only calls with this index or later.

        Returns:
            The first matching call.

        Raises:
            TimeoutError: When no call matched in time; the message lists the calls seen.
        """
        matches: Callable[[ApiCall], bool]
        if isinstance(predicate, str):
            name = predicate.lower()
            matches = lambda call: call.method.lower() == name  # noqa: E731
        else:
            matches = predicate
        deadline = time.monotonic() + timeout
        with self._changed:
            checked = since
            while True:
                for call in self._calls[checked:]:
                    if matches(call):
                        return call
                checked = max(checked, len(self._calls))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(
                        f"{call.method}({call.status})"
                        for call in self._calls[since:]
                        if call.method != "getUpdates"
                    )
                    raise TimeoutError(f"no matching Bot API call within {timeout} s; calls seen: [{seen}]")
                self._changed.wait(remaining)

    async def async_wait_for(
        self,
        predicate: Callable[[ApiCall], bool] | str,
        timeout: float = 5.0,
        since: int = 0,
    ) -> ApiCall:
        """`wait_for` for asyncio tests: waits in a worker thread, not on the event loop.

        Args:
            predicate: A test on each call, or a method name (case-insensitive).
            timeout: Seconds to wait.
            since: Only calls with this index or later.

        Returns:
            The first matching call.
        """
        return await asyncio.to_thread(self.wait_for, predicate, timeout, since)
