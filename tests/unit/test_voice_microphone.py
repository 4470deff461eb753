"""The microphone kiosk's loop on real speech, a recording loudspeaker and a fake assistant."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest

from bot.settings import PROJECT_DIR, Settings
from tests.unit.voice_helpers import KO_MODEL, korean_pcm
from voice.audio import SAMPLE_RATE, SILENCE_RMS, duration_seconds, is_silent, rms
from voice.kiosk import KIOSK_TEXTS, ask, new_sender, speak
from voice.microphone import (
    NO_MICROPHONE_MESSAGE,
    MicrophoneKiosk,
    PlaybackBuffer,
    SpeechOnset,
    kiosk_microphone_command,
    resample,
)
from voice.recognition import NOT_INSTALLED_MESSAGE, RecognitionSession, VoskRecognizer

CHUNK = 3200  # 0.1 s of 16 kHz 16-bit PCM


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * SAMPLE_RATE) * 2)


def noise(seconds: float, level: float, seed: int = 1) -> bytes:
    samples = np.random.default_rng(seed).normal(0.0, level, int(seconds * SAMPLE_RATE))
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


@dataclass
class Clock:
    """Time as the microphone hears it: 0.1 s per piece read."""

    now: float = 0.0


def microphone(clock: Clock, *segments: bytes) -> Iterator[bytes]:
    """A microphone hearing the segments one after the other, in 0.1 s pieces."""
    pcm = b"".join(segments)
    for start in range(0, len(pcm), CHUNK):
        chunk = pcm[start : start + CHUNK]
        clock.now += len(chunk) / (2 * SAMPLE_RATE)
        yield chunk


@dataclass
class Played:
    pcm: bytes
    rate: int
    started: float
    stopped: Optional[float] = None

    @property
    def seconds(self) -> float:
        return duration_seconds(self.pcm, self.rate)


@dataclass
class RecordingSink:
    """A loudspeaker that records what it is asked to play and plays it in the microphone's time."""

    clock: Clock
    played: list[Played] = field(default_factory=list)

    def play(self, pcm: bytes, rate: int) -> None:
        self.stop()
        self.played.append(Played(pcm, rate, self.clock.now))

    @property
    def playing(self) -> bool:
        if not self.played:
            return False
        last = self.played[-1]
        return last.stopped is None and self.clock.now < last.started + last.seconds

    def stop(self) -> None:
        if self.playing:
            self.played[-1].stopped = self.clock.now

    def close(self) -> None:
        self.stop()


