"""The voice kiosk on a microphone: listen, answer aloud, stop talking when interrupted.

``python -m bot kiosk [--lang zh|en]`` runs :class:`MicrophoneKiosk` on the
default microphone and loudspeaker until Ctrl-C. Each turn:

1. **Waiting.** The microphone is read in 0.1 s pieces. Nothing is sent to the
   recogniser until someone speaks: speech energy above the noise floor for
   0.3 s (:class:`SpeechOnset`). Silence, however long, just keeps the kiosk
   waiting; the last second before the speech started is kept, so the first
   syllable is not lost.
2. **Listening.** The audio goes to a :class:`voice.recognition.RecognitionSession`,
   which ends after 2.5 s of silence following speech (elderly speakers pause
   to think) or at 30 s. The text heard so far is shown on one line as it
   changes.
3. **Answering.** The text goes to the assistant over its REST channel (one
   sender id for the whole run, so the conversation keeps its context), the
   replies are printed and spoken at senior pace (:mod:`voice.kiosk`). When
   nothing could be made out, the kiosk kindly asks to say it again.
4. **Barge-in.** While the reply plays the microphone is still read; when
   speech stays above the noise floor for 0.3 s the reply stops at once and
   the kiosk listens to the new utterance (step 2), its beginning included.

The sound devices are behind two small interfaces, :class:`AudioSource` (pieces
of 16 kHz mono 16-bit PCM) and :class:`AudioSink` (plays, can be stopped), so
the loop runs the same on recorded audio; :class:`SounddeviceSource` and
:class:`SounddeviceSink` are the PortAudio ones (the ``sounddevice`` package
and the system library libportaudio2). Without PortAudio or a microphone,
:func:`kiosk_microphone_command` says so in both languages, suggests
``--wav FILE`` and the kiosk web page, and exits with 2.

The noise floor follows the quietest recent audio (it falls at once and rises
slowly), so a steady fan or the kiosk's own voice coming back through the
microphone raises it; a loudspeaker close to the microphone can still
interrupt a reply by itself, which a directional microphone, a handset, or the
sound system's echo cancellation (PipeWire/PulseAudio ``echo-cancel``) avoids.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable, Optional, Protocol, TextIO

import numpy as np

from bot.settings import Settings
from voice.audio import SAMPLE_RATE, SAMPLE_WIDTH, SILENCE_RMS, AudioError, rms, wav_to_pcm
from voice.kiosk import KIOSK_TEXTS, VOICE_UNAVAILABLE, ask, new_sender, speak
from voice.recognition import RecognitionSession, VoiceUnavailable, require_recognizer
from voice.synthesis import SynthesisError

logger = logging.getLogger(__name__)

CHUNK_SECONDS = 0.1
"""Length of the pieces the microphone is read in."""

ONSET_SECONDS = 0.3
"""How long speech energy must stay above the noise floor to count as someone speaking."""

NOISE_FACTOR = 3.0
"""How far above the noise floor (about 10 dB) speech must be."""

FLOOR_RISE = 0.02
"""How fast the noise floor rises towards louder audio, per 0.1 s (it falls at once)."""

PREROLL_SECONDS = 1.0
"""Audio kept from before the speech was noticed and given to the recogniser with it."""

BACKLOG_SECONDS = 60.0
"""Microphone audio kept while the kiosk is busy answering (older audio is dropped beyond this)."""

NO_MICROPHONE_MESSAGE = {
    "zh": "没有找到麦克风。请接好麦克风后再试；也可以用 --wav 文件 试一段录音，"
          "或者在浏览器里打开自助机网页 {url}",
    "en": "No microphone was found. Please connect a microphone and try again; or try a recording "
          "with --wav FILE, or open the kiosk web page at {url}",
}
"""What the kiosk's administrator is told when there is no microphone (both languages are shown)."""

NO_LOUDSPEAKER_MESSAGE = {
    "zh": "没有找到扬声器，回答只显示文字。",
    "en": "No loudspeaker was found; answers are shown as text only.",
}

