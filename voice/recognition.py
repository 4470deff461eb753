"""Speech recognition with Vosk, offline, from model folders on this machine.

Models are loaded only with ``vosk.Model(path)`` from a folder (never
``Model(lang=...)``, which downloads from the internet and exits on failure),
once per folder, and shared by every recogniser in the process. The folders
come from the ``VOSK_MODEL_ZH`` / ``VOSK_MODEL_EN`` settings.

Recognition takes 16 kHz mono 16-bit PCM (:func:`voice.audio.decode_to_pcm16k`
makes it from any recording). A whole recording is transcribed with
:meth:`VoskRecognizer.transcribe`; a live microphone is heard through a
:class:`RecognitionSession`, which waits patiently through pauses (elderly
speakers stop to think) and ends after a long trailing silence or at a maximum
length. A question with few possible answers ("是/不是", a menu number) can be
recognised with a grammar: only its phrases, or ``[unk]``, come back.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Protocol

from bot.settings import PROJECT_DIR, Settings
from voice.audio import SAMPLE_RATE, SAMPLE_WIDTH, SILENCE_RMS, rms

logger = logging.getLogger(__name__)

UNKNOWN = "[unk]"
"""What Vosk says for speech outside a grammar."""

TRAILING_SILENCE = 2.5
"""Seconds of silence after speech that end an utterance (generous: people pause to think)."""

MAX_UTTERANCE = 30.0
"""Seconds after which an utterance ends whatever is said."""

CHUNK_BYTES = 8000
"""Bytes of PCM fed to Vosk at a time by :meth:`VoskRecognizer.transcribe` (0.25 s)."""

NOT_INSTALLED_MESSAGE = {
    "zh": "语音识别没有安装，请打字，或请管理员安装语音模型（VOSK_MODEL_ZH / VOSK_MODEL_EN）",
    "en": "Speech recognition is not installed; please type, "
          "or ask the administrator to install a speech model (VOSK_MODEL_ZH / VOSK_MODEL_EN)",
}
"""What a citizen is told when there is no recognition model for their language."""

# Reason codes of VoiceUnavailable.
UNSET = "unset"
MISSING = "missing"
NOT_A_MODEL = "not_a_model"
LOAD_FAILED = "load_failed"
NO_VOSK = "no_vosk"

_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


class VoiceUnavailable(Exception):
    """No speech recognition for a language, with the reason (for the administrator).

    Attributes:
        language: The language asked for.
        reason: ``UNSET``, ``MISSING``, ``NOT_A_MODEL``, ``LOAD_FAILED`` or ``NO_VOSK``.
        detail: The setting and folder concerned.

    """

    def __init__(self, language: str, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.language = language
        self.reason = reason
        self.detail = detail

    def message(self, language: Optional[str] = None) -> str:
        """The citizen's message (in ``language``, by default the one asked for)."""
        return NOT_INSTALLED_MESSAGE.get(language or self.language, NOT_INSTALLED_MESSAGE["zh"])


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing (seconds) and confidence (0-1)."""

    word: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Transcript:
    """What was heard.

    Attributes:
        text: The words; Chinese without spaces between characters. May
            contain ``[unk]`` when a grammar was used.
        confidence: Mean confidence of the words (0 when nothing was heard).
        words: The words with timings.

    """

    text: str
    confidence: float
    words: tuple[Word, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether nothing (or only ``[unk]``) was heard."""
        return not self.text or (bool(self.words) and all(word.word == UNKNOWN for word in self.words))


class Recognizer(Protocol):
    """Turns 16 kHz mono 16-bit PCM into a transcript."""

    def transcribe(self, pcm16k: bytes, grammar: Optional[Sequence[str]] = None) -> Transcript:
        """Recognise the speech in ``pcm16k``; with a grammar, only its phrases (or ``[unk]``)."""
        ...