class FakeAssistant:
    """The assistant's REST channel on loopback: records each message, answers with set texts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.replies: list[str] = ["Hello. How can I help you today?"]
        assistant = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/webhooks/rest/webhook":
                    self.send_error(404)
                    return
                assistant.messages.append((body["sender"], body["message"]))
                data = json.dumps([{"recipient_id": body["sender"], "text": text}
                                   for text in assistant.replies]).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def settings(self, tmp_path: Path) -> Settings:
        return Settings.from_environment({"HOST": "127.0.0.1", "RASA_PORT": str(self.port)},
                                         env_file=tmp_path / "none.env")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def assistant() -> Iterator[FakeAssistant]:
    fake = FakeAssistant()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def korean() -> VoskRecognizer:
    return VoskRecognizer(KO_MODEL, language="ko")


def kiosk_for(recognizer: Any, assistant: FakeAssistant, tmp_path: Path,
              clock: Clock) -> tuple[MicrophoneKiosk, RecordingSink, io.StringIO, str]:
    """The kiosk as ``python -m bot kiosk --lang en`` builds it, on a recording sink."""
    settings = assistant.settings(tmp_path)
    sender = new_sender()
    sink = RecordingSink(clock)
    out = io.StringIO()
    kiosk = MicrophoneKiosk(recognizer, sink, lambda heard: ask(heard, "en", settings, sender),
                            lambda text: speak(text, "en"), "en", out)
    return kiosk, sink, out, sender


def heard_lines(out: str) -> list[str]:
    return [line.split("I heard: ", 1)[1] for line in out.replace("\r", "\n").splitlines()
            if line.startswith("I heard: ")]


def test_an_utterance_is_recognised_answered_and_spoken(korean: VoskRecognizer, assistant: FakeAssistant,
                                                        tmp_path: Path) -> None:
    clock = Clock()
    kiosk, sink, out, sender = kiosk_for(korean, assistant, tmp_path, clock)
    kiosk.run(microphone(clock, silence(1.0), korean_pcm(), silence(4.0)))
    printed = out.getvalue()
    heard = heard_lines(printed)
    assert len(heard) == 1 and heard[0]
    assert assistant.messages == [(sender, heard[0])]  # asked with exactly the text recognised
    assert sender.startswith("kiosk-")
    assert "\rHearing: " in printed  # the text so far, on one line as it changed
    assert "Hello. How can I help you today?\n" in printed
    assert kiosk.turns == 1 and kiosk.barge_ins == 0
    [reply] = sink.played
    assert reply.rate > 0 and reply.seconds > 1.0 and not is_silent(reply.pcm)
    # it started once the 2.5 s of trailing silence had ended the utterance, and was not cut
    speech_ends = 1.0 + duration_seconds(korean_pcm())
    assert speech_ends + 2.0 < reply.started < speech_ends + 4.0
    assert reply.stopped is None


class FedSessions:
    """The real recogniser, keeping the audio each session was given."""

    def __init__(self, recognizer: VoskRecognizer) -> None:
        self.recognizer = recognizer
        self.fed: list[list[bytes]] = []

    def session(self, grammar: Any = None) -> RecognitionSession:
        fed: list[bytes] = []
        self.fed.append(fed)

        class Session(RecognitionSession):
            def accept(self, chunk: bytes) -> Optional[str]:
                fed.append(chunk)
                return super().accept(chunk)

        return Session(self.recognizer._recognizer(grammar))


def test_speech_during_a_reply_stops_it_and_is_heard(korean: VoskRecognizer, assistant: FakeAssistant,
                                                     tmp_path: Path) -> None:
    assistant.replies = ["Here is what you need to know about your pension and how to apply for it. " * 4]
    clock = Clock()
    sessions = FedSessions(korean)
    kiosk, sink, out, sender = kiosk_for(sessions, assistant, tmp_path, clock)
    speech = korean_pcm()
    kiosk.run(microphone(clock, silence(0.5), speech, silence(3.0),  # the question, then the long reply...
                         silence(1.0), speech, silence(3.5)))  # ...interrupted 1.5 s into it
    second_speech_starts = 0.5 + duration_seconds(speech) + 3.0 + 1.0
    first, second = sink.played[0], sink.played[1]
    assert first.seconds > 10.0 and first.started < second_speech_starts
    # stopped as soon as the speech had lasted 0.3 s (counted in 0.1 s pieces, the first one
    # partly speech), long before the reply's end
    assert first.stopped is not None
    assert 0.2 <= first.stopped - second_speech_starts < 0.7
    assert kiosk.barge_ins == 1 and kiosk.turns == 2
    # the new utterance was recognised from its very first sound (the audio before the
    # interruption was kept), answered, and the conversation kept its sender
    assert len(sessions.fed) == 2 and speech[:4800] in b"".join(sessions.fed[1])
    heard = heard_lines(out.getvalue())
    assert len(heard) == 2 and all(heard)
    assert assistant.messages == [(sender, heard[0]), (sender, heard[1])]
    assert second.started > first.stopped and not is_silent(second.pcm) and second.stopped is None


def test_silence_never_calls_the_assistant(korean: VoskRecognizer, assistant: FakeAssistant,
                                           tmp_path: Path) -> None:
    clock = Clock()
    kiosk, sink, out, _ = kiosk_for(korean, assistant, tmp_path, clock)
    # longer than the longest utterance (30 s): quiet room noise, then a short knock (0.2 s)
    kiosk.run(microphone(clock, silence(5.0), noise(35.0, 60.0), noise(0.2, 5000.0, seed=2), silence(3.0)))
    assert clock.now > 43.0
    assert assistant.messages == [] and sink.played == []
    assert kiosk.turns == 0 and out.getvalue() == ""


class HearsNothing:
    """A recogniser that makes nothing out of any sound (as with a cough or a clatter)."""

    class Kaldi:
        def AcceptWaveform(self, chunk: bytes) -> bool:
            return False

        def PartialResult(self) -> str:
            return '{"partial": ""}'

        def Result(self) -> str:
            return '{"text": ""}'

        def FinalResult(self) -> str:
            return '{"text": ""}'

    def session(self, grammar: Any = None) -> RecognitionSession:
        return RecognitionSession(self.Kaldi())


def test_a_sound_not_made_out_gets_the_kind_prompt(assistant: FakeAssistant, tmp_path: Path) -> None:
    clock = Clock()
    kiosk, sink, out, _ = kiosk_for(HearsNothing(), assistant, tmp_path, clock)
    kiosk.run(microphone(clock, silence(1.0), noise(1.0, 4000.0), silence(3.0)))
    assert assistant.messages == []
    assert KIOSK_TEXTS["not_understood"]["en"] in out.getvalue()
    assert kiosk.turns == 1 and len(sink.played) == 1 and not is_silent(sink.played[0].pcm)


def test_speech_onset_needs_a_while_above_the_noise_floor() -> None:
    onset = SpeechOnset()
    loud = noise(0.1, 3000.0)
    assert not any(onset.accept(silence(0.1)) for _ in range(5))
    assert [onset.accept(loud) for _ in range(3)] == [False, False, True]
    onset.reset()
    assert not onset.accept(silence(0.1)) and not onset.accept(loud)
    # a steady loud background raises the floor; then only louder speech counts
    fan = noise(0.1, 400.0, seed=3)
    for _ in range(300):
        onset.accept(fan)
    assert onset.threshold > 2 * SILENCE_RMS
    assert not any(onset.accept(fan) for _ in range(10))
    assert rms(fan) > SILENCE_RMS  # it would have counted as speech in a quiet room


def test_playback_buffer_hands_out_the_reply_then_silence() -> None:
    buffer = PlaybackBuffer(bytes(range(10)))
    out = bytearray(4)
    assert buffer.fill(out) and out == bytes(range(4))
    assert buffer.fill(out) and out == bytes(range(4, 8))
    assert not buffer.fill(out) and out == bytes([8, 9, 0, 0])


def test_resampling_keeps_the_length_in_seconds() -> None:
    tone = (np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050) * 8000).astype("<i2").tobytes()
    out = resample(tone, 22050, SAMPLE_RATE)
    assert duration_seconds(out) == pytest.approx(1.0, abs=0.001)
    assert rms(out) == pytest.approx(rms(tone), rel=0.05)
    assert resample(tone, 22050, 22050) is tone


def test_no_model_says_it_is_not_installed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_environment({"VOSK_MODEL_EN": ""}, env_file=tmp_path / "none.env")
    assert kiosk_microphone_command("en", settings) == 2
    assert NOT_INSTALLED_MESSAGE["en"] in capsys.readouterr().err


def test_without_a_sound_card_the_kiosk_says_there_is_no_microphone() -> None:
    try:
        import sounddevice

        sounddevice.query_devices(kind="input")
    except Exception:  # no PortAudio, or no input device: what this test is about
        pass
    else:
        pytest.skip("this machine has a microphone")
    env = {**os.environ, "VOSK_MODEL_ZH": str(KO_MODEL), "WEB_PORT": "8765", "HOST": "127.0.0.1"}
    done = subprocess.run([sys.executable, "-m", "bot", "kiosk"], cwd=PROJECT_DIR, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    url = "http://127.0.0.1:8765/"
    assert NO_MICROPHONE_MESSAGE["zh"].format(url=url) in done.stderr
    assert NO_MICROPHONE_MESSAGE["en"].format(url=url) in done.stderr
    assert "--wav" in done.stderr and done.stdout == ""
