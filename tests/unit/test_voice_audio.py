import io
import math
import subprocess
import wave

import numpy as np
import pytest

from tests.unit.voice_helpers import espeak_wav, ogg_opus
from voice import audio
from voice.audio import (
    AudioError,
    decode_to_pcm16k,
    duration_seconds,
    is_silent,
    pcm_to_wav,
    rms,
    wav_to_ogg_opus,
    wav_to_pcm,
)


def tone(seconds: float, rate: int = 16000, amplitude: int = 8000) -> bytes:
    samples = np.arange(int(seconds * rate))
    return (amplitude * np.sin(2 * math.pi * 440 * samples / rate)).astype("<i2").tobytes()


def test_a_voice_note_of_real_speech_decodes_to_16k_mono_pcm() -> None:
    wav = espeak_wav("Hello, I would like to renew my identity card.", "en-us")
    with wave.open(io.BytesIO(wav)) as spoken:  # espeak-ng --stdout leaves the length unset: count
        expected = len(spoken.readframes(10**9)) / 2 / spoken.getframerate()

    pcm = decode_to_pcm16k(ogg_opus(wav))

    assert len(pcm) % 2 == 0
    assert duration_seconds(pcm) == pytest.approx(expected, abs=0.1)
    assert not is_silent(pcm)
    assert rms(pcm) > 1000


@pytest.mark.parametrize("codec", [["-f", "mp3"], ["-f", "wav", "-ar", "44100", "-ac", "2"]])
def test_other_formats_decode_too(codec: list[str]) -> None:
    wav = pcm_to_wav(tone(1.0))
    converted = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
                                *codec, "pipe:1"], input=wav, capture_output=True, check=True).stdout
    pcm = decode_to_pcm16k(converted)
    assert duration_seconds(pcm) == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", audio.EMPTY), (b"this is not audio at all" * 50, audio.CORRUPT), (bytes(4096), audio.CORRUPT),
     (b"OggS" + bytes(200), audio.CORRUPT)],
)
def test_unusable_input_is_one_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(AudioError) as raised:
        decode_to_pcm16k(data)
    assert raised.value.reason == reason
    assert raised.value.message("zh") and raised.value.message("en")


def test_too_large_and_too_long_recordings_are_refused() -> None:
    wav = pcm_to_wav(tone(3.0))
    with pytest.raises(AudioError) as raised:
        decode_to_pcm16k(wav, max_bytes=1000)
    assert raised.value.reason == audio.TOO_LARGE
    with pytest.raises(AudioError) as raised:
        decode_to_pcm16k(wav, max_seconds=2.0)
    assert raised.value.reason == audio.TOO_LONG
    assert "太长" in raised.value.message("zh")
    assert duration_seconds(decode_to_pcm16k(wav, max_seconds=3.0)) == pytest.approx(3.0, abs=0.05)


def test_a_playlist_cannot_make_ffmpeg_read_other_files(tmp_path: object) -> None:
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    with pytest.raises(AudioError) as raised:
        decode_to_pcm16k(playlist)
    assert raised.value.reason == audio.CORRUPT


def test_a_missing_ffmpeg_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioError) as raised:
        decode_to_pcm16k(pcm_to_wav(tone(0.5)))
    assert raised.value.reason == audio.NO_FFMPEG
    assert "ffmpeg" in raised.value.message("en")


def test_wav_round_trip() -> None:
    pcm = tone(0.5, rate=22050)
    wav = pcm_to_wav(pcm, rate=22050)
    assert wav[:4] == b"RIFF"
    assert wav_to_pcm(wav) == (pcm, 22050)
    assert duration_seconds(pcm, 22050) == pytest.approx(0.5, abs=0.001)
    with pytest.raises(AudioError):
        wav_to_pcm(b"not a wav")


def test_a_reply_becomes_a_telegram_voice_note() -> None:
    ogg = wav_to_ogg_opus(espeak_wav("Your application is submitted.", "en-us"))
    assert ogg[:4] == b"OggS"
    head = ogg.index(b"OpusHead")
    assert ogg[head + 9] == 1  # OpusHead's channel count: mono
    # and it decodes back to speech
    assert not is_silent(decode_to_pcm16k(ogg))


@pytest.mark.parametrize(
    ("pcm", "silent"),
    [(b"", True), (bytes(32000), True), (tone(0.5, amplitude=100), True), (tone(0.5), False),
     (b"\x01", True)],
)
def test_is_silent(pcm: bytes, silent: bool) -> None:
    assert is_silent(pcm) is silent


def test_rms_of_a_sine() -> None:
    assert rms(tone(1.0, amplitude=10000)) == pytest.approx(10000 / math.sqrt(2), rel=0.01)
