"""Voice notes for the Telegram channel: Vosk to hear them, pyttsx3 to answer in kind.

Everything here is blocking work (ffmpeg, Vosk, espeak-ng), run in worker
threads so that other chats go on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot.settings import Settings

logger = logging.getLogger(__name__)


class SpeechProblem(Exception):
    """A voice note that cannot be heard, or a reply that cannot be spoken.

    Attributes:
        text_key: The connector text that tells the citizen (``connectors/telegram/texts.py``).

    """

    def __init__(self, text_key: str, detail: str = "") -> None:
        super().__init__(detail or text_key)
        self.text_key = text_key


class Speech(Protocol):
    """Speech recognition and synthesis as the connector needs them."""

    async def transcribe(self, audio: bytes, language: str) -> str:
        """Return what a voice note says (raises :class:`SpeechProblem`)."""

    async def speak(self, text: str, language: str, slow: bool) -> bytes:
        """Return a reply spoken as an OGG/Opus voice note (raises :class:`SpeechProblem`)."""


class VoiceSpeech:
    """:class:`Speech` with the project's voice engines (``voice/``)."""

    def __init__(self, settings: Settings) -> None:
        """Use the Vosk model folders of the settings (VOSK_MODEL_ZH, VOSK_MODEL_EN)."""
        self.settings = settings

    async def transcribe(self, audio: bytes, language: str) -> str:
        """Decode a voice note, recognise it in the chat's language, return the text."""
        return await asyncio.to_thread(self._transcribe, audio, language)

    def _transcribe(self, audio: bytes, language: str) -> str:
        from voice.audio import AudioError, decode_to_pcm16k, is_silent
        from voice.recognition import recognizer_for

        recognizer = recognizer_for("en" if language == "en" else "zh", self.settings)
        if recognizer is None:
            raise SpeechProblem("voice_unavailable")
        try:
            pcm = decode_to_pcm16k(audio)
        except AudioError as error:
            key = "voice_too_long" if error.reason == "too_long" else "not_heard"
            raise SpeechProblem(key, str(error)) from error
        if is_silent(pcm):
            raise SpeechProblem("not_heard", "silence")
        heard = recognizer.transcribe(pcm).text.strip()
        if not heard:
            raise SpeechProblem("not_heard", "nothing recognised")
        return heard

    async def speak(self, text: str, language: str, slow: bool) -> bytes:
        """Speak a reply slowly and clearly; return an OGG/Opus voice note."""
        return await asyncio.to_thread(self._speak, text, language, slow)

    def _speak(self, text: str, language: str, slow: bool) -> bytes:
        from voice.audio import AudioError, wav_to_ogg_opus
        from voice.speech_text import speakable
        from voice.synthesis import shared_synthesizer

        lang = "en" if language == "en" else "zh"
        try:
            wav = shared_synthesizer().synthesize(speakable(text, lang), lang, elderly=slow)
            return wav_to_ogg_opus(wav)
        except (AudioError, RuntimeError, OSError) as error:
            raise SpeechProblem("voice_unavailable", str(error)) from error
