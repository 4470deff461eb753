"""The kiosk's turn: speech in, the assistant's answer out, spoken slowly and clearly.

``python -m bot kiosk --wav FILE`` runs one recorded utterance through the
whole path a kiosk uses: decode, recognise (Vosk, offline), ask the assistant
over its REST channel, speak the answer (pyttsx3, senior pace) into a WAV file.
The microphone kiosk (:mod:`voice.microphone`) uses the same pieces for each
utterance it hears: :func:`ask`, :func:`speak` and :data:`KIOSK_TEXTS`.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from bot.settings import Settings
from voice.audio import AudioError, decode_to_pcm16k, is_silent
from voice.recognition import VoiceUnavailable, require_recognizer
from voice.speech_text import speakable
from voice.synthesis import SynthesisError, shared_synthesizer

#: Exit code when speech recognition or synthesis is not installed.
VOICE_UNAVAILABLE = 2

#: What the kiosk says itself, in both languages.
KIOSK_TEXTS = {
    "nothing_heard": {
        "zh": "我没有听到声音。请按住按钮，靠近一点，慢慢说。",
        "en": "I didn't hear anything. Please hold the button, come a little closer and speak slowly.",
    },
    "not_understood": {
        "zh": "抱歉，我没听清。请再说一遍，或者用屏幕上的按钮。",
        "en": "Sorry, I couldn't make that out. Please say it again, or use the buttons on the screen.",
    },
    "too_loud": {
        "zh": "声音太大了，我没听清。请离话筒远一点，再说一遍。",
        "en": "That was too loud for me to make out. "
              "Please move back a little from the microphone and say it again.",
    },
    "bad_audio": {
        "zh": "这段声音我处理不了。请再按住按钮说一次，或者打字。",
        "en": "I couldn't use that sound. Please hold the button and speak again, or type instead.",
    },
    "bad_message": {
        "zh": "抱歉，刚才的操作没有成功，请再试一次。",
        "en": "Sorry, that didn't work. Please try again.",
    },
    "assistant_busy": {
        "zh": "抱歉，系统现在有点忙，请过一会儿再说一次。",
        "en": "Sorry, the system is busy right now. Please try again in a moment.",
    },
}


@dataclass(frozen=True)
class KioskTurn:
    """One spoken turn: what was heard, what the assistant answered, the spoken answer."""

    heard: str
    replies: list[str]
    speech: bytes


def ask_assistant(settings: Settings, sender: str, message: str,
                  timeout: float = 60.0) -> list[dict[str, Any]]:
    """Send one message over the REST channel; return the replies (raises OSError when unreachable)."""
    request = urllib.request.Request(
        f"{settings.rasa_url}/webhooks/rest/webhook", method="POST",
        data=json.dumps({"sender": sender, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies = json.loads(response.read().decode("utf-8"))
    return [r for r in replies if isinstance(r, dict)] if isinstance(replies, list) else []


def new_sender() -> str:
    """A sender id for one kiosk conversation (``kiosk-`` and 12 hex digits)."""
    return f"kiosk-{uuid.uuid4().hex[:12]}"


def ask(heard: str, language: str, settings: Settings, sender: str) -> list[str]:
    """Ask the assistant about what was heard; return its replies' texts.

    Args:
        heard: The recognised text.
        language: ``zh`` or ``en``, for the "busy" apology.
        settings: Where the assistant is.
        sender: The conversation's sender id.

    Returns:
        The replies (empty texts kept out); the kiosk's "busy" apology when the
        assistant cannot be reached or answers nonsense.

    """
    try:
        replies = [str(r.get("text") or "") for r in ask_assistant(settings, sender, heard)]
    except (OSError, ValueError):
        replies = [KIOSK_TEXTS["assistant_busy"][language]]
    return [reply for reply in replies if reply]


def speak(text: str, language: str) -> bytes:
    """A reply spoken at senior pace (a WAV file's bytes; empty when there is nothing to say).

    Raises:
        SynthesisError: Speech synthesis is not installed or failed.

    """
    if not text.strip():
        return b""
    return shared_synthesizer().synthesize(speakable(text, language), language, elderly=True)


def kiosk_turn(audio: bytes, language: str, settings: Settings, sender: Optional[str] = None) -> KioskTurn:
    """Run one utterance through recognition, the assistant and speech.

    Raises:
        VoiceUnavailable: No recognition model for the language.
        SynthesisError: Speech synthesis is not installed or failed.

    """
    recognizer = require_recognizer(language, settings)
    sender = sender or new_sender()
    try:
        pcm = decode_to_pcm16k(audio)
    except AudioError as error:
        return kiosk_says(error.message(language), language)
    if is_silent(pcm):
        return kiosk_says(KIOSK_TEXTS["nothing_heard"][language], language)
    heard = recognizer.transcribe(pcm).text.strip()
    if not heard:
        return kiosk_says(KIOSK_TEXTS["not_understood"][language], language)
    replies = ask(heard, language, settings, sender)
    return KioskTurn(heard, replies, speak("\n".join(replies), language))


def kiosk_says(text: str, language: str) -> KioskTurn:
    """A turn in which the kiosk itself speaks (nothing heard, not understood...)."""
    return KioskTurn("", [text], speak(text, language))


def kiosk_wav_command(wav: Path, language: str, out: Path, settings: Settings) -> int:
    """``python -m bot kiosk --wav FILE``: one recorded utterance through the whole kiosk path."""
    try:
        audio = wav.read_bytes()
    except OSError as error:
        print(f"Error: cannot read {wav}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        turn = kiosk_turn(audio, language, settings)
    except VoiceUnavailable as error:
        print(f"{error.message()}\n({error.detail})", file=sys.stderr)
        return VOICE_UNAVAILABLE
    except SynthesisError as error:
        print(f"Error: {error}", file=sys.stderr)
        return VOICE_UNAVAILABLE
    if turn.heard:
        print(("我听到的是：" if language == "zh" else "I heard: ") + turn.heard)
    for reply in turn.replies:
        print(reply)
    if turn.speech:
        out.write_bytes(turn.speech)
        print(f"(spoken answer: {out})")
    return 0
