r"""ID numbers and mobile numbers masked in every log record of a process.

Each of our processes (the Rasa servers, the action server, the portal, the
web pages, the Telegram connector) calls :func:`install_log_masking` first
thing in its ``main``. From then on every log record is masked when it is
created, whatever logger emits it and whichever handler writes it:

- the final message (``msg % args``): ID numbers and mobile numbers, in
  whatever form :func:`bot.operators.masking.mask_identifiers` reads them,
  also inside JSON log lines whose non-ASCII characters are ``\uXXXX``
  escapes (Rasa's structlog renderer);
- the exception text and the stack of the record;
- warnings (``warnings.warn``: Rasa warns with paths and values it was
  given), which go to the log as records of ``py.warnings``
  (``logging.captureWarnings``) instead of straight to stderr.

Passwords written in URLs (``amqp://user:password@host``: Rasa logs the
event broker's URL when it connects) are masked too: ``amqp://user:****@host``.

Masking happens in the log record factory (``logging.setLogRecordFactory``),
not in a filter on handlers: the libraries we run reconfigure logging after
``main`` starts, and replace the handlers as they do (Rasa calls
``coloredlogs.install`` and ``logging.basicConfig``, reads ``--logging-config-file``
with ``dictConfig``; rasa-sdk installs coloredlogs; uvicorn applies its own
``dictConfig``). None of them replaces the record factory, so every record
is masked before any handler sees it.

A record factory cannot see ``extra=`` fields (the logger adds them after the
factory returns), and Sanic writes the request line of its access log into
one (``request``). :class:`MaskingFilter` masks those fields too; it is put on
the access loggers (:data:`ACCESS_LOGGERS`), where logger filters run with the
complete record. It can also be named in a logging configuration file for
any handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.operators.masking import mask_identifiers

#: Loggers whose records carry request lines (with query strings) in ``extra=`` fields.
ACCESS_LOGGERS = ("sanic.access", "uvicorn.access")
#: Attribute set on a record once it is masked.
MASKED_ATTRIBUTE = "identifiers_masked"
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime",
                                                                         MASKED_ATTRIBUTE}
#: A ``\uXXXX`` escape (not an escaped backslash followed by "u").
_JSON_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")
#: The password of a URL (``scheme://user:password@``).
_URL_PASSWORD = re.compile(r"(://[^:/@\s'\"]*):([^@\s'\"/]+)@")
_FORMATTER = logging.Formatter()


def _unescape_non_ascii(text: str) -> str:
    r"""Turn ``\uXXXX`` escapes of non-ASCII characters (not surrogates) into the characters.

    Full-width digits and Chinese numerals are then read as numbers; the text
    stays valid JSON (control characters, quotes and backslashes stay escaped).
    """
    def unescape(match: re.Match[str]) -> str:
        code = int(match.group(2), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF:
            return match.group()
        return match.group(1) + chr(code)

    return _JSON_ESCAPE.sub(unescape, text)


def mask_log_text(text: str) -> str:
    """Mask the ID numbers, mobile numbers and URL passwords in a log text; the text itself when none."""
    masked = mask_identifiers(_URL_PASSWORD.sub(r"\1:****@", text))
    if "\\u" in text:
        unescaped = _unescape_non_ascii(masked)
        if unescaped != masked:
            remasked = mask_identifiers(unescaped)
            if remasked != unescaped:
                return remasked
    return masked


def _mask_argument(argument: Any) -> Any:
    if isinstance(argument, (bool, float)) or argument is None:
        return argument
    text = argument if isinstance(argument, str) else str(argument)
    masked = mask_log_text(text)
    return argument if masked == text else masked


def _masked_message_and_arguments(record: logging.LogRecord) -> tuple[str, Any] | None:
    """The record's format and arguments each masked, when that masks the whole message; else None.

    Keeping the arguments apart keeps the record usable by formatters that
    read them (uvicorn's access log formatter unpacks them).
    """
    if not isinstance(record.msg, str):
        return None
    arguments: Any = record.args
    if isinstance(arguments, tuple):
        arguments = tuple(_mask_argument(argument) for argument in arguments)
    elif isinstance(arguments, Mapping):
        arguments = {key: _mask_argument(value) for key, value in arguments.items()}
    message = mask_log_text(record.msg)
    try:
        final = message % arguments if arguments else message
    except (TypeError, ValueError, KeyError):
        return None
    return (message, arguments) if mask_log_text(final) == final else None


def mask_record(record: logging.LogRecord) -> None:
    """Mask a log record in place: its message, exception text and stack (once)."""
    if getattr(record, MASKED_ATTRIBUTE, False):
        return
    setattr(record, MASKED_ATTRIBUTE, True)
    try:
        message = record.getMessage()
    except Exception:  # a message that cannot be formatted: the handler reports it, with masked parts
        record.msg = mask_log_text(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_argument(argument) for argument in record.args)
        return
    if mask_log_text(message) != message:
        masked = _masked_message_and_arguments(record)
        if masked is None:
            record.msg, record.args = mask_log_text(message), ()
            record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of msg, for the old args
        else:
            record.msg, record.args = masked
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_log_text(_FORMATTER.formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask_log_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_log_text(record.stack_info)


class MaskingFilter(logging.Filter):
    """Masks a record (:func:`mask_record`) and its text ``extra=`` fields; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                record.__dict__[key] = mask_log_text(value)
        return True


class _MaskingRecordFactory:
    """A log record factory that masks each record the previous factory makes."""

    def __init__(self, make_record: Any) -> None:
        self.make_record = make_record

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.make_record(*args, **kwargs)
        mask_record(record)
        return record


def install_log_masking() -> None:
    """Mask ID numbers and mobile numbers in every log record of this process from now on (idempotent)."""
    if not isinstance(logging.getLogRecordFactory(), _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(logging.getLogRecordFactory()))
    logging.captureWarnings(True)
    for name in ACCESS_LOGGERS:
        access_logger = logging.getLogger(name)
        if not any(isinstance(existing, MaskingFilter) for existing in access_logger.filters):
            access_logger.addFilter(MaskingFilter())


def uninstall_log_masking() -> None:
    """Undo :func:`install_log_masking` (for tests)."""
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _MaskingRecordFactory):
        logging.setLogRecordFactory(factory.make_record)
    logging.captureWarnings(False)
    for name in ACCESS_LOGGERS:
        access_logger = logging.getLogger(name)
        for existing in [f for f in access_logger.filters if isinstance(f, MaskingFilter)]:
            access_logger.removeFilter(existing)