def join_cjk(text: str) -> str:
    """Remove the spaces Vosk puts between Chinese characters ("你 好 吗" → "你好吗")."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(text.split()))


# --------------------------------------------------------------------------- models


def model_folder(path: Path) -> Optional[Path]:
    """The Vosk model folder at ``path``, or in its only subfolder (an unpacked archive's top folder).

    Returns:
        The folder holding the model (``am/final.mdl`` or ``final.mdl``, and
        ``conf/``), or None.

    """

    def is_model(folder: Path) -> bool:
        has_model = (folder / "am" / "final.mdl").is_file() or (folder / "final.mdl").is_file()
        return has_model and (folder / "conf").is_dir()

    if not path.is_dir():
        return None
    if is_model(path):
        return path
    children = [child for child in path.iterdir() if child.is_dir()]
    if len(children) == 1 and is_model(children[0]):
        return children[0]
    return None


_models: dict[Path, Any] = {}
_models_lock = threading.Lock()


def load_model(path: Path) -> Any:
    """Load the Vosk model in a folder, once per process (thread-safe), and return it.

    Args:
        path: A folder as checked by :func:`model_folder`.

    Returns:
        The shared ``vosk.Model``.

    Raises:
        VoiceUnavailable: vosk is not installed, or the folder is not a model
            Vosk can load.

    """
    folder = path.resolve()
    with _models_lock:
        if folder in _models:
            return _models[folder]
        try:
            import vosk
        except (ImportError, OSError) as error:
            raise VoiceUnavailable("", NO_VOSK, f"the vosk package cannot be loaded: {error}") from error
        vosk.SetLogLevel(-1)
        try:
            model = vosk.Model(str(folder))  # a folder only: Model(lang=...) would download
        except Exception as error:  # vosk raises a bare Exception("Failed to create a model")
            raise VoiceUnavailable("", LOAD_FAILED, f"Vosk could not load {folder}: {error}") from error
        _models[folder] = model
        return model


def _setting_name(language: str) -> str:
    return f"VOSK_MODEL_{language.upper()}"


def model_path_for(language: str, settings: Settings) -> Path:
    """The model folder configured for a language, checked.

    Args:
        language: ``zh`` or ``en``.
        settings: Where ``VOSK_MODEL_ZH`` / ``VOSK_MODEL_EN`` come from.

    Returns:
        The model folder (relative settings are inside the project folder).

    Raises:
        VoiceUnavailable: The setting is unset, the folder is missing, or it
            holds no Vosk model.

    """
    raw = {"zh": settings.vosk_model_zh, "en": settings.vosk_model_en}.get(language)
    name = _setting_name(language)
    if not raw:
        raise VoiceUnavailable(language, UNSET, f"{name} is not set")
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else PROJECT_DIR / path
    if not path.is_dir():
        raise VoiceUnavailable(language, MISSING, f"{name}={raw}: no such folder")
    folder = model_folder(path)
    if folder is None:
        raise VoiceUnavailable(language, NOT_A_MODEL, f"{name}={raw}: not a Vosk model folder")
    return folder


def require_recognizer(language: str, settings: Settings, *, trailing_silence: float = TRAILING_SILENCE,
                       max_utterance: float = MAX_UTTERANCE) -> VoskRecognizer:
    """The recogniser for a language, or the reason there is none.

    Args:
        language: ``zh`` or ``en``.
        settings: Where the model folders are configured.
        trailing_silence: Seconds of silence after speech that end a session's utterance.
        max_utterance: Seconds after which a session's utterance ends anyway.

    Returns:
        A recogniser on the shared model.

    Raises:
        VoiceUnavailable: No usable model for the language.

    """
    folder = model_path_for(language, settings)
    try:
        return VoskRecognizer(folder, language=language, trailing_silence=trailing_silence,
                              max_utterance=max_utterance)
    except VoiceUnavailable as error:
        raise VoiceUnavailable(language, error.reason, error.detail) from error


def recognizer_for(language: str, settings: Settings, *, trailing_silence: float = TRAILING_SILENCE,
                   max_utterance: float = MAX_UTTERANCE) -> Optional[VoskRecognizer]:
    """The recogniser for a language, or None (the reason is logged) when there is no model.

    Tell the citizen :data:`NOT_INSTALLED_MESSAGE` when this returns None
    (:func:`require_recognizer` gives the reason instead).

    Args:
        language: ``zh`` or ``en``.
        settings: Where the model folders are configured.
        trailing_silence: Seconds of silence after speech that end a session's utterance.
        max_utterance: Seconds after which a session's utterance ends anyway.

    Returns:
        A recogniser, or None.

    """
    try:
        return require_recognizer(language, settings, trailing_silence=trailing_silence,
                                  max_utterance=max_utterance)
    except VoiceUnavailable as error:
        logger.warning("No speech recognition for %s: %s", language, error)
        return None


# --------------------------------------------------------------------------- recognition


def _words(result: dict[str, Any]) -> list[Word]:
    return [Word(str(item.get("word", "")), float(item.get("start", 0.0)), float(item.get("end", 0.0)),
                 float(item.get("conf", 0.0)))
            for item in result.get("result", [])]


def _transcript(texts: Sequence[str], words: Sequence[Word]) -> Transcript:
    text = join_cjk(" ".join(text for text in texts if text))
    confidence = sum(word.confidence for word in words) / len(words) if words else 0.0
    return Transcript(text, round(confidence, 4), tuple(words))


class VoskRecognizer:
    """Recognition with one Vosk model (shared by every recogniser on the same folder).

    Args:
        model_path: The model folder.
        language: The model's language (``zh``, ``en``...); informational.
        trailing_silence: Seconds of silence after speech that end a session's utterance.
        max_utterance: Seconds after which a session's utterance ends anyway.

    Raises:
        VoiceUnavailable: The folder holds no model Vosk can load.

    """

    def __init__(self, model_path: Path, *, language: str = "", trailing_silence: float = TRAILING_SILENCE,
                 max_utterance: float = MAX_UTTERANCE) -> None:
        self.model_path = Path(model_path)
        self.language = language
        self.trailing_silence = trailing_silence
        self.max_utterance = max_utterance
        self.model = load_model(self.model_path)

    def _recognizer(self, grammar: Optional[Sequence[str]]) -> Any:
        import vosk

        if grammar is None:
            recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        else:
            phrases = [phrase for phrase in grammar if phrase and phrase != UNKNOWN]
            # Some small models have no [unk] word; Vosk would warn and ignore it.
            if self.model.vosk_model_find_word(UNKNOWN) != -1:
                phrases.append(UNKNOWN)
            recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE,
                                              json.dumps(phrases, ensure_ascii=False))
        recognizer.SetWords(True)
        return recognizer

    def transcribe(self, pcm16k: bytes, grammar: Optional[Sequence[str]] = None) -> Transcript:
        """Recognise all the speech in a recording.

        Args:
            pcm16k: 16 kHz mono 16-bit PCM.
            grammar: Phrases allowed (``[unk]`` is added); None for free speech.

        Returns:
            The transcript.

        """
        recognizer = self._recognizer(grammar)
        texts: list[str] = []
        words: list[Word] = []
        for start in range(0, len(pcm16k), CHUNK_BYTES):
            if recognizer.AcceptWaveform(pcm16k[start : start + CHUNK_BYTES]):
                result = json.loads(recognizer.Result())
                texts.append(result.get("text", ""))
                words.extend(_words(result))
        result = json.loads(recognizer.FinalResult())
        texts.append(result.get("text", ""))
        words.extend(_words(result))
        return _transcript(texts, words)

    def session(self, grammar: Optional[Sequence[str]] = None) -> RecognitionSession:
        """Start listening to one utterance from a live source.

        Args:
            grammar: Phrases allowed for this question (``[unk]`` is added); None for free speech.

        Returns:
            A session to feed with audio as it comes.

        """
        return RecognitionSession(self._recognizer(grammar), trailing_silence=self.trailing_silence,
                                  max_utterance=self.max_utterance)


class RecognitionSession:
    """One utterance heard live: feed audio with :meth:`accept` until :attr:`ended`, then :meth:`finish`.

    The utterance ends when speech was heard and then ``trailing_silence``
    seconds passed without speech (quiet audio and no new words), or after
    ``max_utterance`` seconds of audio. Vosk's own end-of-segment decisions
    (after about half a second of silence) do not end it: the segments are
    joined, so a speaker may pause to think.

    Args:
        recognizer: A ``vosk.KaldiRecognizer`` for 16 kHz audio.
        trailing_silence: Seconds of silence after speech that end the utterance.
        max_utterance: Seconds after which the utterance ends anyway.
        silence_rms: RMS level below which audio counts as silence.

    """

    def __init__(self, recognizer: Any, *, trailing_silence: float = TRAILING_SILENCE,
                 max_utterance: float = MAX_UTTERANCE, silence_rms: float = SILENCE_RMS) -> None:
        self._recognizer = recognizer
        self.trailing_silence = trailing_silence
        self.max_utterance = max_utterance
        self.silence_rms = silence_rms
        self._texts: list[str] = []
        self._words: list[Word] = []
        self._partial = ""
        self._heard = ""
        self._seconds = 0.0
        self._silent_for = 0.0
        self._speech_heard = False
        self.ended = False
        """Whether the utterance is over (trailing silence or maximum length)."""
        self._final: Optional[Transcript] = None

    @property
    def seconds(self) -> float:
        """Seconds of audio accepted so far."""
        return self._seconds

    def _text_so_far(self) -> str:
        return join_cjk(" ".join(text for text in [*self._texts, self._partial] if text))

    def accept(self, chunk: bytes) -> Optional[str]:
        """Hear the next piece of audio.

        Args:
            chunk: 16 kHz mono 16-bit PCM (any length; 0.1-0.5 s pieces work well).

        Returns:
            The text heard so far when it changed with this chunk, else None.
            After the utterance ended, further audio is ignored (None).

        """
        if self.ended or not chunk:
            return None
        if self._recognizer.AcceptWaveform(chunk):
            result = json.loads(self._recognizer.Result())
            self._texts.append(result.get("text", ""))
            self._words.extend(_words(result))
            self._partial = ""
        else:
            self._partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        seconds = len(chunk) / (SAMPLE_WIDTH * SAMPLE_RATE)
        self._seconds += seconds
        heard = self._text_so_far()
        changed = heard != self._heard
        self._heard = heard
        if changed or rms(chunk) >= self.silence_rms:
            self._silent_for = 0.0
            self._speech_heard = self._speech_heard or bool(heard) or rms(chunk) >= self.silence_rms
        else:
            self._silent_for += seconds
        if self._seconds >= self.max_utterance or (
                self._speech_heard and self._silent_for >= self.trailing_silence):
            self.ended = True
        return heard if changed else None

    def finish(self) -> Transcript:
        """End the utterance (if it has not ended) and return everything heard."""
        if self._final is None:
            result = json.loads(self._recognizer.FinalResult())
            self._texts.append(result.get("text", ""))
            self._words.extend(_words(result))
            self._partial = ""
            self.ended = True
            self._final = _transcript(self._texts, self._words)
        return self._final
