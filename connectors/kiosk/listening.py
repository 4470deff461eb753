"""One spoken utterance arriving from the kiosk page, piece by piece.

The page streams 16-bit PCM while the "hold to talk" button is held. Each
piece is converted to 16 kHz mono (whatever rate and channel count the page
announced), fed to a live Vosk session (partial text comes back as it
changes), and kept so that the finished utterance can be judged: nothing
heard, too loud (clipped), not understood, or words to send to the assistant.
"""

from __future__ import annotations

import audioop
from dataclasses import dataclass
from typing import Any, Optional

from voice.audio import SAMPLE_RATE, is_silent
from voice.recognition import UNKNOWN, RecognitionSession, join_cjk

#: The only sample format the page may send: signed 16-bit little-endian PCM.
PCM16 = "pcm16"
#: Sample rates accepted (converted to 16 kHz here).
MIN_RATE, MAX_RATE = 8000, 96000
#: Channels accepted (mixed down to mono here).
MAX_CHANNELS = 2
#: Samples at or beyond this level count as clipped.
CLIP_LEVEL = 32000
#: An utterance with more clipped samples than this share is "too loud".
CLIPPED_SHARE = 0.02
#: Shorter than this (seconds) is a tap on the button, not speech.
MIN_SECONDS = 0.25

#: What a finished utterance turned out to be.
HEARD = "heard"
NOTHING_HEARD = "nothing_heard"
TOO_LOUD = "too_loud"
NOT_UNDERSTOOD = "not_understood"


class AudioFormatError(ValueError):
    """The page announced audio this server cannot take."""


@dataclass(frozen=True)
class AudioFormat:
    """How the page's audio is encoded."""

    sample_rate: int = SAMPLE_RATE
    channels: int = 1

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "AudioFormat":
        """Read and check the format a ``start`` message announces.

        Raises:
            AudioFormatError: Not 16-bit PCM, or a rate or channel count out of range.

        """
        encoding = message.get("format", PCM16)
        rate = message.get("sample_rate", SAMPLE_RATE)
        channels = message.get("channels", 1)
        if encoding != PCM16:
            raise AudioFormatError(f"format {encoding!r} is not {PCM16}")
        if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
            raise AudioFormatError(f"sample rate {rate!r} is not {MIN_RATE}-{MAX_RATE}")
        if not isinstance(channels, int) or isinstance(channels, bool) or not 1 <= channels <= MAX_CHANNELS:
            raise AudioFormatError(f"channel count {channels!r} is not 1-{MAX_CHANNELS}")
        return cls(rate, channels)


@dataclass(frozen=True)
class Heard:
    """The outcome of one utterance: ``HEARD`` with its text, or why there is none."""

    outcome: str
    text: str = ""
    seconds: float = 0.0


class Utterance:
    """Audio of one utterance, converted, recognised live and judged at the end.

    Not thread-safe: feed it from one task (the recogniser work may run in a
    worker thread, one call at a time).
    """

    def __init__(self, session: Optional[RecognitionSession], audio_format: AudioFormat) -> None:
        """Start an utterance.

        Args:
            session: The live recognition session, or None when there is no model
                (the audio is still judged, so the user hears why nothing happened).
            audio_format: What the page sends.

        """
        self.session = session
        self.format = audio_format
        self._pcm = bytearray()
        self._odd = b""
        self._rate_state: Any = None

    @property
    def seconds(self) -> float:
        """Seconds of (16 kHz) audio received so far."""
        return len(self._pcm) / (2 * SAMPLE_RATE)

    @property
    def ended(self) -> bool:
        """Whether the recogniser decided the utterance is over (long silence, or the maximum length)."""
        return self.session is not None and self.session.ended

    @property
    def too_long(self) -> bool:
        """Whether the utterance reached the recogniser's maximum length."""
        return self.session is not None and self.seconds >= self.session.max_utterance

    def _to_pcm16k(self, data: bytes) -> bytes:
        data = self._odd + data
        frame = 2 * self.format.channels
        usable = len(data) - len(data) % frame
        self._odd = data[usable:]
        pcm = data[:usable]
        if self.format.channels == 2:
            pcm = audioop.tomono(pcm, 2, 0.5, 0.5)
        if self.format.sample_rate != SAMPLE_RATE and pcm:
            pcm, self._rate_state = audioop.ratecv(pcm, 2, 1, self.format.sample_rate, SAMPLE_RATE,
                                                   self._rate_state)
        return pcm

    def feed(self, data: bytes) -> Optional[str]:
        """Take the next piece of audio; return the text heard so far when it changed."""
        if self.ended:
            return None
        pcm = self._to_pcm16k(data)
        if not pcm:
            return None
        self._pcm += pcm
        return self.session.accept(pcm) if self.session is not None else None

    def clipped_share(self) -> float:
        """The share of samples at full scale."""
        if not self._pcm:
            return 0.0
        samples = memoryview(bytes(self._pcm)).cast("h")
        clipped = sum(1 for sample in samples if sample >= CLIP_LEVEL or sample <= -CLIP_LEVEL)
        return clipped / len(samples)

    def finish(self) -> Heard:
        """End the utterance and judge it."""
        seconds = self.seconds
        text = self.session.finish().text.strip() if self.session is not None else ""
        if seconds < MIN_SECONDS or is_silent(bytes(self._pcm)):
            return Heard(NOTHING_HEARD, seconds=seconds)
        words = text.replace(UNKNOWN, " ").split()
        if not words:
            too_loud = self.clipped_share() > CLIPPED_SHARE
            return Heard(TOO_LOUD if too_loud else NOT_UNDERSTOOD, seconds=seconds)
        return Heard(HEARD, text=join_cjk(" ".join(words)), seconds=seconds)
