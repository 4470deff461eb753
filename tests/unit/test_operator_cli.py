"""``python -m bot operator``: accounts, review, annotation and the change log from a terminal."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.operator_cli import USAGE, build_parser, operator_command
from bot.operators.accounts import Accounts
from bot.operators.annotations import Annotations
from bot.settings import PROJECT_DIR, Settings
from tests.unit.test_annotations import copy_assistant
from tests.unit.test_operator_review import CONVERSATIONS, make_tracker_store

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    make_tracker_store(data_dir / "tracker.db", CONVERSATIONS)
    return Settings(data_dir=data_dir, assistant_dir=copy_assistant(tmp_path / "assistant"))


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Annotations:
    """Without the 20-second ``rasa data validate`` (tests/unit/test_annotations.py runs it)."""
    return Annotations(f"sqlite:///{settings.data_dir / 'operators.db'}", settings.assistant_dir,
                       validate=False, lock_file=tmp_path / "annotations.lock")


def run(settings: Settings, store: Annotations, *argv: str, stdin: str = "") -> int:
    sys.stdin = io.StringIO(stdin)  # not a terminal: the password is its first line
    try:
        return operator_command(list(argv), settings, annotations=store)
    finally:
        sys.stdin = sys.__stdin__


def test_every_verb_is_offered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    shown = capsys.readouterr().out
    for verb in ("handoffs", "add-account", "passwd", "review", "conversation", "annotate", "annotations",
                 "undo", "log", "models", "retrain", "training", "evaluate", "deploy", "rollback",
                 "deployments"):
        assert verb in shown


def test_accounts(settings: Settings, store: Annotations, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, store, "add-account", "小王", stdin=PASSWORD + "\nignored\n") == 0
    assert "Operator 小王 added" in capsys.readouterr().out
    accounts = Accounts.from_settings(settings)
    assert accounts.verify("小王", PASSWORD)
    assert run(settings, store, "add-account", "小王", stdin=PASSWORD) == 1
    assert run(settings, store, "add-account", "小李", stdin="short\n") == 1
    assert "at least 10 characters" in capsys.readouterr().err
    session = accounts.start_session("小王")
    assert run(settings, store, "passwd", "小王", stdin="a new password\n") == 0
    assert accounts.verify("小王", "a new password") and accounts.session(session.token) is None
    assert run(settings, store, "passwd", "nobody", stdin="a new password\n") == 1
    err = capsys.readouterr().err
    assert "no operator called nobody" in err and "Traceback" not in err


def test_review_shows_a_masked_table(settings: Settings, store: Annotations,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, store, "review") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "When", "Channel", "Lang", "Intent", "Conf.", "Services",
                                           "Reasons", "Sender", "Text"]
    assert "我的电话是138****5678" in out and "王秀英" not in out and "John" not in out
    assert run(settings, store, "review", "--channel", "kiosk", "--needs-review",
               "--from", "2026-11-21", "--to", "2026-11-21", "--intent", "nlu_fallback",
               "--max-confidence", "0.5") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "啊啊啊" in lines[1] and "fallback" in lines[1]
    assert run(settings, store, "review", "--service", "pension", "--language", "en",
               "--min-confidence", "0.6", "--limit", "1") == 0
    assert "I need help with my pension" in capsys.readouterr().out
    assert run(settings, store, "review", "--intent", "greet") == 0
    assert "No messages match." in capsys.readouterr().out


def test_review_exports_csv(settings: Settings, store: Annotations, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "review.csv"
    assert run(settings, store, "review", "--channel", "telegram", "--csv", str(target)) == 0
    assert "Wrote 5 rows" in capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 5 and "王**" in [r["text"] for r in rows]
    assert run(settings, store, "review", "--csv", str(tmp_path / "missing" / "x.csv")) == 1
    assert "Error:" in capsys.readouterr().err


def test_conversation(settings: Settings, store: Annotations,
                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, store, "conversation", "telegram-42") == 0
    out = capsys.readouterr().out
    assert "citizen: 我的身份证丢了怎么办  (ask_service 0.95)" in out
    assert "assistant: 王**您好，请问您的手机号？" in out
    assert run(settings, store, "conversation", "nobody") == 1
    assert "no conversation 'nobody'" in capsys.readouterr().err


def test_annotate_list_undo_and_log(settings: Settings, store: Annotations,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    run(settings, store, "add-account", "小王", stdin=PASSWORD)
    services = settings.assistant_dir / "data" / "nlu" / "zh" / "services.yml"
    before = services.read_bytes()
    assert run(settings, store, "annotate", "我奶奶的社保卡丢了去哪补呀", "--intent", "ask_service",
               "--service", "social_security_card", "--as", "小王") == 0
    out = capsys.readouterr().out
    assert "to data/nlu/zh/services.yml" in out and "social_security_card (社保卡)" in out
    assert services.read_text(encoding="utf-8").endswith("- 我奶奶的[社保卡](service)丢了去哪补呀\n")
    assert run(settings, store, "annotate", "what other things ought my mum to know", "--intent",
               "more_info", "--as", "小王") == 0
    assert "data/nlu/en/" in capsys.readouterr().out  # the language of the text
    assert run(settings, store, "annotations") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and "what other things" in listed[1] and "in use" in listed[2]
    [second, first] = store.list()
    assert run(settings, store, "undo", str(first.id), "--as", "小王") == 0
    assert services.read_bytes() == before
    assert run(settings, store, "undo", str(first.id), "--as", "小王") == 1
    assert "already undone" in capsys.readouterr().err
    assert run(settings, store, "log") == 0
    log = capsys.readouterr().out
    assert log.index("undo_annotation") < log.index("annotate") < log.index("add_account")
    assert second.id > first.id


@pytest.mark.parametrize(("argv", "code", "said"), [
    (["annotate", "帮我看看那个申请进度咋样了呀", "--intent", "check_status", "--as", "nobody"], USAGE,
     "no operator account called 'nobody'"),
    (["undo", "1", "--as", "nobody"], USAGE, "add-account nobody"),
    (["deploy", "some-model.tar.gz", "--as", "nobody"], USAGE, "no operator account called 'nobody'"),
    (["annotate", "ok", "--intent", "affirm", "--as", "小王"], USAGE, "--language zh"),
    (["annotate", "你好呀", "--intent", "greet", "--as", "小王"], 1, "already an example of greet"),
    (["annotate", "帮我看看那个申请进度咋样了呀", "--intent", "nope", "--as", "小王"], 1, "no intent called"),
    (["undo", "42", "--as", "小王"], 1, "no annotation 42"),
])
def test_mistakes_are_explained(settings: Settings, store: Annotations, argv: list[str], code: int,
                                said: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(settings, store, "add-account", "小王", stdin=PASSWORD)
    capsys.readouterr()
    assert run(settings, store, *argv) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_the_real_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "var"), "ASSISTANT_DIR": str(tmp_path / "nowhere"),
           "OPERATOR_DATABASE_URL": "", "RASA_TELEMETRY_ENABLED": "false"}

    def operator(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "operator", *argv], cwd=PROJECT_DIR, env=env,
                              input=stdin, capture_output=True, text=True, timeout=120)

    added = operator("add-account", "小王", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "var" / "operators.db").is_file()
    review = operator("review")
    assert review.returncode == 0 and "No messages match." in review.stdout  # no conversations yet
    refused = operator("undo", "1", "--as", "nobody")
    assert refused.returncode == USAGE and "Traceback" not in refused.stderr
    log = operator("log")
    assert log.returncode == 0 and "add_account" in log.stdout
