"""One recorded utterance through the whole kiosk path: Vosk, the assistant, slow speech back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, VOSK_TEST_MODEL, RunningAssistant
from voice.audio import decode_to_pcm16k, duration_seconds, is_silent

pytestmark = pytest.mark.server


def _kiosk(assistant: RunningAssistant, wav: Path, out: Path, model: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RASA_PORT": str(assistant.rasa_port), "VOSK_MODEL_ZH": model}
    return subprocess.run([sys.executable, "-m", "bot", "kiosk", "--wav", str(wav), "--lang", "zh",
                           "--out", str(out)], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                          timeout=180)


def test_a_recorded_question_is_heard_answered_and_spoken(assistant: RunningAssistant,
                                                         tmp_path: Path) -> None:
    wav, out = tmp_path / "question.wav", tmp_path / "answer.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "130", "-w", str(wav), "안녕하세요 여권 신청"], check=True)
    done = _kiosk(assistant, wav, out, str(VOSK_TEST_MODEL))
    assert done.returncode == 0, done.stderr
    assert "我听到的是：" in done.stdout
    speech = decode_to_pcm16k(out.read_bytes())
    assert duration_seconds(speech) > 1.0 and not is_silent(speech)


def test_silence_gets_a_kind_spoken_prompt(assistant: RunningAssistant, tmp_path: Path) -> None:
    wav, out = tmp_path / "silence.wav", tmp_path / "answer.wav"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", "2", str(wav)], check=True)
    done = _kiosk(assistant, wav, out, str(VOSK_TEST_MODEL))
    assert done.returncode == 0, done.stderr
    assert "没有听到声音" in done.stdout and out.stat().st_size > 10_000


def test_without_a_model_the_kiosk_says_voice_is_unavailable(assistant: RunningAssistant,
                                                             tmp_path: Path) -> None:
    wav = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), "안녕하세요"], check=True)
    done = _kiosk(assistant, wav, tmp_path / "answer.wav", "")
    assert done.returncode == 2 and "VOSK_MODEL_ZH" in done.stderr