_LABELS = {
    "zh": {"hearing": "听到：", "heard": "我听到的是：", "listening": "请说话。（按 Ctrl-C 结束）",
           "goodbye": "再见。"},
    "en": {"hearing": "Hearing: ", "heard": "I heard: ", "listening": "Please speak. (Ctrl-C to stop)",
           "goodbye": "Goodbye."},
}


class MicrophoneUnavailable(Exception):
    """No microphone can be used (PortAudio missing, no input device, the device failed).

    Attributes:
        detail: What went wrong, for the administrator.

    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @staticmethod
    def message(settings: Settings) -> str:
        """The explanation in Chinese and English, with the kiosk web page's address."""
        url = f"http://{settings.host}:{settings.web_port}/"
        return "\n".join(text.format(url=url) for text in NO_MICROPHONE_MESSAGE.values())


class AudioSource(Protocol):
    """Where the kiosk hears from: pieces of 16 kHz mono 16-bit PCM, as they come."""

    def __iter__(self) -> Iterator[bytes]:
        """Yield the next piece (about 0.1 s) when it is there; end when the source ends."""
        ...

    def close(self) -> None:
        """Stop hearing and free the device."""
        ...


class AudioSink(Protocol):
    """Where the kiosk speaks: plays one reply at a time, and can be stopped at once."""

    def play(self, pcm: bytes, rate: int) -> None:
        """Start playing mono 16-bit PCM at ``rate`` samples a second; return at once.

        Raises:
            OSError: The device cannot play (no loudspeaker).

        """
        ...

    def stop(self) -> None:
        """Stop playing now, dropping what is left."""
        ...

    @property
    def playing(self) -> bool:
        """Whether a reply is still playing."""
        ...

    def close(self) -> None:
        """Stop and free the device."""
        ...


class SessionFactory(Protocol):
    """Starts recognition sessions (:class:`voice.recognition.VoskRecognizer` is one)."""

    def session(self, grammar: Optional[Sequence[str]] = None) -> RecognitionSession:
        """A session for one utterance."""
        ...


class SpeechOnset:
    """Notices someone starting to speak: energy above the noise floor for a while.

    The noise floor follows the quietest audio: it drops at once to a quieter
    piece and rises slowly (:data:`FLOOR_RISE`) towards louder ones, so a
    steady background sound is soon part of it and a voice is not.

    Args:
        hold: Seconds the energy must stay above the threshold.
        min_rms: The threshold in silence (the recogniser's silence level).
        factor: How many times the noise floor the energy must be.

    """

    def __init__(self, hold: float = ONSET_SECONDS, min_rms: float = SILENCE_RMS,
                 factor: float = NOISE_FACTOR) -> None:
        self.hold = hold
        self.min_rms = min_rms
        self.factor = factor
        self.floor: Optional[float] = None
        """The noise floor (RMS), None before any audio."""
        self._loud_for = 0.0

    @property
    def threshold(self) -> float:
        """The RMS level speech must reach now."""
        return max(self.min_rms, self.factor * (self.floor or 0.0))

    def accept(self, chunk: bytes) -> bool:
        """Hear one piece of audio; True when speech has now lasted :attr:`hold` seconds."""
        level = rms(chunk)
        seconds = len(chunk) / (SAMPLE_WIDTH * SAMPLE_RATE)
        if level >= self.threshold:
            self._loud_for += seconds
        else:
            self._loud_for = 0.0
        if self.floor is None or level < self.floor:
            self.floor = level
        else:
            self.floor += (level - self.floor) * min(1.0, FLOOR_RISE * seconds / CHUNK_SECONDS)
        return self._loud_for >= self.hold - 1e-9

    def reset(self) -> None:
        """Forget the speech heard so far (the noise floor is kept)."""
        self._loud_for = 0.0


