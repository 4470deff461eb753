"""Audio in and out: any recording to the PCM that Vosk hears, WAV to Telegram voice notes.

Decoding and encoding run ffmpeg in a subprocess, with a time limit and a size
limit, reading only plain audio containers (no playlists, no network). The
recogniser's format is 16 kHz mono signed 16-bit little-endian PCM.
"""

from __future__ import annotations

import io
import math
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Optional

import numpy as np

SAMPLE_RATE = 16000
"""Sample rate of the PCM the recogniser hears."""

SAMPLE_WIDTH = 2
"""Bytes per sample (signed 16-bit)."""

MAX_INPUT_BYTES = 20 * 1024 * 1024
"""Largest recording accepted (the largest file a Telegram bot may download)."""

MAX_SECONDS = 120.0
"""Longest recording decoded; longer ones are refused rather than cut."""

FFMPEG_TIMEOUT = 30.0
"""Seconds ffmpeg may take for one conversion."""

SILENCE_RMS = 300.0
"""RMS level (of 32768) below which audio counts as silence."""

# Demuxers ffmpeg may use for recordings: audio containers only, so that a
# crafted "recording" (an HLS playlist, a concat list) cannot make ffmpeg open
# other files or addresses.
_DEMUXERS = "ogg,wav,mp3,flac,mov,mp4,m4a,3gp,matroska,webm,aac,amr,caf"

# Reason codes of AudioError.
EMPTY = "empty"
TOO_LARGE = "too_large"
TOO_LONG = "too_long"
CORRUPT = "corrupt"
TIMEOUT = "timeout"
NO_FFMPEG = "no_ffmpeg"

_MESSAGES = {
    EMPTY: {"zh": "这段语音里没有声音，请再说一遍，或者打字。",
            "en": "I could not hear anything in that recording. Please say it again, or type."},
    TOO_LARGE: {"zh": "这段语音太大了，请说短一点，或者打字。",
                "en": "That recording is too large. Please say it more briefly, or type."},
    TOO_LONG: {"zh": "这段语音太长了，请说短一点，一次说一件事。",
               "en": "That recording is too long. Please say it more briefly, one thing at a time."},
    CORRUPT: {"zh": "这段语音打不开，请再录一次，或者打字。",
              "en": "I could not open that recording. Please record it again, or type."},
    TIMEOUT: {"zh": "处理这段语音用的时间太长了，请再录一次，或者打字。",
              "en": "That recording took too long to process. Please record it again, or type."},
    NO_FFMPEG: {"zh": "语音功能暂时不能用，请打字，或请管理员安装 ffmpeg。",
                "en": "Voice is not available right now; please type, "
                      "or ask the administrator to install ffmpeg."},
}


class AudioError(Exception):
    """A recording that cannot be used, with a reason code and a message for the citizen.

    Attributes:
        reason: One of ``EMPTY``, ``TOO_LARGE``, ``TOO_LONG``, ``CORRUPT``,
            ``TIMEOUT``, ``NO_FFMPEG``.
        detail: What went wrong, for logs (ffmpeg's last words, sizes).

    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def message(self, language: str) -> str:
        """The citizen's explanation in ``zh`` or ``en`` (``zh`` for other languages)."""
        texts = _MESSAGES[self.reason]
        return texts.get(language, texts["zh"])


def _run_ffmpeg(arguments: list[str], data: Optional[bytes], timeout: float) -> bytes:
    """Run ffmpeg quietly and return what it wrote to stdout.

    Raises:
        AudioError: ffmpeg is missing (``NO_FFMPEG``), too slow (``TIMEOUT``)
            or failed (``CORRUPT``, with its last error line as detail).

    """
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *arguments]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as error:
        raise AudioError(NO_FFMPEG, "ffmpeg is not on PATH (run scripts/setup-system.sh)") from error
    except subprocess.TimeoutExpired as error:
        raise AudioError(TIMEOUT, f"ffmpeg took more than {timeout:g} s") from error
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise AudioError(CORRUPT, lines[-1] if lines else f"ffmpeg exited with {done.returncode}")
    return done.stdout


