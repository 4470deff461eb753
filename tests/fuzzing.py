"""Malformed requests for the assistant's HTTP entry points, from a seeded generator, and a judge.

Three targets:

- ``rest``: the REST channel, ``POST /webhooks/rest/webhook`` with
  ``{"sender": ..., "message": ...}`` (Rasa server);
- ``portal``: the portal API under ``/api/v1`` with its bearer token;
- ``telegram``: the Telegram connector's webhook (webhook mode), with its
  ``X-Telegram-Bot-Api-Secret-Token``.

Every case belongs to a category (:data:`CATEGORIES`): bad JSON, truncated
JSON, wrong content types, huge bodies (1-10 MB), wrong types, invalid UTF-8,
deep nesting, injection strings, wrong methods and paths, broken HTTP sent
over a raw socket, and (portal, Telegram) missing or wrong credentials. The
same seed gives the same cases. Each case says what is acceptable
(:class:`Expect`); :func:`problem_with` judges an answer: never a 5xx, never
a dropped connection, a 4xx where the request is malformed, a kind reply where
it is odd but readable.

No portal case can create anything: every POST body is invalid somewhere
(an unknown service or slot at least), and ``/_faults`` is never posted to.

Use::

    fuzzer = Fuzzer(seed=7)
    cases = fuzzer.rest_cases(800) + fuzzer.portal_cases(800, token) + fuzzer.telegram_cases(600, secret)
    outcomes = asyncio.run(send_all(cases, {"rest": rasa_url, "portal": portal_root, "telegram": hook_root}))
    problems = [p for o in outcomes if (p := problem_with(o))]

Valid traffic to run alongside (:func:`keep_going` with :func:`rest_citizen`,
:func:`telegram_user`, :func:`portal_reader`) records its latencies and any
wrong answer in a :class:`ValidTraffic`.
"""

from __future__ import annotations

import asyncio
import enum
import json
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from tests.telegram_server import FakeBotApi

REST_PATH = "/webhooks/rest/webhook"
PORTAL_BASE = "/api/v1"
TELEGRAM_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

CATEGORIES = ("bad_json", "truncated_json", "content_type", "huge_body", "wrong_types", "invalid_utf8",
              "deep_nesting", "injection", "wrong_method", "raw_http", "credentials")
#: How often each category comes up, relative to the others (huge bodies are few: they are slow).
WEIGHTS = {"bad_json": 3, "truncated_json": 2, "content_type": 2, "huge_body": 0.4, "wrong_types": 5,
           "invalid_utf8": 2, "deep_nesting": 1, "injection": 5, "wrong_method": 1.5, "raw_http": 0.6,
           "credentials": 1.5}
MB = 1024 * 1024

INJECTIONS: tuple[str, ...] = (
    # SQL
    "' OR '1'='1' --", "'; DROP TABLE applications; --", "1; SELECT * FROM idempotency_records", '" OR ""="',
    "admin'/*", "1 UNION SELECT sqlite_version()--",
    # HTML and script
    "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "</textarea><svg onload=alert(1)>",
    "javascript:alert(document.cookie)", "&lt;b&gt;&amp;&#x27;", "<!--#exec cmd=\"ls\"-->",
    # templates and format strings
    "{{7*7}}", "${7*7}", "#{7*7}", "{% for x in range(9) %}{{x}}{% endfor %}", "{0.__class__.__mro__}",
    "%s%s%s%s%n%x", "{sender}", "{text}{name}", "$(id)", "`id`", "; cat /etc/passwd",
    # paths
    "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/passwd\x00.png", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
    # null bytes and control characters
    "abc\x00def", "\x00", "\x1b[31mred\x1b[0m\x1b]0;title\x07", "line\r\nX-Injected: 1\r\n\r\n",
    "\x07\x08\x0b\x0c", "\x7f\x80\x85\x9f", "tab\there\vthere",
    # bidirectional overrides, invisible and odd characters
    "\u202egnp.exe", "\u202d\u202e\u2066\u2067\u2068\u2069我的身份证", "\u200b\u200c\u200d\ufeff",
    "\u2028\u2029",
    "\uffff\ufffe\U0010ffff", "e\u0301\u0301\u0301\u0301\u0301", "ｈｅｌｌｏ　ｗｏｒｌｄ", "İstanbul ß ﬁ",
    # emoji
    "👵🏻🙏🏼", "👨‍👩‍👧‍👦", "🏳️‍🌈" * 50, "\U0001F600" * 1000,
    # halves of surrogate pairs (JSON "\ud800" escapes)
    "\ud800", "\udfff abc", "身份证\udbff",
    # long
    "A" * 5000, "身" * 15_000, "x " * 9000,
    # the assistant's own syntax
    "/restart", "/greet", '/ask_service{"service": "../../etc"}', '/ask_service{"service": {"$ne": null}}',
    "/session_start", "/action_restart", "/nlu_fallback{", "/" * 100, '/ask_service{"service": "id_card"}x',
    # lookalike values
    "NaN", "1e309", "-0", "null", "true", '{"sender": "x", "message": "y"}', "[]",
    # mixed with real questions
    "我的身份证丢了怎么办<script>alert(1)</script>", "办理护照' OR 1=1 --",
    "how do I renew my passport {{7*7}}",
)


#: Rasa's own commands: the conversation starts again, and nothing is said.
SILENT_COMMANDS = frozenset({"/restart", "/session_start"})


class Expect(enum.Enum):
    """What answer a case may get (never a 5xx, never a dropped connection)."""

    #: A 4xx: the request is malformed.
    REFUSAL = "refusal"
    #: A 4xx, or a 2xx with a kind reply (REST: a non-empty list of replies).
    REFUSAL_OR_REPLY = "refusal_or_reply"
    #: Any answer below 500 (wrong methods and paths, broken HTTP).
    ANY_BELOW_500 = "any_below_500"


@dataclass(frozen=True)
class FuzzCase:
    """One request to send.

    ``raw`` is a whole HTTP request sent as is over a socket (for bytes HTTP
    clients refuse to send); otherwise method, path, headers and body are
    sent with aiohttp, with no headers but the given ones (and Host,
    Content-Length).
    """

    target: str
    category: str
    method: str
    path: str
    expect: Expect
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    raw: bytes | None = None
    note: str = ""
    #: Rasa's own commands (``/restart``) are answered with no message at all.
    may_be_silent: bool = False

    def __repr__(self) -> str:
        size = len(self.raw if self.raw is not None else self.body or b"")
        return (f"<{self.target}/{self.category} {self.method} {self.path[:80]!r} {size} B: "
                f"{self.note[:60]!r}>")


