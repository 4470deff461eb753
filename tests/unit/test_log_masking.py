"""ID numbers and mobile numbers are masked in every log record (bot/log_masking.py).

In this process (the masking installed and removed around each test), then in
the processes we start: a Rasa server after Rasa configured its logging, its
structlog lines, the portal, the web pages and the Telegram connector.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.log_masking import ACCESS_LOGGERS, MaskingFilter, install_log_masking, uninstall_log_masking
from tests.conftest import PROJECT_DIR

ID_NUMBER = "330106194901010028"
MOBILE = "13812345678"
MASKED_ID = "330106********0028"
MASKED_MOBILE = "138****5678"


@pytest.fixture
def masking() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    install_log_masking()
    try:
        yield
    finally:
        uninstall_log_masking()
        logging.setLogRecordFactory(factory)


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing its formatted records (with exceptions and stacks) to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.log_masking")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def assert_masked(text: str) -> None:
    assert ID_NUMBER not in text and MOBILE not in text and "1234-5678" not in text, text


def test_messages_and_arguments_are_masked(masking: None, log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info("user %s said %r", "kiosk-7", f"身份证{ID_NUMBER} 电话+86 138-1234-5678")
    logger.info(f"slot id_number = {ID_NUMBER}")
    logger.info("%(slot)s=%(value)s", {"slot": "phone", "value": int(MOBILE)})
    logger.info("phone 138%s", "12345678")  # split between the format and an argument
    logger.info("RabbitMQ connection to '%s' was established.", "amqp://guest:guest@127.0.0.1:5672/%2F")
    logger.info("no personal data: %d events at %s, confidence %s", 12345678, "2024-05-01 12:00:00",
                0.123456789012345)
    lines = stream.getvalue().splitlines()
    assert lines == [
        f"INFO user kiosk-7 said '身份证{MASKED_ID} 电话{MASKED_MOBILE}'",
        f"INFO slot id_number = {MASKED_ID}",
        f"INFO phone={MASKED_MOBILE}",
        f"INFO phone {MASKED_MOBILE}",
        "INFO RabbitMQ connection to 'amqp://guest:****@127.0.0.1:5672/%2F' was established.",
        "INFO no personal data: 12345678 events at 2024-05-01 12:00:00, confidence 0.123456789012345",
    ]


def test_records_keep_their_arguments_when_masking_them_is_enough(masking: None) -> None:
    record = logging.getLogger("tests.log_masking").makeRecord(
        "tests", logging.INFO, __file__, 1, "%s called from %s", (MOBILE, "kiosk"), None)
    assert record.msg == "%s called from %s" and record.args == (MASKED_MOBILE, "kiosk")
    plain = logging.getLogger("tests.log_masking").makeRecord(
        "tests", logging.INFO, __file__, 1, "%d turns", (3,), None)
    assert plain.args == (3,)


def test_exception_texts_and_stacks_are_masked(masking: None,
                                               log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError(f"bad applicant {ID_NUMBER}")
    except ValueError:
        logger.exception("submitting for %s failed", MOBILE)
    logger.warning("where %s was logged", MOBILE, stack_info=True)
    text = stream.getvalue()
    assert_masked(text)
    assert f"ValueError: bad applicant {MASKED_ID}" in text and "Traceback" in text
    assert f"submitting for {MASKED_MOBILE} failed" in text and "Stack (most recent call last)" in text


def test_json_log_lines_with_escaped_full_width_digits_are_masked(
        masking: None, log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    said = "身份证３３０１０６１９４９０１０１００２８，电话幺三八幺二三四五六七八"
    logger.info(json.dumps({"event": "user", "text": said, "other": "一二三"}))
    line = json.loads(stream.getvalue().removeprefix("INFO "))
    assert line == {"event": "user", "text": f"身份证{MASKED_ID}，电话{MASKED_MOBILE}", "other": "一二三"}


def test_access_log_request_lines_are_masked(masking: None) -> None:
    import uvicorn.logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(uvicorn.logging.AccessFormatter(
        '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    access = logging.getLogger("uvicorn.access")
    level = access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                    f"/api/v1/applications/A1?phone={MOBILE}", "1.1", 200)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert stream.getvalue() == \
        f'127.0.0.1:5000 - "GET /api/v1/applications/A1?phone={MASKED_MOBILE} HTTP/1.1" 200 OK\n'
    # Sanic writes the request line into an extra field, which the filter on its access logger masks.
    record = logging.makeLogRecord({"msg": "", "request": f"GET http://x/status?phone={MOBILE}",
                                    "status": 200})
    assert MaskingFilter().filter(record)
    assert record.__dict__["request"] == f"GET http://x/status?phone={MASKED_MOBILE}"
    assert all(any(isinstance(f, MaskingFilter) for f in logging.getLogger(name).filters)
               for name in ACCESS_LOGGERS)


def test_install_is_idempotent_and_removable() -> None:
    factory = logging.getLogRecordFactory()
    install_log_masking()
    masking_factory = logging.getLogRecordFactory()
    install_log_masking()
    assert logging.getLogRecordFactory() is masking_factory
    uninstall_log_masking()
    assert logging.getLogRecordFactory() is factory
    assert not any(isinstance(f, MaskingFilter) for f in logging.getLogger("sanic.access").filters)


# --- the processes we start ---

def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 180) -> str:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "RASA_TELEMETRY_ENABLED": "false",
                   **(env or {})}
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True,
                            timeout=timeout)
    return result.stdout + result.stderr


def test_a_rasa_server_masks_its_logs_after_rasa_configured_logging(tmp_path: Path) -> None:
    # Rasa's command line with paths holding an ID and a phone number: after configuring its logging
    # (coloredlogs, structlog) it warns and logs about them, then stops (no model here).
    (tmp_path / "endpoints.yml").write_text("{}\n", encoding="utf-8")
    output = run([sys.executable, "-m", "bot.rasa_server", "run", "--debug",
                  "--model", str(tmp_path / f"id_{ID_NUMBER}.tar.gz"),
                  "--endpoints", str(tmp_path / f"phone_{MOBILE}" / "endpoints.yml")], cwd=tmp_path)
    assert "No model found" in output  # it got as far as looking for the model
    assert_masked(output)
    assert f"DEBUG    rasa.cli.run  - '{tmp_path}/id_{MASKED_ID}.tar.gz' not found" in output
    assert f"UserWarning: The path '{tmp_path}/phone_{MASKED_MOBILE}/endpoints.yml' does not seem to exist" \
        in output


def test_rasa_structlog_lines_are_masked(tmp_path: Path) -> None:
    script = """