def decode_to_pcm16k(data: bytes, *, max_seconds: float = MAX_SECONDS,
                     max_bytes: int = MAX_INPUT_BYTES, timeout: float = FFMPEG_TIMEOUT) -> bytes:
    """Decode a recording (OGG/Opus, WAV, MP3, M4A...) to 16 kHz mono 16-bit PCM.

    Args:
        data: The recording's bytes, in any audio container ffmpeg reads.
        max_seconds: Longest recording accepted.
        max_bytes: Largest recording accepted.
        timeout: Seconds ffmpeg may take.

    Returns:
        Signed 16-bit little-endian samples at 16 kHz, one channel.

    Raises:
        AudioError: The recording is empty, too large, too long, unreadable,
            or ffmpeg is missing or too slow.

    """
    if not data:
        raise AudioError(EMPTY, "no bytes")
    if len(data) > max_bytes:
        raise AudioError(TOO_LARGE, f"{len(data)} bytes, at most {max_bytes}")
    with tempfile.TemporaryDirectory(prefix="voice-") as folder:
        # A file rather than a pipe: MP4/M4A recordings need a seekable input.
        source = Path(folder) / "recording"
        source.write_bytes(data)
        pcm = _run_ffmpeg(
            ["-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS, "-i", str(source),
             # A little more than allowed, to tell "too long" from "just long enough".
             "-t", f"{max_seconds + 1:g}", "-vn", "-sn", "-dn",
             "-ac", "1", "-ar", str(SAMPLE_RATE), "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"],
            None, timeout)
    pcm = pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH]
    if not pcm:
        raise AudioError(EMPTY, "no audio samples")
    if duration_seconds(pcm) > max_seconds:
        raise AudioError(TOO_LONG, f"longer than {max_seconds:g} s")
    return pcm


def duration_seconds(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    """Seconds of audio in mono 16-bit PCM at ``rate`` samples a second."""
    return len(pcm) / (SAMPLE_WIDTH * rate)


def pcm_to_wav(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """Wrap mono 16-bit PCM in a WAV file.

    Args:
        pcm: Signed 16-bit little-endian samples, one channel.
        rate: Samples a second.

    Returns:
        The WAV file's bytes.

    """
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def wav_to_pcm(wav: bytes) -> tuple[bytes, int]:
    """Read a mono 16-bit WAV file.

    Args:
        wav: The WAV file's bytes.

    Returns:
        The samples and the sample rate.

    Raises:
        AudioError: Not a mono 16-bit PCM WAV file (``CORRUPT``).

    """
    try:
        with wave.open(io.BytesIO(wav), "rb") as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != SAMPLE_WIDTH:
                raise AudioError(CORRUPT, "not a mono 16-bit WAV file")
            return reader.readframes(reader.getnframes()), reader.getframerate()
    except (wave.Error, EOFError) as error:
        raise AudioError(CORRUPT, f"not a WAV file: {error}") from error


def wav_to_ogg_opus(wav: bytes, *, bitrate: str = "32k", timeout: float = FFMPEG_TIMEOUT) -> bytes:
    """Encode a WAV file as a Telegram voice note: OGG container, Opus codec, mono.

    Args:
        wav: The WAV file's bytes (any rate; resampled to the 48 kHz Opus uses).
        bitrate: Opus bit rate; 32k is clear for speech.
        timeout: Seconds ffmpeg may take.

    Returns:
        The OGG/Opus file's bytes.

    Raises:
        AudioError: The WAV is empty or unreadable, or ffmpeg is missing or too slow.

    """
    if not wav:
        raise AudioError(EMPTY, "no bytes")
    return _run_ffmpeg(
        ["-protocol_whitelist", "pipe", "-f", "wav", "-i", "pipe:0", "-vn",
         "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", bitrate, "-application", "voip",
         "-f", "ogg", "pipe:1"],
        wav, timeout)


def rms(pcm: bytes) -> float:
    """Root mean square level of 16-bit PCM (0 for no samples; at most 32768)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH], dtype="<i2")
    if samples.size == 0:
        return 0.0
    return math.sqrt(float(np.mean(samples.astype(np.float64) ** 2)))


def is_silent(pcm: bytes, threshold: float = SILENCE_RMS) -> bool:
    """Whether 16-bit PCM is silence (or near it): its RMS level is below ``threshold``."""
    return rms(pcm) < threshold