@dataclass
class Outcome:
    """What a case got: a status, or an error when no answer came; and how long it took."""

    case: FuzzCase
    status: int | None
    body: bytes = b""
    content_type: str = ""
    error: str | None = None
    seconds: float = 0.0

    @property
    def status_class(self) -> str:
        """``2xx``, ``4xx``, ``5xx``…, or ``no answer``."""
        return f"{self.status // 100}xx" if self.status is not None else "no answer"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode("utf-8")


def _json_utf8(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _nested_text(depth: int, kind: str = "list") -> bytes:
    """Deeply nested JSON built as text (``json.dumps`` itself would hit the recursion limit)."""
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return (opening * depth + '"deep"' + closing * depth).encode()


def _has_chinese_and_english(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and bool(re.search(r"[A-Za-z]{3,}", text))


BAD_JSON: tuple[bytes, ...] = (
    b"{", b"}", b"{'sender': 'a', 'message': 'b'}", b'{"sender": "a", "message": }', b"not json at all",
    b"\x00\x01\x02", b"[1, 2", b'{"sender": "a", "message": "b"} trailing', b'{"sender": "a",}',
    b'{"sender": "a" "message": "b"}', b'{"message": NaN, "sender": "a"}', b'{"message": Infinity}',
    b'{"sender": "a", "message": "b\\x41"}', b'{"sender": "a", "message": "\\u12"}', b"<xml>hi</xml>",
    b'{"sender": undefined}', b"sender=a&message=b", b"   ", b"\n\n\n", b'"just a string"', b"--",
    b'{"a":1,"a":2,,}', b"\xef\xbb\xbf{\"sender\": \"a\", \"message\":", b'{"sender": "a", "message": "\t"}x',
)
CONTENT_TYPES: tuple[str | None, ...] = (
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
    "application/xml", "application/json; charset=latin-1", "application/json; charset=utf-16",
    "application/octet-stream", "image/png", "*/*", "application/json;;;", "garbage", "",
    "application/jsonx", "text/json; charset=utf-8", "application/json; charset=\x7f",
    "APPLICATION/JSON; Charset=UTF-8",
)
#: The content types above that still say "JSON in UTF-8": a server may read the body.
JSON_CONTENT_TYPES = frozenset({"application/json;;;", "APPLICATION/JSON; Charset=UTF-8"})
INVALID_UTF8: tuple[bytes, ...] = (
    b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xe4\xbd", b"\xf8\x88\x80\x80\x80",
    b"\x80\x80", b"abc\xc3", b"\xf4\x90\x80\x80", b"\xc3\x28", b"\xa0\xa1",
)
WRONG_VALUES: tuple[Any, ...] = (
    None, 0, -1, 1.5, 10**30, True, False, [], ["a"], {}, {"text": "hi"}, [[[]]], "", 1e308,
)


class Fuzzer:
    """A seeded generator of malformed requests for the three targets."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)

    # -- shared ------------------------------------------------------------------------

    def _categories(self, count: int, allowed: Sequence[str]) -> list[str]:
        weights = [WEIGHTS[name] for name in allowed]
        chosen = self.rng.choices(list(allowed), weights=weights, k=count)
        # every category at least once
        for index, name in enumerate(allowed):
            if index < count:
                chosen[index] = name
        self.rng.shuffle(chosen)
        return chosen

    def _huge_size(self) -> int:
        return self.rng.choice((1 * MB, 1 * MB, 2 * MB, 3 * MB, 5 * MB, 10 * MB))

    def _truncate(self, body: bytes) -> bytes:
        return body[: self.rng.randrange(1, max(2, len(body) - 1))]

    def _injection(self) -> str:
        return self.rng.choice(INJECTIONS)

    def _raw(self, method: str, path: str, headers: Sequence[tuple[str, str]],
             body: bytes) -> tuple[str, bytes]:
        """A broken HTTP request around a target's path: its kind and its bytes."""
        start = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
        end = b"Connection: close\r\n\r\n"
        kinds: dict[str, bytes] = {
            "not_http": b"GARBAGE\r\n\r\n",
            "negative_length": start + b"Content-Length: -5\r\n" + head + end,
            "bad_chunk": start + b"Transfer-Encoding: chunked\r\n" + head + end
            + b"ZZZ\r\nhello\r\n0\r\n\r\n",
            "bytes_in_path": f"{method} {path}".encode() + b"/\xff\xfe\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + end,
            "bytes_in_header": start + b"X-Bad: \xff\x00\x01\r\n" + head
            + f"Content-Length: {len(body)}\r\n".encode() + end + body,
            "two_lengths": start + b"Content-Length: 5\r\nContent-Length: 7\r\n" + head + end + body[:7],
            "no_colon": start + b"This line has no colon\r\n" + head + end,
            "huge_header": start + b"X-Huge: " + b"h" * 70_000 + b"\r\n" + head + end,
            "huge_query": f"{method} {path}?q={'x' * 20_000} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + head + end,
            "two_encodings": start + b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n" + head + end
            + b"0\r\n\r\n",
        }
        kind = self.rng.choice(sorted(kinds))
        return kind, kinds[kind]

    # -- the REST channel --------------------------------------------------------------

    def _rest_sender(self) -> str:
        return f"fuzz-{self.rng.randrange(40)}"

    def rest_cases(self, count: int) -> list[FuzzCase]:
        """``count`` malformed or odd requests for the REST channel."""
        allowed = [c for c in CATEGORIES if c != "credentials"]
        builders: dict[str, Callable[[], FuzzCase]] = {
            "bad_json": self._rest_bad_json, "truncated_json": self._rest_truncated,
            "content_type": self._rest_content_type, "huge_body": self._rest_huge,
            "wrong_types": self._rest_wrong_types, "invalid_utf8": self._rest_invalid_utf8,
            "deep_nesting": self._rest_deep, "injection": self._rest_injection,
            "wrong_method": self._rest_wrong_method, "raw_http": self._rest_raw,
        }
        return [builders[name]() for name in self._categories(count, allowed)]

    def _rest(self, category: str, body: bytes | None, expect: Expect, note: str = "",
              content_type: str | None = "application/json", method: str = "POST",
              path: str = REST_PATH) -> FuzzCase:
        headers = (("Content-Type", content_type),) if content_type is not None else ()
        return FuzzCase("rest", category, method, path, expect, headers, body, note=note)

    def _rest_bad_json(self) -> FuzzCase:
        body = self.rng.choice(BAD_JSON)
        return self._rest("bad_json", body, Expect.REFUSAL, body.decode("latin-1"))

    def _rest_truncated(self) -> FuzzCase:
        valid = _json({"sender": self._rest_sender(), "message": "我的身份证丢了怎么办",
                       "metadata": {"channel": "rest"}})
        return self._rest("truncated_json", self._truncate(valid), Expect.REFUSAL, "cut short")

    def _rest_content_type(self) -> FuzzCase:
        content_type = self.rng.choice(CONTENT_TYPES)
        if self.rng.random() < 0.3:
            body = f"sender={self._rest_sender()}&message=hello".encode()
            return self._rest("content_type", body, Expect.REFUSAL, f"form body, {content_type}",
                              content_type)
        # Rasa's REST channel reads any content type (curl -d sends a form type): a reply is fine.
        body = _json({"sender": self._rest_sender(), "message": "你好"})
        return self._rest("content_type", body, Expect.REFUSAL_OR_REPLY, f"JSON as {content_type!r}",
                          content_type)

    def _rest_huge(self) -> FuzzCase:
        size = self._huge_size()
        shape = self.rng.randrange(4)
        if shape == 0:
            body = _json({"sender": self._rest_sender(), "message": "身" * (size // 6)})
        elif shape == 1:
            body = b" " * size + _json({"sender": self._rest_sender(), "message": "hi"})
        elif shape == 2:
            body = _json({"sender": self._rest_sender(), "message": "hi",
                          "metadata": {f"k{i}": i for i in range(size // 12)}})
        else:
            body = _json({"sender": "s" * size, "message": "hi"})
        return self._rest("huge_body", body, Expect.REFUSAL, f"{len(body) // MB} MB, shape {shape}")

    def _rest_wrong_types(self) -> FuzzCase:
        sender, wrong = self._rest_sender(), self.rng.choice(WRONG_VALUES)
        where = self.rng.randrange(8)
        value: Any
        if where == 0:
            value = {"sender": sender, "message": wrong}
        elif where == 1:
            value = {"sender": wrong, "message": "你好"}
        elif where == 2:
            value = {"sender": sender}
        elif where == 3:
            value = {"message": "你好"}
        elif where == 4:
            value = self.rng.choice([[], [{"sender": sender, "message": "hi"}], "text", 42, None, True])
        elif where == 5:
            value = {"sender": sender, "message": "hi", "metadata": self.rng.choice(["x", 1, [1], True])}
        elif where == 6:
            value = {"sender": sender, "message": "hi",
                     "input_channel": self.rng.choice([{}, 1, [], "a b/c"])}
        else:
            value = {"sender": self.rng.choice(["", "   ", "a\x00b", "x" * 500, "\ud800", "line\nbreak"]),
                     "message": "hi"}
        # An empty message is a message: it gets a kind reply.
        expect = Expect.REFUSAL_OR_REPLY if where == 0 and wrong == "" else Expect.REFUSAL
        return self._rest("wrong_types", _json(value), expect, repr(value)[:80])

    def _rest_invalid_utf8(self) -> FuzzCase:
        bad = self.rng.choice(INVALID_UTF8)
        shape = self.rng.randrange(4)
        sender = self._rest_sender()
        if shape == 0:
            body = b'{"sender": "' + sender.encode() + b'", "message": "hi ' + bad + b'"}'
        elif shape == 1:
            body = b'{"sender": "' + bad + b'", "message": "hi"}'
        elif shape == 2:
            body = json.dumps({"sender": sender, "message": "你好"}).encode("utf-16")
        else:
            body = json.dumps({"sender": sender, "message": "café"}, ensure_ascii=False).encode("latin-1")
        return self._rest("invalid_utf8", body, Expect.REFUSAL, f"shape {shape}: {bad!r}")

    def _rest_deep(self) -> FuzzCase:
        depth = self.rng.choice((50, 500, 990, 5000, 20_000))
        kind = self.rng.choice(("list", "dict"))
        where = self.rng.randrange(3)
        nested = _nested_text(depth, kind)
        sender = self._rest_sender().encode()
        if where == 0:
            body = b'{"sender": "' + sender + b'", "message": ' + nested + b"}"
            expect = Expect.REFUSAL
        elif where == 1:
            body = b'{"sender": "' + sender + b'", "message": "hi", "metadata": {"deep": ' + nested + b"}}"
            expect = Expect.REFUSAL_OR_REPLY
        else:
            body = nested
            expect = Expect.REFUSAL
        return self._rest("deep_nesting", body, expect, f"{kind} depth {depth} at {where}")

    def _rest_injection(self) -> FuzzCase:
        text = self._injection()
        if self.rng.random() < 0.25:
            body = _json({"sender": text[:128] or "x", "message": "你好"})
            printable = text[:128].strip() and not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]",
                                                              text[:128])
            expect = Expect.REFUSAL_OR_REPLY if printable else Expect.REFUSAL
            return self._rest("injection", body, expect, f"sender {text[:60]!r}")
        encode = _json if self.rng.random() < 0.5 else _json_utf8
        case = self._rest("injection", encode({"sender": self._rest_sender(), "message": text}),
                          Expect.REFUSAL_OR_REPLY, f"message {text[:60]!r}")
        return replace(case, may_be_silent=text in SILENT_COMMANDS)

    def _rest_wrong_method(self) -> FuzzCase:
        method = self.rng.choice(("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"))
        path = self.rng.choice((REST_PATH, REST_PATH, "/webhooks/rest/", "/webhooks/rest/webhook/../../model",
                                "/webhooks/%ff/webhook", "/webhooks/rest/webhook?stream=maybe",
                                "/webhooks/" + "a" * 3000 + "/webhook", "/webhooks/rest/webhook%00"))
        if method == "GET" and self.rng.random() < 0.3:
            method, path = "POST", self.rng.choice(("/webhooks/rest/", "/webhooks/nosuch/webhook",
                                                    "/webhooks/rest/webhook/extra"))
        body = None if method in ("GET", "HEAD") else _json({"sender": self._rest_sender(), "message": "hi"})
        return self._rest("wrong_method", body, Expect.ANY_BELOW_500, f"{method} {path[:40]}", method=method,
                          path=path)

    def _rest_raw(self) -> FuzzCase:
        body = _json({"sender": self._rest_sender(), "message": "你好"})
        kind, raw = self._raw("POST", REST_PATH, [("Content-Type", "application/json")], body)
        return FuzzCase("rest", "raw_http", "POST", REST_PATH, Expect.ANY_BELOW_500, raw=raw, note=kind)

    # -- the portal API ----------------------------------------------------------------

    def portal_cases(self, count: int, token: str) -> list[FuzzCase]:
        """``count`` malformed requests for the portal API (with ``token`` unless testing credentials)."""
        self._token = token
        builders: dict[str, Callable[[], FuzzCase]] = {
            "bad_json": self._portal_bad_json, "truncated_json": self._portal_truncated,
            "content_type": self._portal_content_type, "huge_body": self._portal_huge,
            "wrong_types": self._portal_wrong_types, "invalid_utf8": self._portal_invalid_utf8,
            "deep_nesting": self._portal_deep, "injection": self._portal_injection,
            "wrong_method": self._portal_wrong_method, "raw_http": self._portal_raw,
            "credentials": self._portal_credentials,
        }
        return [builders[name]() for name in self._categories(count, CATEGORIES)]

    def _key(self) -> str:
        return f"fuzz-{uuid.UUID(int=self.rng.getrandbits(128)).hex}"

    def _application(self) -> dict[str, Any]:
        """An application that is valid but for its service, which does not exist."""
        return {"service_id": "no_such_service", "kind": "replacement",
                "applicant": {"name": "王秀英", "id_number": "11010519491231002X", "phone": "13800138000"},
                "fields": {"reason": "lost", "collection_office_id": "xihu"},
                "proxy": {"name": "李明", "phone": "13900139000", "relationship": "女儿", "consent": True},
                "channel": "rest"}

    def _appointment(self) -> dict[str, Any]:
        """An appointment that is valid but for its slot, which does not exist."""
        return {"slot_id": 2_000_000_000, "service_id": "id_card", "name": "王秀英", "phone": "13800138000"}

    def _portal_post(self) -> tuple[str, dict[str, Any]]:
        if self.rng.random() < 0.6:
            return f"{PORTAL_BASE}/applications", self._application()
        if self.rng.random() < 0.8:
            return f"{PORTAL_BASE}/appointments", self._appointment()
        return f"{PORTAL_BASE}/applications/{self.rng.choice(['0', 'abc', '1' * 13])}/status", \
            {"status": "no_such_status", "note": "x"}

    def _portal(self, category: str, path: str, body: bytes | None, expect: Expect, note: str = "",
                content_type: str | None = "application/json", method: str = "POST",
                auth: str | None = None, key: str | None = "") -> FuzzCase:
        headers: list[tuple[str, str]] = []
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        headers.append(("Authorization", auth if auth is not None else f"Bearer {self._token}"))
        if method == "POST" and key is not None:
            headers.append(("Idempotency-Key", key or self._key()))
        return FuzzCase("portal", category, method, path, expect, tuple(headers), body, note=note)

    def _portal_bad_json(self) -> FuzzCase:
        path, _ = self._portal_post()
        body = self.rng.choice(BAD_JSON)
        return self._portal("bad_json", path, body, Expect.REFUSAL, body.decode("latin-1"))

    def _portal_truncated(self) -> FuzzCase:
        path, value = self._portal_post()
        return self._portal("truncated_json", path, self._truncate(_json(value)), Expect.REFUSAL, "cut short")

    def _portal_content_type(self) -> FuzzCase:
        path, value = self._portal_post()
        content_type = self.rng.choice([c for c in CONTENT_TYPES if c != "text/json; charset=utf-8"])
        return self._portal("content_type", path, _json(value), Expect.REFUSAL, f"as {content_type!r}",
                            content_type)

    def _portal_huge(self) -> FuzzCase:
        path, value = self._portal_post()
        size = self._huge_size()
        value["applicant" if "applicant" in value else "name"] = "王" * (size // 6)
        body = _json(value)
        return self._portal("huge_body", path, body, Expect.REFUSAL, f"{len(body) // MB} MB")

    def _portal_wrong_types(self) -> FuzzCase:
        path, value = self._portal_post()
        wrong = self.rng.choice(WRONG_VALUES)
        keys = list(value)
        if "applicant" in value and self.rng.random() < 0.4:
            inner = self.rng.choice(list(value["applicant"]))
            value["applicant"][inner] = wrong
            note = f"applicant.{inner} = {wrong!r}"
        elif self.rng.random() < 0.2:
            odd: Any = self.rng.choice([[], [value], "text", 42, None, True])
            note = f"body {odd!r}"[:80]
            return self._portal("wrong_types", path, _json(odd), Expect.REFUSAL, note)
        elif self.rng.random() < 0.2:
            drop = self.rng.choice(keys)
            del value[drop]
            note = f"without {drop}"
        else:
            name = self.rng.choice(keys)
            value[name] = wrong
            note = f"{name} = {wrong!r}"
        return self._portal("wrong_types", path, _json(value), Expect.REFUSAL, note[:80])

    def _portal_invalid_utf8(self) -> FuzzCase:
        path, value = self._portal_post()
        bad = self.rng.choice(INVALID_UTF8)
        text = _json(value)
        position = text.index(b'"', 2) + 1
        body = text[:position] + bad + text[position:]
        return self._portal("invalid_utf8", path, body, Expect.REFUSAL, repr(bad))

    def _portal_deep(self) -> FuzzCase:
        path, value = self._portal_post()
        depth = self.rng.choice((50, 500, 990, 5000, 20_000))
        kind = self.rng.choice(("list", "dict"))
        text = _json(value)
        body = text[:-1] + b', "deep": ' + _nested_text(depth, kind) + b"}"
        return self._portal("deep_nesting", path, body, Expect.REFUSAL, f"{kind} depth {depth}")

    def _portal_injection(self) -> FuzzCase:
        text = self._injection()[:2000]
        encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
        if self.rng.random() < 0.5:
            path, value = self._portal_post()
            if "applicant" in value:
                where = self.rng.choice(["applicant.name", "proxy.relationship", "kind", "channel",
                                         "fields.reason", "service_id", "applicant.phone"])
            else:
                where = self.rng.choice(["name", "service_id", "phone", "id_number"])
            target: dict[str, Any] = value
            *parents, leaf = where.split(".")
            for parent in parents:
                target = target[parent]
            target[leaf] = text
            encode = _json if self.rng.random() < 0.5 else _json_utf8
            return self._portal("injection", path, encode(value), Expect.REFUSAL, f"{where} = {text[:50]!r}")
        path = self.rng.choice([
            f"{PORTAL_BASE}/services/{encoded}", f"{PORTAL_BASE}/services/{encoded}?lang=en",
            f"{PORTAL_BASE}/services?lang={encoded}", f"{PORTAL_BASE}/offices?service_id={encoded}",
            f"{PORTAL_BASE}/offices?lang={encoded}",
            f"{PORTAL_BASE}/applications/{encoded}?phone=13800138000",
            f"{PORTAL_BASE}/applications/123456789012?phone={encoded}",
            f"{PORTAL_BASE}/appointments/slots?office_id={encoded}&service_id=id_card",
            f"{PORTAL_BASE}/appointments/slots?office_id=xihu&service_id={encoded}",
            f"{PORTAL_BASE}/appointments/slots?office_id=xihu&service_id=id_card&date={encoded}",
            f"{PORTAL_BASE}/{encoded}", f"{PORTAL_BASE}/services/id_card?lang=en&lang={encoded}",
        ])
        return self._portal("injection", path, None, Expect.ANY_BELOW_500, f"GET {text[:50]!r}",
                            content_type=None, method="GET")

    def _portal_wrong_method(self) -> FuzzCase:
        method = self.rng.choice(("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "GET", "PROPFIND"))
        path = self.rng.choice([f"{PORTAL_BASE}/applications", f"{PORTAL_BASE}/services",
                                f"{PORTAL_BASE}/appointments", f"{PORTAL_BASE}/health",
                                f"{PORTAL_BASE}/_faults", f"{PORTAL_BASE}/../../etc/passwd",
                                f"{PORTAL_BASE}/services/%ff%fe", f"{PORTAL_BASE}/applications/%00?phone=%00",
                                "/" + "a" * 5000, f"{PORTAL_BASE}//services", f"{PORTAL_BASE}/services/"])
        body = _json(self._appointment()) if method in ("PUT", "PATCH") else None
        return self._portal("wrong_method", path, body, Expect.ANY_BELOW_500, f"{method} {path[:40]}",
                            method=method)

    def _portal_raw(self) -> FuzzCase:
        path, value = self._portal_post()
        headers = [("Content-Type", "application/json"), ("Authorization", f"Bearer {self._token}"),
                   ("Idempotency-Key", self._key())]
        kind, raw = self._raw("POST", path, headers, _json(value))
        return FuzzCase("portal", "raw_http", "POST", path, Expect.ANY_BELOW_500, raw=raw, note=kind)

    def _portal_credentials(self) -> FuzzCase:
        auth = self.rng.choice(["", "Bearer", "Bearer ", "Bearer wrong-token", f"Basic {self._token}",
                                f"bearer {self._token}x", "Bearer " + "t" * 6000,
                                f"Bearer {self._token[:-1]}",
                                "Bearer ' OR 1=1 --", "Bearer \u202etoken", f"Bearer\t{self._token}\x00"])
        if self.rng.random() < 0.5:
            path, value = self._portal_post()
            return self._portal("credentials", path, _json(value), Expect.REFUSAL, f"auth {auth[:30]!r}",
                                auth=auth)
        return self._portal("credentials", f"{PORTAL_BASE}/services", None, Expect.ANY_BELOW_500,
                            f"GET, auth {auth[:30]!r}", content_type=None, method="GET", auth=auth)

    # -- the Telegram webhook ----------------------------------------------------------

    def telegram_cases(self, count: int, secret: str, path: str = TELEGRAM_PATH) -> list[FuzzCase]:
        """``count`` malformed or odd calls of the Telegram webhook at ``path``."""
        self._secret, self._hook = secret, path
        builders: dict[str, Callable[[], FuzzCase]] = {
            "bad_json": self._tg_bad_json, "truncated_json": self._tg_truncated,
            "content_type": self._tg_content_type, "huge_body": self._tg_huge,
            "wrong_types": self._tg_wrong_types, "invalid_utf8": self._tg_invalid_utf8,
            "deep_nesting": self._tg_deep, "injection": self._tg_injection,
            "wrong_method": self._tg_wrong_method, "raw_http": self._tg_raw,
            "credentials": self._tg_credentials,
        }
        return [builders[name]() for name in self._categories(count, CATEGORIES)]

    def _update(self, text: str | None = "你好") -> dict[str, Any]:
        """A Telegram Update with a text message, as Telegram sends it."""
        chat = 900_000_000 + self.rng.randrange(20)
        number = self.rng.randrange(1, 2**31)
        message: dict[str, Any] = {
            "message_id": number,
            "from": {"id": chat, "is_bot": False, "first_name": "Fuzz", "language_code": "zh-hans"},
            "chat": {"id": chat, "type": "private", "first_name": "Fuzz"}, "date": int(time.time())}
        if text is not None:
            message["text"] = text
        return {"update_id": number, "message": message}

    def _tg(self, category: str, body: bytes | None, expect: Expect, note: str = "",
            content_type: str | None = "application/json", method: str = "POST", path: str | None = None,
            secret: str | None = None, without_secret: bool = False) -> FuzzCase:
        headers: list[tuple[str, str]] = []
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        if not without_secret:
            headers.append((SECRET_HEADER, self._secret if secret is None else secret))
        return FuzzCase("telegram", category, method, path or self._hook, expect, tuple(headers), body,
                        note=note)

    def _tg_bad_json(self) -> FuzzCase:
        body = self.rng.choice(BAD_JSON)
        return self._tg("bad_json", body, Expect.REFUSAL, body.decode("latin-1"))

    def _tg_truncated(self) -> FuzzCase:
        return self._tg("truncated_json", self._truncate(_json(self._update())), Expect.REFUSAL, "cut short")

    def _tg_content_type(self) -> FuzzCase:
        content_type = self.rng.choice(CONTENT_TYPES)
        expect = Expect.REFUSAL_OR_REPLY if content_type in JSON_CONTENT_TYPES else Expect.REFUSAL
        return self._tg("content_type", _json(self._update()), expect, f"as {content_type!r}", content_type)

    def _tg_huge(self) -> FuzzCase:
        size = self._huge_size()
        if self.rng.random() < 0.5:
            body = _json(self._update("身" * (size // 6)))
        else:
            update = self._update()
            update["message"]["photo"] = [{"file_id": "x" * 1000, "file_unique_id": "y", "width": 1,
                                           "height": 1}] * (size // 1050)
            body = _json(update)
        return self._tg("huge_body", body, Expect.REFUSAL, f"{len(body) // MB} MB")

    def _tg_wrong_types(self) -> FuzzCase:
        update, wrong = self._update(), self.rng.choice(WRONG_VALUES)
        message = update["message"]
        where = self.rng.randrange(12)
        expect = Expect.REFUSAL
        if where == 0:
            update["update_id"] = self.rng.choice(["1", 1.5, None, True, [], 2**70])
            note = f"update_id {update['update_id']!r}"
        elif where == 1:
            del update["update_id"]
            note = "no update_id"
        elif where == 2:
            update["message"] = self.rng.choice(["hi", 1, [], True])
            note = f"message {update['message']!r}"
        elif where == 3:
            message["text"] = wrong if not isinstance(wrong, str) else 7
            note = f"text {message['text']!r}"
        elif where == 4:
            message["chat"]["id"] = self.rng.choice(["42", 4.2, None, {}, True])
            note = f"chat.id {message['chat']['id']!r}"
        elif where == 5:
            del message[self.rng.choice(["chat", "date", "message_id"])]
            note = "a required field missing"
        elif where == 6:
            message["from"] = self.rng.choice([{"id": "x"}, {}, "user", {"id": 1, "is_bot": "no",
                                                                          "first_name": "a"}])
            note = f"from {message['from']!r}"
        elif where == 7:
            message["entities"] = self.rng.choice([
                {"type": "bot_command"}, [{"type": 1, "offset": 0, "length": 3}], ["x"],
                [{"type": "bot_command", "offset": "0", "length": 1}]])
            note = f"entities {message['entities']!r}"
        elif where == 8:
            del update["message"]
            chat = message["chat"]["id"]
            update["callback_query"] = {"id": self.rng.choice(["1", 1]), "from": message["from"],
                                        "chat_instance": "1",
                                        "data": self.rng.choice([1, [], "d" * 65, None])}
            if update["callback_query"]["data"] is None:
                del update["callback_query"]["from"]
            note = f"callback_query to {chat}"
        elif where == 9:
            message.pop("text")
            message["voice"] = {"file_id": "f", "file_unique_id": "u",
                                "duration": self.rng.choice(["3", -1.5, None, []])}
            note = f"voice duration {message['voice']['duration']!r}"
        elif where == 10:
            del update["message"]
            update["my_chat_member"] = {"chat": message["chat"], "from": message["from"], "date": 1,
                                        "old_chat_member": {"status": "member", "user": message["from"]},
                                        "new_chat_member": {"status": self.rng.choice([1, None, []]),
                                                            "user": message["from"]}}
            note = "my_chat_member status of a wrong type"
        else:
            # Odd but well typed: the connector answers kindly (or leaves it alone).
            update["message"] = {**message, "text": self.rng.choice(["", " ", "\u200b", "/", "/start@x y"])}
            expect = Expect.REFUSAL_OR_REPLY
            note = f"odd text {update['message']['text']!r}"
        return self._tg("wrong_types", _json(update), expect, note[:80])

    def _tg_invalid_utf8(self) -> FuzzCase:
        bad = self.rng.choice(INVALID_UTF8)
        text = _json(self._update("REPLACE"))
        return self._tg("invalid_utf8", text.replace(b"REPLACE", b"hi " + bad), Expect.REFUSAL, repr(bad))

    def _tg_deep(self) -> FuzzCase:
        depth = self.rng.choice((50, 300, 990, 5000, 20_000))
        update = self._update()
        if self.rng.random() < 0.5:
            replied: dict[str, Any] = dict(update["message"])
            chain = replied
            for _ in range(min(depth, 900)):
                inner = dict(update["message"])
                chain["reply_to_message"] = inner
                chain = inner
            update["message"]["reply_to_message"] = replied
            try:
                body = _json(update)
            except RecursionError:
                body = _json(self._update())
            note = f"reply_to_message chain {min(depth, 900)}"
        else:
            text = _json(update)
            body = text[:-1] + b', "deep": ' + _nested_text(depth, self.rng.choice(("list", "dict"))) + b"}"
            note = f"unknown field nested {depth}"
        return self._tg("deep_nesting", body, Expect.REFUSAL_OR_REPLY, note)

    def _tg_injection(self) -> FuzzCase:
        text = self._injection()
        too_long = len(text) > 4096
        if self.rng.random() < 0.2:
            update = self._update()
            update["message"]["from"]["first_name"] = text[:256]
            update["message"]["from"]["language_code"] = text[:35]
            note, too_long = f"names {text[:40]!r}", False
        elif self.rng.random() < 0.2:
            update = self._update()
            message = update.pop("message")
            update["callback_query"] = {"id": "1", "from": message["from"], "chat_instance": "1",
                                        "message": message, "data": text[:20]}
            note, too_long = f"button data {text[:40]!r}", False
        else:
            update = self._update(text)
            note = f"text {text[:60]!r}"
        encode = _json if self.rng.random() < 0.5 else _json_utf8
        return self._tg("injection", encode(update), Expect.REFUSAL if too_long else Expect.REFUSAL_OR_REPLY,
                        note)

    def _tg_wrong_method(self) -> FuzzCase:
        method = self.rng.choice(("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST", "PROPFIND"))
        path = self._hook if method != "POST" else self.rng.choice(
            ["/", "/other", self._hook + "/../../etc/passwd", self._hook + "%00", self._hook * 200])
        body = _json(self._update()) if method in ("POST", "PUT", "PATCH") else None
        return self._tg("wrong_method", body, Expect.ANY_BELOW_500, f"{method} {path[:40]}", method=method,
                        path=path)

    def _tg_raw(self) -> FuzzCase:
        headers = [("Content-Type", "application/json"), (SECRET_HEADER, self._secret)]
        kind, raw = self._raw("POST", self._hook, headers, _json(self._update()))
        return FuzzCase("telegram", "raw_http", "POST", self._hook, Expect.ANY_BELOW_500, raw=raw, note=kind)

    def _tg_credentials(self) -> FuzzCase:
        secret = self.rng.choice([None, "", "wrong-secret", self._secret + "x", self._secret[:-1],
                                  self._secret.upper(), "' OR 1=1 --", "s" * 5000, "\u202e" + self._secret])
        return self._tg("credentials", _json(self._update()), Expect.REFUSAL, f"secret {str(secret)[:30]!r}",
                        secret=secret, without_secret=secret is None)


# -- sending ---------------------------------------------------------------------------

#: Longest wait for one answer (a turn of the assistant under load takes seconds).
ANSWER_TIMEOUT = 90.0
#: Longest wait for the answer to a raw request (each asks for the connection to be closed).
RAW_ANSWER_TIMEOUT = 15.0
#: Most of an answer's body kept for judging.
KEPT_BODY_BYTES = 64 * 1024


async def send_case(session: aiohttp.ClientSession, base_url: str, case: FuzzCase) -> Outcome:
    """Send one case to a target at ``base_url`` (``http://host:port``) and return what came back."""
    started = time.perf_counter()
    if case.raw is not None:
        outcome = await _send_raw(base_url, case)
    else:
        outcome = await _send_http(session, base_url, case)
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _send_http(session: aiohttp.ClientSession, base_url: str, case: FuzzCase) -> Outcome:
    url = URL(base_url.rstrip("/") + case.path, encoded=True)
    headers = {name: value for name, value in case.headers}
    try:
        async with session.request(case.method, url, data=case.body, headers=headers,
                                   skip_auto_headers=("Content-Type", "User-Agent", "Accept",
                                                      "Accept-Encoding")) as response:
            body = await response.content.read(KEPT_BODY_BYTES)
            return Outcome(case, response.status, body, response.headers.get("Content-Type", ""))
    except asyncio.TimeoutError:
        return Outcome(case, None, error="timed out")
    except (aiohttp.ClientError, OSError, ValueError) as error:
        return Outcome(case, None, error=f"{error.__class__.__name__}: {error}"[:300])


async def _send_raw(base_url: str, case: FuzzCase) -> Outcome:
    assert case.raw is not None
    address = urlsplit(base_url)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address.hostname, address.port), timeout=ANSWER_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as error:
        return Outcome(case, None, error=f"could not connect: {error!r}")
    try:
        writer.write(case.raw)
        await writer.drain()
        answer = await asyncio.wait_for(_read_until_closed(reader), timeout=RAW_ANSWER_TIMEOUT)
    except asyncio.TimeoutError:
        return Outcome(case, None, error="timed out")
    except OSError as error:
        return Outcome(case, None, error=f"{error.__class__.__name__}: {error}")
    finally:
        writer.close()
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    if match is None:
        # A server may close a connection whose bytes are not HTTP at all without answering.
        return Outcome(case, None, answer, error="closed without an answer" if not answer else "not HTTP")
    head, _, body = answer.partition(b"\r\n\r\n")
    content_type = re.search(rb"(?im)^content-type:\s*([^\r\n]*)", head)
    return Outcome(case, int(match.group(1)), body,
                   content_type.group(1).decode("latin-1") if content_type else "")


async def _read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (every raw case asks it to)."""
    chunks: list[bytes] = []
    size = 0
    while size < KEPT_BODY_BYTES:
        try:
            chunk = await reader.read(KEPT_BODY_BYTES - size)
        except ConnectionResetError:
            if chunks:  # the answer came; the reset only ended the connection
                break
            raise
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def new_session() -> aiohttp.ClientSession:
    """A client session for fuzzing: a new connection per request, nothing added to requests."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True, limit=0),
        timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT),
        auto_decompress=False)


async def send_all(cases: Sequence[FuzzCase], base_urls: Mapping[str, str],
                   concurrency: int = 8) -> list[Outcome]:
    """Send every case, ``concurrency`` at a time per target; the outcomes in the cases' order."""
    gates = {target: asyncio.Semaphore(concurrency) for target in base_urls}
    async with new_session() as session:

        async def one(case: FuzzCase) -> Outcome:
            async with gates[case.target]:
                return await send_case(session, base_urls[case.target], case)

        return list(await asyncio.gather(*(one(case) for case in cases)))


# -- judging ---------------------------------------------------------------------------

#: Paths whose refusals come from the project's own code: they must be kind (Chinese and English).
KIND_REFUSAL_PATHS = {"rest": REST_PATH, "telegram": TELEGRAM_PATH}
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def problem_with(outcome: Outcome) -> str | None:
    """What is wrong with an answer to a fuzz case, or None when it is acceptable.

    A server may close a connection whose bytes are not HTTP at all without
    answering; everything else must be answered.
    """
    case = outcome.case
    if outcome.status is None:
        closed = outcome.error == "closed without an answer"
        if case.raw is not None and closed and case.note == "not_http":
            return None
        return f"no answer ({outcome.error})"
    if outcome.status >= 500:
        return f"server error {outcome.status}: {outcome.body[:200]!r}"
    if case.expect is Expect.ANY_BELOW_500:
        return None
    if 400 <= outcome.status < 500:
        return _unkind_refusal(outcome)
    if case.expect is Expect.REFUSAL:
        return f"accepted ({outcome.status}) a request it should refuse"
    if case.target == "rest":
        return _unkind_reply(outcome)
    return None if 200 <= outcome.status < 300 else f"unexpected status {outcome.status}"


def _unkind_refusal(outcome: Outcome) -> str | None:
    case = outcome.case
    if case.raw is not None or case.method != "POST" or case.path != KIND_REFUSAL_PATHS.get(case.target):
        return None
    if any(_CONTROL.search(value) for _, value in case.headers):
        return None  # the server's HTTP parser refuses such headers before the project's code runs
    if case.target == "telegram" and outcome.status == 403:
        return None  # no words owed to a caller without the secret, but they are given anyway
    try:
        message = json.loads(outcome.body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"a {outcome.status} without a JSON error: {outcome.body[:200]!r}"
    if not _has_chinese_and_english(str(message)):
        return f"a {outcome.status} whose message is not in Chinese and English: {message!r}"
    return None


def _unkind_reply(outcome: Outcome) -> str | None:
    if outcome.status != 200:
        return f"unexpected status {outcome.status}"
    try:
        replies = json.loads(outcome.body)
    except ValueError:
        return f"a 200 that is not JSON: {outcome.body[:200]!r}"
    if replies == [] and outcome.case.may_be_silent:
        return None
    if not isinstance(replies, list) or not replies:
        return f"no reply: {replies!r}"[:300]
    if not all(isinstance(r, dict) and (r.get("text") or r.get("buttons") or r.get("custom"))
               for r in replies):
        return f"a reply without text: {replies!r}"[:300]
    return None


@dataclass
class Tally:
    """Counts of answers per target and status class."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, outcomes: Sequence[Outcome]) -> Tally:
        """Count some outcomes; return self."""
        for outcome in outcomes:
            row = self.counts.setdefault(outcome.case.target, {})
            row[outcome.status_class] = row.get(outcome.status_class, 0) + 1
        return self

    def table(self) -> str:
        """The counts as a Markdown table."""
        classes = sorted({name for row in self.counts.values() for name in row})
        lines = ["| target | " + " | ".join(classes) + " | total |",
                 "| --- | " + " | ".join("---" for _ in classes) + " | --- |"]
        for target, row in sorted(self.counts.items()):
            lines.append(f"| {target} | " + " | ".join(str(row.get(c, 0)) for c in classes)
                         + f" | {sum(row.values())} |")
        return "\n".join(lines)


# -- valid traffic alongside -----------------------------------------------------------

#: Longest wait for one valid answer.
VALID_ANSWER_SECONDS = 60.0


@dataclass
class ValidTraffic:
    """What valid clients did alongside: latencies per kind of exchange, rounds, wrong answers."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float) -> None:
        """Note how long one exchange took."""
        self.latencies.setdefault(kind, []).append(seconds)


#: One round of a valid client: it records its latencies and returns what was wrong, if anything.
Round = Callable[[ValidTraffic], Awaitable["str | None"]]


async def _say(session: aiohttp.ClientSession, rasa_url: str, sender: str, text: str) -> str:
    async with session.post(f"{rasa_url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text}) as response:
        replies = await response.json(content_type=None) if response.status == 200 else []
        return "\n".join(str(reply.get("text", "")) for reply in replies if isinstance(reply, dict))


def rest_citizen(session: aiohttp.ClientSession, rasa_url: str, question: str, expected: str) -> Round:
    """A citizen asking about a service, then thanking the assistant, in a new conversation each round."""

    async def one_round(traffic: ValidTraffic) -> str | None:
        sender = f"citizen-{uuid.uuid4().hex[:10]}"
        for text, answer_has in ((question, expected), ("谢谢", "不客气")):
            started = time.perf_counter()
            answer = await _say(session, rasa_url, sender, text)
            traffic.record("REST turn", time.perf_counter() - started)
            if answer_has not in answer:
                return f"{text!r} got {answer[:200]!r}"
        return None

    return one_round


def telegram_user(api: FakeBotApi) -> Round:
    """A Telegram user greeting the assistant; the update comes through the webhook, as from Telegram."""

    async def one_round(traffic: ValidTraffic) -> str | None:
        chat = 10_000_000 + uuid.uuid4().int % 1_000_000_000
        api.set_user(chat, language_code="zh-hans")
        since = api.mark()
        started = time.perf_counter()
        api.push_update(api.text_update(chat, "你好"))
        try:
            await api.async_wait_for(lambda c: c.method == "sendMessage" and c.chat_id == chat
                                     and "您好" in (c.text or ""), timeout=VALID_ANSWER_SECONDS, since=since)
        except TimeoutError:
            return f"Telegram chat {chat} got no greeting: {api.texts_to(chat, since)}"
        traffic.record("Telegram greeting", time.perf_counter() - started)
        return None

    return one_round


def portal_reader(session: aiohttp.ClientSession, portal_api_url: str, token: str) -> Round:
    """A client reading the ID card guide and the catalogue from the portal (``…/api/v1``)."""
    headers = {"Authorization": f"Bearer {token}"}

    async def one_round(traffic: ValidTraffic) -> str | None:
        started = time.perf_counter()
        async with session.get(f"{portal_api_url}/services/id_card?lang=zh", headers=headers) as response:
            guide = await response.json(content_type=None)
        traffic.record("portal GET", time.perf_counter() - started)
        if response.status != 200 or guide.get("name") != "居民身份证":
            return f"the ID card guide: {response.status} {str(guide)[:200]}"
        started = time.perf_counter()
        async with session.get(f"{portal_api_url}/services?lang=en", headers=headers) as response:
            catalogue = await response.json(content_type=None)
        traffic.record("portal GET", time.perf_counter() - started)
        if response.status != 200 or len(catalogue.get("services", [])) < 12:
            return f"the catalogue: {response.status} {str(catalogue)[:200]}"
        return None

    return one_round


async def keep_going(who: str, one_round: Round, done: asyncio.Event, traffic: ValidTraffic,
                     pause: float = 0.2) -> None:
    """Repeat a valid client's round until ``done`` is set (at least once)."""
    while True:
        try:
            wrong = await asyncio.wait_for(one_round(traffic), timeout=2 * VALID_ANSWER_SECONDS)
        except (aiohttp.ClientError, OSError, ValueError, asyncio.TimeoutError) as error:
            wrong = f"no answer: {error!r}"
        if wrong:
            traffic.wrong.append(f"{who}: {wrong}")
        traffic.rounds[who] = traffic.rounds.get(who, 0) + 1
        if done.is_set():
            return
        await asyncio.sleep(pause)