class MicrophoneKiosk:
    """The kiosk's loop: wait for speech, listen, answer aloud, give way when interrupted.

    Args:
        recognizer: Starts a recognition session per utterance.
        sink: Where replies are played.
        ask: Sends what was heard to the assistant; returns the replies' texts.
        speak: Turns a reply into speech (a WAV file's bytes; empty for nothing).
        language: ``zh`` or ``en``: the kiosk's own words.
        out: Where the text heard and the replies are shown.
        onset: The speech detector (a fresh one by default).

    Attributes:
        turns: Utterances answered (the "not understood" prompt included).
        barge_ins: Replies stopped because the citizen spoke.

    """

    def __init__(self, recognizer: SessionFactory, sink: AudioSink, ask: Callable[[str], list[str]],
                 speak: Callable[[str], bytes], language: str = "zh", out: TextIO = sys.stdout,
                 onset: Optional[SpeechOnset] = None) -> None:
        self.recognizer = recognizer
        self.sink = sink
        self.ask = ask
        self.speak = speak
        self.language = language if language in _LABELS else "zh"
        self.out = out
        self.onset = onset or SpeechOnset()
        self.turns = 0
        self.barge_ins = 0
        self._preroll: deque[bytes] = deque()
        self._preroll_seconds = 0.0
        self._session: Optional[RecognitionSession] = None
        self._clear = "\x1b[K" if getattr(out, "isatty", lambda: False)() else ""
        self._warned: set[str] = set()

    def run(self, chunks: Iterable[bytes]) -> None:
        """Hear the source until it ends (a microphone does not; Ctrl-C stops it)."""
        for chunk in chunks:
            self.hear(chunk)

    def hear(self, chunk: bytes) -> None:
        """Take one piece of audio from the microphone."""
        if self._session is None:
            self._remember(chunk)
            if self.onset.accept(chunk):
                if self.sink.playing:
                    self.sink.stop()
                    self.barge_ins += 1
                self._start_listening()
            return
        heard = self._session.accept(chunk)
        if heard is not None:
            self._show(f"\r{_LABELS[self.language]['hearing']}{heard}{self._clear}")
        if self._session.ended:
            transcript = self._session.finish()
            self._answer("" if transcript.is_empty else transcript.text.strip())

    def _remember(self, chunk: bytes) -> None:
        self._preroll.append(chunk)
        self._preroll_seconds += self._seconds(chunk)
        while self._preroll and self._preroll_seconds - self._seconds(self._preroll[0]) >= PREROLL_SECONDS:
            self._preroll_seconds -= self._seconds(self._preroll.popleft())

    @staticmethod
    def _seconds(chunk: bytes) -> float:
        return len(chunk) / (SAMPLE_WIDTH * SAMPLE_RATE)

    def _start_listening(self) -> None:
        session = self.recognizer.session()
        self._session = session
        preroll = list(self._preroll)
        self._preroll.clear()
        self._preroll_seconds = 0.0
        for chunk in preroll:
            heard = session.accept(chunk)
            if heard is not None:
                self._show(f"\r{_LABELS[self.language]['hearing']}{heard}{self._clear}")

    def _answer(self, heard: str) -> None:
        self._session = None
        self.onset.reset()
        self.turns += 1
        if heard:
            self._show(f"\r{_LABELS[self.language]['heard']}{heard}{self._clear}\n")
            replies = self.ask(heard)
        else:
            self._show(f"\r{self._clear}")
            replies = [KIOSK_TEXTS["not_understood"][self.language]]
        for reply in replies:
            self._show(f"{reply}\n")
        self._play("\n".join(replies))

    def _play(self, text: str) -> None:
        try:
            wav = self.speak(text)
        except SynthesisError as error:
            self._warn_once("synthesis", f"(no speech: {error})")
            return
        if not wav:
            return
        try:
            pcm, rate = wav_to_pcm(wav)
            self.sink.play(pcm, rate)
        except AudioError as error:
            logger.warning("Unplayable speech: %s", error)
        except OSError as error:
            self._warn_once("loudspeaker", f"{NO_LOUDSPEAKER_MESSAGE[self.language]} ({error})")

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print(message, file=sys.stderr)

    def _show(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


# --------------------------------------------------------------------------- sound devices


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Mono 16-bit PCM at another sample rate (linear interpolation; enough for speech)."""
    if from_rate == to_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH], dtype="<i2").astype(np.float64)
    count = int(round(len(samples) * to_rate / from_rate))
    positions = np.arange(count) * (from_rate / to_rate)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


def _sounddevice() -> Any:
    """The sounddevice module (which loads PortAudio).

    Raises:
        MicrophoneUnavailable: The package or the PortAudio library is missing.

    """
    try:
        import sounddevice
    except OSError as error:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise MicrophoneUnavailable(
            f"PortAudio is not installed ({error}); run scripts/setup-system.sh") from error
    except ImportError as error:
        raise MicrophoneUnavailable(f"the sounddevice package is not installed ({error})") from error
    return sounddevice


class SounddeviceSource:
    """The microphone through PortAudio: 16 kHz mono 16-bit pieces of :data:`CHUNK_SECONDS`.

    Audio is collected by PortAudio's callback into a queue, so nothing is lost
    while the kiosk is busy answering (up to :data:`BACKLOG_SECONDS`). A
    microphone that cannot record at 16 kHz is opened at its own rate and
    resampled.

    Args:
        device: PortAudio's device (index or name); None for the default input.

    Raises:
        MicrophoneUnavailable: PortAudio is missing, there is no input device,
            or it cannot be opened.

    """

    def __init__(self, device: Optional[Any] = None) -> None:
        sd = _sounddevice()
        self._sd = sd
        try:
            info = sd.query_devices(device, kind="input")
        except (sd.PortAudioError, ValueError) as error:
            raise MicrophoneUnavailable(f"no input device: {error}") from error
        if int(info.get("max_input_channels", 0)) < 1:
            raise MicrophoneUnavailable(f"{info.get('name', 'the device')} has no input channels")
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=int(BACKLOG_SECONDS / CHUNK_SECONDS))
        self.rate = SAMPLE_RATE
        try:
            self._stream = self._open(device, SAMPLE_RATE)
        except sd.PortAudioError:
            self.rate = int(info.get("default_samplerate") or 48000)
            try:
                self._stream = self._open(device, self.rate)
            except sd.PortAudioError as error:
                raise MicrophoneUnavailable(f"the microphone cannot be opened: {error}") from error
        self.name = str(info.get("name", ""))

    def _open(self, device: Optional[Any], rate: int) -> Any:
        return self._sd.RawInputStream(samplerate=rate, blocksize=int(rate * CHUNK_SECONDS), channels=1,
                                       dtype="int16", device=device, callback=self._collect)

    def _collect(self, data: Any, frames: int, time: Any, status: Any) -> None:
        chunk = bytes(data)
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:  # the kiosk has been busy a long time: drop the oldest audio
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self._queue.put_nowait(chunk)

    def __iter__(self) -> Iterator[bytes]:
        """Start the microphone and yield its pieces as they come (Ctrl-C interrupts the wait).

        Raises:
            MicrophoneUnavailable: The microphone stopped delivering audio.

        """
        try:
            self._stream.start()
        except self._sd.PortAudioError as error:
            raise MicrophoneUnavailable(f"the microphone cannot be started: {error}") from error
        silent_waits = 0
        while True:
            try:
                chunk = self._queue.get(timeout=0.5)
            except queue.Empty:
                silent_waits += 1
                if not self._stream.active or silent_waits >= 10:
                    raise MicrophoneUnavailable("the microphone stopped delivering audio") from None
                continue
            silent_waits = 0
            yield resample(chunk, self.rate, SAMPLE_RATE)

    def close(self) -> None:
        """Stop the microphone."""
        try:
            self._stream.abort()
            self._stream.close()
        except self._sd.PortAudioError:
            pass


class SounddeviceSink:
    """The loudspeaker through PortAudio: one reply at a time, stopped at once on request.

    Args:
        device: PortAudio's device (index or name); None for the default output.

    Raises:
        MicrophoneUnavailable: PortAudio is missing.

    """

    def __init__(self, device: Optional[Any] = None) -> None:
        self._sd = _sounddevice()
        self._device = device
        self._stream: Any = None

    def play(self, pcm: bytes, rate: int) -> None:
        """Start playing; return at once.

        Raises:
            OSError: No output device, or it cannot play this audio.

        """
        self.stop()
        sd = self._sd
        buffer = PlaybackBuffer(pcm)

        def fill(out: Any, frames: int, time: Any, status: Any) -> None:
            if not buffer.fill(out):
                raise sd.CallbackStop

        try:
            stream = sd.RawOutputStream(samplerate=rate, channels=1, dtype="int16", device=self._device,
                                        callback=fill)
        except sd.PortAudioError:
            try:
                info = sd.query_devices(self._device, kind="output")
                device_rate = int(info.get("default_samplerate") or 48000)
                buffer = PlaybackBuffer(resample(pcm, rate, device_rate))
                stream = sd.RawOutputStream(samplerate=device_rate, channels=1, dtype="int16",
                                            device=self._device, callback=fill)
            except (sd.PortAudioError, ValueError) as error:
                raise OSError(f"no loudspeaker can play: {error}") from error
        try:
            stream.start()
        except sd.PortAudioError as error:
            stream.close()
            raise OSError(f"the loudspeaker cannot start: {error}") from error
        self._stream = stream

    @property
    def playing(self) -> bool:
        """Whether a reply is still playing."""
        return self._stream is not None and bool(self._stream.active)

    def stop(self) -> None:
        """Stop now, dropping what is left (PortAudio's abort, not its drain)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except self._sd.PortAudioError:
                pass

    def close(self) -> None:
        """Stop playing."""
        self.stop()


class PlaybackBuffer:
    """The rest of a reply, handed out in the pieces an output callback asks for.

    Args:
        pcm: Mono 16-bit PCM.

    """

    def __init__(self, pcm: bytes) -> None:
        self._pcm = pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH]
        self._position = 0

    def fill(self, out: Any) -> bool:
        """Fill a writable buffer (``bytearray``, ``memoryview``, a cffi buffer) with the next audio.

        Returns:
            False when the reply is over (the rest of ``out`` is silence).

        """
        size = len(out)
        piece = self._pcm[self._position : self._position + size]
        self._position += len(piece)
        out[: len(piece)] = piece
        if len(piece) < size:
            out[len(piece) :] = bytes(size - len(piece))
            return False
        return self._position < len(self._pcm)


# --------------------------------------------------------------------------- command


def kiosk_microphone_command(language: str, settings: Settings, out: TextIO = sys.stdout) -> int:
    """``python -m bot kiosk``: the voice kiosk on the microphone, until Ctrl-C.

    Args:
        language: ``zh`` or ``en``: recognition model, speech and the kiosk's own words.
        settings: Where the assistant and the models are.
        out: Where the text heard and the replies are shown.

    Returns:
        0 after Ctrl-C, 2 when there is no recognition model or no microphone.

    """
    try:
        return _run_microphone_kiosk(language, settings, out)
    except KeyboardInterrupt:
        out.write(f"\n{_LABELS[language]['goodbye']}\n")
        out.flush()
        return 0


@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold Ctrl-C back until the block is done (vosk leaves a half-built model behind otherwise)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: pressed.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _run_microphone_kiosk(language: str, settings: Settings, out: TextIO) -> int:
    try:
        with _interrupt_after():
            recognizer = require_recognizer(language, settings)
    except VoiceUnavailable as error:
        print(f"{error.message()}\n({error.detail})", file=sys.stderr)
        return VOICE_UNAVAILABLE
    try:
        source = SounddeviceSource()
        sink = SounddeviceSink()
    except MicrophoneUnavailable as error:
        print(f"{MicrophoneUnavailable.message(settings)}\n({error.detail})", file=sys.stderr)
        return VOICE_UNAVAILABLE
    sender = new_sender()
    kiosk = MicrophoneKiosk(recognizer, sink, lambda heard: ask(heard, language, settings, sender),
                            lambda text: speak(text, language), language, out)
    out.write(f"{_LABELS[language]['listening']} ({source.name}; {sender})\n")
    out.flush()
    try:
        kiosk.run(source)
    except MicrophoneUnavailable as error:
        print(f"\n{MicrophoneUnavailable.message(settings)}\n({error.detail})", file=sys.stderr)
        return VOICE_UNAVAILABLE
    finally:
        sink.close()
        source.close()
    return 0
