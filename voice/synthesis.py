"""Speech synthesis: pyttsx3 driving espeak-ng, one engine in one worker thread.

libespeak-ng keeps its state (voice, rate, the synthesis callback) per
process, so the process has exactly one pyttsx3 engine, created in and used
only by one worker thread. Every :class:`Pyttsx3Synthesizer` sends its jobs to
that thread through a queue and gets a :class:`concurrent.futures.Future`
back (or awaits it with :meth:`Pyttsx3Synthesizer.synthesize_async`).

The engine uses :mod:`voice.espeak_driver`, which fixes pyttsx3 2.99's
espeak driver returning before a (Chinese) file is written. Chinese is spoken
with espeak-ng's ``cmn-latn-pinyin`` voice: its plain ``cmn`` voice reads Latin
text as English, and espeak-ng 1.51's Mandarin dictionary gives many common
characters (一, 零, 元, 欢...) as pinyin spellings, which that voice then reads
as English words ("yi one" for 一).

Text is spoken sentence by sentence with a pause between sentences; for
elderly listeners the speech is slower (0.75 of the normal rate) and the
pauses longer. Written replies should first go through
:func:`voice.speech_text.speakable` (:func:`speak_reply` does both).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional, Protocol

from voice.audio import pcm_to_wav, wav_to_pcm
from voice.speech_text import speakable, split_sentences

logger = logging.getLogger(__name__)

NORMAL_RATE = 175
"""espeak-ng's normal speaking rate, in words a minute."""

ELDERLY_RATE_FACTOR = 0.75
"""How much slower speech for elderly listeners is."""

MIN_RATE, MAX_RATE = 80, 450
"""The rates espeak-ng accepts."""

SENTENCE_PAUSE = 0.35
"""Seconds of silence between sentences (normal speech)."""

ELDERLY_SENTENCE_PAUSE = 0.8
"""Seconds of silence between sentences for elderly listeners."""

JOB_TIMEOUT = 180.0
"""Seconds a caller of :meth:`Pyttsx3Synthesizer.synthesize` waits for its audio."""

VOICES: dict[str, tuple[str, ...]] = {
    "zh": ("sit/cmn-latn-pinyin", "sit/cmn"),
    "en": ("gmw/en-us", "gmw/en"),
}
"""espeak-ng voices (pyttsx3 voice ids) for each language, best first."""

# Reason codes of SynthesisError.
NOTHING_TO_SAY = "nothing_to_say"
UNKNOWN_LANGUAGE = "unknown_language"
NO_ENGINE = "no_engine"
ENGINE_FAILED = "engine_failed"

NOT_INSTALLED_MESSAGE = {
    "zh": "语音播报没有安装，请看文字，或请管理员运行 scripts/setup-system.sh",
    "en": "Speech output is not installed; please read the text, or ask the administrator to run "
          "scripts/setup-system.sh",
}