import logging, structlog
from bot.log_masking import install_log_masking
install_log_masking()
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog
configure_logging_and_warnings(logging.DEBUG)   # as rasa.__main__.main does
configure_colored_logging(logging.DEBUG)
configure_structlog(logging.DEBUG)
said = "身份证３３０１０６１９４９０１０１００２８"
structlog.get_logger().debug("pika.events.publish", rasa_event={"text": said})
logging.getLogger("rasa.core.processor").info("Received user message '%s'", "电话 +86 138-1234-5678")
"""
    output = run([sys.executable, "-c", script], cwd=tmp_path)
    assert "pika.events.publish" in output and "Received user message" in output
    assert "３３０１" not in output and "\\uff13\\uff13" not in output
    assert_masked(output)
    assert MASKED_ID in output and f"Received user message '电话 {MASKED_MOBILE}'" in output


def test_the_portal_masks_its_logs(tmp_path: Path) -> None:
    output = run([sys.executable, "-m", "portal", "--port", "0"], cwd=PROJECT_DIR,
                 env={"PORTAL_SEED_DIR": str(tmp_path / f"seed_{MOBILE}"), "DATA_DIR": str(tmp_path),
                      "PORTAL_DATABASE_URL": ""})
    assert f"bad seed data: {tmp_path}/seed_{MASKED_MOBILE}" in output
    assert_masked(output)


def test_the_web_pages_and_the_telegram_connector_install_the_masking(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    import connectors.telegram.__main__ as telegram_main
    import web.__main__ as web_main
    from bot.settings import Settings

    factory = logging.getLogRecordFactory()
    started = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: started.append("web"))
    monkeypatch.setattr(telegram_main, "run", lambda settings, speech: started.append("telegram"))
    monkeypatch.setattr(telegram_main, "VoiceSpeech", lambda settings: None)
    monkeypatch.setattr(telegram_main, "get_settings",
                        lambda: Settings(telegram_bot_token="123:abc", data_dir=tmp_path))
    try:
        for main in (lambda: web_main.main(["--port", "0"]), telegram_main.main):
            uninstall_log_masking()
            assert main() == 0
            record = logging.getLogger("tests").makeRecord("tests", logging.INFO, __file__, 1, MOBILE, (),
                                                           None)
            assert record.getMessage() == MASKED_MOBILE
    finally:
        uninstall_log_masking()
        logging.setLogRecordFactory(factory)
    assert started == ["web", "telegram"]
