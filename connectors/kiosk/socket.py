"""One kiosk page's WebSocket: its speech in, the assistant's answers out, shown and spoken.

The page and the server exchange JSON text frames and, while the "hold to
talk" button is held, binary frames of 16-bit PCM (see ``PROTOCOL.md``).
Nothing a page sends can crash the server or lose the conversation: every
malformed frame, odd audio or dropped connection gets a kind prompt (written
and, where it helps, spoken) and the conversation carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Optional

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from connectors.assistant_client import AssistantUnavailable, Reply
from connectors.kiosk.conversation import KioskConversation, speech_parts
from connectors.kiosk.listening import (
    HEARD,
    AudioFormat,
    AudioFormatError,
    Utterance,
)
from voice.kiosk import KIOSK_TEXTS
from voice.synthesis import SynthesisError

if TYPE_CHECKING:
    from connectors.kiosk.service import KioskService

logger = logging.getLogger(__name__)

#: Largest text frame accepted (a typed message is far shorter).
MAX_TEXT_FRAME = 8 * 1024
#: Largest audio frame accepted (a second of 48 kHz stereo is 192 kB).
MAX_AUDIO_FRAME = 256 * 1024
#: Longest typed message passed to the assistant.
MAX_MESSAGE = 500
#: What the page's control buttons send to the assistant.
CONTROL_PAYLOADS = {"repeat": "/repeat", "slower": "/slower", "person": "/human_handoff",
                    "language": "/change_language", "cancel": "/cancel", "help": "/help"}


class KioskSocket:
    """Serves one connected page until it goes away."""

    def __init__(self, service: "KioskService", websocket: WebSocket,
                 conversation: KioskConversation) -> None:
        """Bind a page's socket to its conversation."""
        self.service = service
        self.websocket = websocket
        self.conversation = conversation
        self.utterance: Optional[Utterance] = None
        self._send_lock = asyncio.Lock()
        self._speech: Optional[asyncio.Task[None]] = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- sending ---------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one JSON message; False when the page has gone."""
        async with self._send_lock:
            if self.websocket.application_state != WebSocketState.CONNECTED:
                return False
            try:
                await self.websocket.send_text(json.dumps(message, ensure_ascii=False))
                return True
            except (RuntimeError, OSError, WebSocketDisconnect):
                return False

    def _text(self, code: str) -> str:
        return KIOSK_TEXTS[code][self.conversation.language]

    async def say_problem(self, code: str, *, speak: bool = True) -> None:
        """Tell the user, in writing and aloud, what went wrong and what to do."""
        text = self._text(code)
        self.conversation.turn += 1  # a new thing said: the page plays it even after a barge-in
        turn = self.conversation.turn
        await self.send({"type": "problem", "code": code, "text": text, "turn": turn})
        if speak:
            self.start_speech(turn, [text])

    # -- the loop ----------------------------------------------------------------------------

    async def serve(self) -> None:
        """Receive frames until the page disconnects."""
        await self.send(self.service.hello(self.conversation))
        try:
            while True:
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                if frame.get("bytes") is not None:
                    await self.on_audio(frame["bytes"])
                elif frame.get("text") is not None:
                    await self.on_text(frame["text"])
        except WebSocketDisconnect:
            pass
        finally:
            # A half-heard utterance and unspoken speech are dropped; an answer on its
            # way still reaches the tracker, so the conversation is kept for the next page.
            self.utterance = None
            self.stop_speaking()

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_text(self, raw: str) -> None:
        """Handle one JSON message from the page."""
        try:
            if len(raw) > MAX_TEXT_FRAME:
                raise ValueError("frame too large")
            message = json.loads(raw)
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise ValueError("not a message object")
        except ValueError:
            await self.say_problem("bad_message", speak=False)
            return
        kind = message["type"]
        if kind == "start":
            await self.start_listening(message)
        elif kind == "stop":
            await self.stop_listening("released")
        elif kind == "barge_in":
            self.stop_speaking()
        elif kind in ("text", "button"):
            await self.on_typed(message)
        elif kind == "control":
            await self.on_control(message.get("name"))
        elif kind == "ping":
            await self.send({"type": "pong"})
        else:
            await self.say_problem("bad_message", speak=False)

    async def on_typed(self, message: dict[str, Any]) -> None:
        """A typed message, or a pressed button (its payload)."""
        key = "text" if message["type"] == "text" else "payload"
        value = message.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_MESSAGE:
            await self.say_problem("bad_message", speak=False)
            return
        self.stop_speaking()
        self._spawn(self.converse(value.strip()))

    async def on_control(self, name: Any) -> None:
        """One of the always-visible buttons: repeat, slower, a person, the other language."""
        payload = CONTROL_PAYLOADS.get(name) if isinstance(name, str) else None
        if payload is None:
            await self.say_problem("bad_message", speak=False)
            return
        self.stop_speaking()
        if name == "slower":
            self.conversation.slower()
        metadata = None
        if name == "language":
            metadata = {"language": self.conversation.switch_language()}
            await self.send(self.service.hello(self.conversation))
        self._spawn(self.converse(payload, metadata))

    # -- listening ---------------------------------------------------------------------------

    async def start_listening(self, message: dict[str, Any]) -> None:
        """The button is pressed: stop speaking (barge-in) and start a new utterance."""
        self.stop_speaking()
        try:
            audio_format = AudioFormat.from_message(message)
        except AudioFormatError as error:
            logger.info("Kiosk audio refused: %s", error)
            self.utterance = None
            await self.say_problem("bad_audio")
            return
        recognizer = self.service.recognizer(self.conversation.language)
        if recognizer is None:
            self.utterance = None
            await self.send(self.service.hello(self.conversation))
            return
        grammar = self.conversation.grammar()
        session = await asyncio.to_thread(recognizer.session, grammar)
        self.utterance = Utterance(session, audio_format)
        await self.send({"type": "listening", "grammar": self.conversation.expects or
                         ("choices" if grammar else "free")})

    async def on_audio(self, data: bytes) -> None:
        """A piece of the utterance."""
        utterance = self.utterance
        if utterance is None:
            return  # audio after the end (the page has not heard "stopped" yet): ignored
        if len(data) > MAX_AUDIO_FRAME:
            self.utterance = None
            await self.say_problem("bad_audio")
            return
        partial = await asyncio.to_thread(utterance.feed, data)
        if partial is not None and partial.strip():
            await self.send({"type": "partial", "text": partial})
        if utterance.ended and self.utterance is utterance:
            await self.stop_listening("too_long" if utterance.too_long else "silence")

    async def stop_listening(self, reason: str) -> None:
        """The utterance is over (button released, long silence, or too long): judge it and answer."""
        utterance, self.utterance = self.utterance, None
        if utterance is None:
            return
        await self.send({"type": "stopped", "reason": reason})
        heard = await asyncio.to_thread(utterance.finish)
        if heard.outcome != HEARD:
            await self.say_problem(heard.outcome)
            return
        await self.send({"type": "heard", "text": heard.text})
        self._spawn(self.converse(heard.text))

    # -- answering ---------------------------------------------------------------------------

    async def converse(self, message: str, metadata: Optional[dict[str, Any]] = None) -> None:
        """Send one message to the assistant, show the answer, then speak it."""
        conversation = self.conversation
        async with conversation.lock:
            try:
                replies = await self.service.assistant.send(conversation.sender, message, "kiosk", metadata)
            except AssistantUnavailable as error:
                logger.warning("The assistant did not answer the kiosk: %s", error)
                await self.say_problem("assistant_busy")
                return
            conversation.take_answer(replies)
            await self.show(replies)

    async def show(self, replies: list[Reply]) -> None:
        """Show an answer and start speaking it."""
        conversation = self.conversation
        shown = [{"text": reply.text,
                  "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons]}
                 for reply in replies if reply.text or reply.buttons]
        await self.send({"type": "reply", "turn": conversation.turn, "language": conversation.language,
                         "messages": shown, "expects": conversation.expects})
        self.start_speech(conversation.turn, [reply.text for reply in replies if reply.text])

    def start_speech(self, turn: int, texts: list[str]) -> None:
        self.stop_speaking()
        if texts:
            self._speech = asyncio.create_task(self._speak(turn, texts))

    def stop_speaking(self) -> None:
        """Drop the speech being made (the page stops playing on its side)."""
        if self._speech is not None and not self._speech.done():
            self._speech.cancel()
        self._speech = None

    async def _speak(self, turn: int, texts: list[str]) -> None:
        conversation = self.conversation
        parts = speech_parts(texts, conversation.language)
        for index, part in enumerate(parts):
            try:
                wav = await self.service.synthesizer.synthesize_async(
                    part, conversation.language, conversation.rate_factor, elderly=True)
            except SynthesisError as error:
                logger.warning("No kiosk speech: %s", error)
                await self.send({"type": "speech_unavailable", "turn": turn})
                return
            clip = self.service.clips.add(wav)
            await self.send({"type": "audio", "turn": turn, "url": f"/kiosk/audio/{clip}.wav",
                             "index": index, "last": index == len(parts) - 1})