class SynthesisError(RuntimeError):
    """Speech could not be made.

    Attributes:
        reason: ``NOTHING_TO_SAY``, ``UNKNOWN_LANGUAGE``, ``NO_ENGINE`` (espeak-ng
            or its voice is not installed) or ``ENGINE_FAILED``.

    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Synthesizer(Protocol):
    """Turns text into speech (a WAV file's bytes)."""

    def synthesize(self, text: str, language: str, rate_factor: float = 1.0) -> bytes:
        """Speak ``text`` in ``language`` (``zh`` or ``en``); ``rate_factor`` < 1 is slower."""
        ...


@dataclass
class _Job:
    sentences: list[str]
    language: str
    rate: int
    pause: float
    future: concurrent.futures.Future[bytes] = field(default_factory=concurrent.futures.Future)


class _EngineWorker:
    """The process's one pyttsx3 engine, in the one thread that uses it."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="pyttsx3-engine", daemon=True)
        self.engine: Any = None
        self.voices: dict[str, str] = {}
        self._errors: list[Exception] = []
        self._startup_error: Optional[SynthesisError] = None
        self.thread.start()

    def submit(self, job: _Job) -> concurrent.futures.Future[bytes]:
        self._jobs.put(job)
        return job.future

    def _run(self) -> None:
        with tempfile.TemporaryDirectory(prefix="voice-tts-") as folder:
            try:
                self._start_engine()
            except SynthesisError as error:
                self._startup_error = error
            while True:
                job = self._jobs.get()
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    if self._startup_error is not None:
                        raise self._startup_error
                    job.future.set_result(self._speak(job, Path(folder) / "utterance.wav"))
                except Exception as error:  # the caller gets every failure through its future
                    job.future.set_exception(error)

    def _start_engine(self) -> None:
        try:
            import pyttsx3

            from voice.espeak_driver import DRIVER_NAME
        except (ImportError, OSError, RuntimeError) as error:
            raise SynthesisError(NO_ENGINE, f"espeak-ng is not installed: {error}") from error
        try:
            self.engine = pyttsx3.Engine(DRIVER_NAME)
            self.engine.connect("error", self._on_error)
            installed = {voice.id for voice in self.engine.getProperty("voices")}
        except Exception as error:  # whatever the library raises, callers get one error, not a dead thread
            raise SynthesisError(NO_ENGINE, f"espeak-ng could not start: {error}") from error
        for language, candidates in VOICES.items():
            chosen = next((voice for voice in candidates if voice in installed), None)
            if chosen is not None:
                self.voices[language] = chosen
            else:
                logger.warning("No espeak-ng voice for %s (looked for %s)", language, ", ".join(candidates))

    def _on_error(self, name: Any = None, exception: Optional[Exception] = None) -> None:
        self._errors.append(exception or RuntimeError("pyttsx3 reported an error"))

    def _speak(self, job: _Job, scratch: Path) -> bytes:
        voice = self.voices.get(job.language)
        if voice is None:
            raise SynthesisError(NO_ENGINE, f"no espeak-ng voice for {job.language!r}")
        from voice.espeak_driver import SynchronousEspeakDriver

        rate = SynchronousEspeakDriver.sample_rate
        silence = bytes(2 * round(job.pause * rate))
        pieces: list[bytes] = []
        for sentence in job.sentences:
            self._errors.clear()
            self.engine.setProperty("voice", voice)
            self.engine.setProperty("rate", job.rate)
            self.engine.save_to_file(sentence, str(scratch))
            self.engine.runAndWait()
            if self._errors:
                raise SynthesisError(ENGINE_FAILED, str(self._errors[0])) from self._errors[0]
            pcm, file_rate = wav_to_pcm(scratch.read_bytes())
            scratch.unlink()
            rate = file_rate
            if pieces:
                pieces.append(silence)
            pieces.append(pcm)
        return pcm_to_wav(b"".join(pieces), rate)


_worker: Optional[_EngineWorker] = None
_worker_lock = threading.Lock()


def engine_worker() -> _EngineWorker:
    """The process's speech engine thread, started on first use."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _EngineWorker()
        return _worker


def engine_thread() -> Optional[threading.Thread]:
    """The thread that owns the pyttsx3 engine, or None before the first synthesis."""
    return _worker.thread if _worker is not None else None


class Pyttsx3Synthesizer:
    """Speech through pyttsx3 and espeak-ng; safe to share between threads and event loops.

    Args:
        elderly: Slower speech (``ELDERLY_RATE_FACTOR`` of normal) and longer
            pauses between sentences.
        normal_rate: The normal rate in words a minute.

    """

    def __init__(self, *, elderly: bool = False, normal_rate: int = NORMAL_RATE) -> None:
        self.elderly = elderly
        self.normal_rate = normal_rate

    def rate_for(self, rate_factor: float = 1.0, elderly: Optional[bool] = None) -> int:
        """The espeak-ng rate (words a minute) for a rate factor, elderly slowing included."""
        slow = self.elderly if elderly is None else elderly
        factor = rate_factor * (ELDERLY_RATE_FACTOR if slow else 1.0)
        return max(MIN_RATE, min(MAX_RATE, round(self.normal_rate * factor)))

    def submit(self, text: str, language: str, rate_factor: float = 1.0, *,
               elderly: Optional[bool] = None) -> concurrent.futures.Future[bytes]:
        """Queue speech for the engine thread.

        Args:
            text: What to say (already in spoken form, see :func:`speak_reply`).
            language: ``zh`` or ``en``.
            rate_factor: Below 1 is slower, above 1 faster.
            elderly: For this text only, elderly speech on or off (default: the synthesizer's).

        Returns:
            A future of the WAV file's bytes (mono, 16-bit, espeak-ng's rate).

        Raises:
            SynthesisError: Unknown language, or nothing to say.

        """
        if language not in VOICES:
            raise SynthesisError(UNKNOWN_LANGUAGE, f"no voice for {language!r}")
        sentences = split_sentences(text)
        if not sentences:
            raise SynthesisError(NOTHING_TO_SAY, "the text has nothing to read aloud")
        slow = self.elderly if elderly is None else elderly
        pause = ELDERLY_SENTENCE_PAUSE if slow else SENTENCE_PAUSE
        return engine_worker().submit(_Job(sentences, language, self.rate_for(rate_factor, slow), pause))

    def synthesize(self, text: str, language: str, rate_factor: float = 1.0, *,
                   elderly: Optional[bool] = None) -> bytes:
        """Speak ``text`` and return a WAV file's bytes (waits for the engine thread).

        Args:
            text: What to say (already in spoken form, see :func:`speak_reply`).
            language: ``zh`` or ``en``.
            rate_factor: Below 1 is slower, above 1 faster.
            elderly: For this text only, elderly speech on or off (default: the synthesizer's).

        Returns:
            The WAV file's bytes.

        Raises:
            SynthesisError: Nothing to say, unknown language, espeak-ng missing, or the engine failed.

        """
        try:
            return self.submit(text, language, rate_factor, elderly=elderly).result(timeout=JOB_TIMEOUT)
        except concurrent.futures.TimeoutError as error:
            raise SynthesisError(ENGINE_FAILED, f"no audio within {JOB_TIMEOUT:g} s") from error

    async def synthesize_async(self, text: str, language: str, rate_factor: float = 1.0, *,
                               elderly: Optional[bool] = None) -> bytes:
        """:meth:`synthesize` for asyncio code: awaits the engine thread without blocking the loop."""
        return await asyncio.wrap_future(self.submit(text, language, rate_factor, elderly=elderly))


_shared: Optional[Pyttsx3Synthesizer] = None


def shared_synthesizer() -> Pyttsx3Synthesizer:
    """The process's synthesizer at normal speed (pass ``elderly=True`` per call for slow speech)."""
    global _shared
    with _worker_lock:
        if _shared is None:
            _shared = Pyttsx3Synthesizer()
        return _shared


def speak_reply(synthesizer: Synthesizer, reply: str, language: str, rate_factor: float = 1.0,
                today: Optional[date] = None) -> bytes:
    """Speak a written reply: rewrite it for listening (:func:`speakable`), then synthesise it.

    Args:
        synthesizer: The engine.
        reply: The reply as shown in writing.
        language: ``zh`` or ``en``.
        rate_factor: Below 1 is slower.
        today: The current date (for reading dates).

    Returns:
        The WAV file's bytes.

    Raises:
        SynthesisError: As :meth:`Pyttsx3Synthesizer.synthesize`.

    """
    return synthesizer.synthesize(speakable(reply, language, today), language, rate_factor)
