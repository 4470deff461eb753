from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import VOICE_UNAVAILABLE, build_parser, main
from tests.unit.voice_helpers import KO_MODEL
from voice.audio import decode_to_pcm16k, duration_seconds, is_silent, wav_to_pcm
from voice.recognition import NOT_INSTALLED_MESSAGE

SPEC_VERBS = ["run", "train", "evaluate", "kiosk", "say", "transcribe", "operator"]


def test_help_lists_every_verb_of_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for verb in SPEC_VERBS:
        assert verb in shown


def test_an_unknown_verb_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["fly"])
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_evaluate_without_a_model_explains_what_to_do(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import settings

    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    settings.get_settings.cache_clear()
    try:
        assert main(["evaluate"]) == 1
    finally:
        settings.get_settings.cache_clear()
    assert "python -m bot train" in capsys.readouterr().err


@pytest.fixture
def voice_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings re-read from a controlled environment: no recognition models unless a test sets one."""
    from bot import settings

    monkeypatch.setenv("VOSK_MODEL_ZH", "")
    monkeypatch.setenv("VOSK_MODEL_EN", "")
    settings.get_settings.cache_clear()
    yield monkeypatch
    settings.get_settings.cache_clear()


def test_say_speaks_a_reply_into_a_wav_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal, elderly = tmp_path / "normal.wav", tmp_path / "elderly.wav"
    assert main(["say", "申请号：2024 0512 0001，请记下来。", "--lang", "zh", "--out", str(normal)]) == 0
    assert main(["say", "申请号：2024 0512 0001，请记下来。", "--lang", "zh", "--out", str(elderly),
                 "--elderly"]) == 0
    assert str(normal) in capsys.readouterr().out
    durations = []
    for path in (normal, elderly):
        pcm, rate = wav_to_pcm(path.read_bytes())
        assert not is_silent(pcm)
        durations.append(duration_seconds(pcm, rate))
    assert 3.0 < durations[0] < durations[1]


def test_say_writes_a_voice_note_for_ogg(tmp_path: Path) -> None:
    out = tmp_path / "reply.ogg"
    assert main(["say", "Your appointment is booked.", "--lang", "en", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"OggS"
    assert not is_silent(decode_to_pcm16k(out.read_bytes()))


def test_say_with_nothing_to_say_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "👍", "--lang", "en", "--out", str(tmp_path / "x.wav")]) == 1
    assert "nothing" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_transcribe_without_a_model_says_it_is_not_installed(
    language: str, voice_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", str(tmp_path / "any.wav"), "--lang", language]) == VOICE_UNAVAILABLE == 2
    err = capsys.readouterr().err
    assert NOT_INSTALLED_MESSAGE[language] in err
    assert f"VOSK_MODEL_{language.upper()}" in err


def test_say_then_transcribe_round_trip(voice_env: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    voice_env.setenv("VOSK_MODEL_EN", str(KO_MODEL))  # a real model (Korean): the path just has to run
    out = tmp_path / "hello.wav"
    assert main(["say", "Hello, I need help with my pension.", "--lang", "en", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["transcribe", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert printed.endswith("\n") and printed.strip()


def test_transcribe_explains_an_unreadable_recording(voice_env: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    voice_env.setenv("VOSK_MODEL_ZH", str(KO_MODEL))
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + bytes(100))
    assert main(["transcribe", str(broken), "--lang", "zh"]) == 1
    assert "这段语音打不开" in capsys.readouterr().err
    assert main(["transcribe", str(tmp_path / "missing.ogg"), "--lang", "zh"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_say_without_espeak_ng_says_it_is_not_installed(tmp_path: Path) -> None:
    import subprocess
    import sys

    from bot.settings import PROJECT_DIR
    from voice.synthesis import NOT_INSTALLED_MESSAGE as TTS_NOT_INSTALLED

    # a process in which libespeak-ng cannot be loaded
    code = ("import sys; sys.modules['pyttsx3.drivers._espeak'] = None; from bot.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    argv = ["say", "你好", "--lang", "zh", "--out", str(tmp_path / "x.wav")]
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == VOICE_UNAVAILABLE
    assert TTS_NOT_INSTALLED["zh"] in done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_kiosk_with_a_recording_that_is_not_there_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kiosk", "--wav", "no-such-recording.wav"]) == 1
    assert "cannot read" in capsys.readouterr().err
