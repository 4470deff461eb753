"""The kiosk channel: its page, its WebSocket, its spoken clips, and what they share.

``kiosk_router(service)`` adds to the web server (``web/``, port 8080):

- ``GET /`` and ``GET /kiosk/`` — the kiosk page; ``/kiosk/static/*`` its script and styles;
- ``WS /kiosk/ws?session=<id>&lang=zh|en`` — one page's conversation (see ``PROTOCOL.md``);
- ``GET /kiosk/audio/<id>.wav`` — a spoken reply, for the page's audio player.

Recognition models are loaded once, in the background when the server
starts, and shared by every page; without a model for a language the page is
told so and offers touch and text only.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Response, WebSocket
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.handoff import HandoffDesk
from bot.settings import Settings
from connectors.assistant_client import RasaClient
from connectors.kiosk.clips import ClipStore
from connectors.kiosk.conversation import SESSION_ID, Conversations, KioskConversation, new_session_id
from connectors.kiosk.socket import KioskSocket
from connectors.operator_replies import deliver_operator_replies
from voice.recognition import NOT_INSTALLED_MESSAGE, VoskRecognizer, recognizer_for
from voice.synthesis import Pyttsx3Synthesizer, shared_synthesizer

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
#: What the page shows above an operator's reply.
OPERATOR_SAYS = {"zh": "工作人员{name}：{text}", "en": "{name} (staff): {text}"}


class KioskService:
    """What every kiosk page shares: the assistant, recognisers, the synthesiser, clips, sockets."""

    def __init__(self, settings: Settings, *, assistant: Optional[RasaClient] = None,
                 synthesizer: Optional[Pyttsx3Synthesizer] = None) -> None:
        """Create the service for the settings (models load in :meth:`load_models`)."""
        self.settings = settings
        self.assistant = assistant or RasaClient(settings.rasa_url)
        self.synthesizer = synthesizer or shared_synthesizer()
        self.clips = ClipStore()
        self.conversations = Conversations()
        self.sockets: dict[str, set[KioskSocket]] = {}
        self._recognizers: dict[str, Optional[VoskRecognizer]] = {}

    async def load_models(self) -> None:
        """Load both languages' recognition models (in worker threads; a missing one is noted)."""
        for language in ("zh", "en"):
            self._recognizers[language] = await asyncio.to_thread(recognizer_for, language, self.settings)
            if self._recognizers[language] is None:
                logger.warning("No speech recognition for %s: %s", language, NOT_INSTALLED_MESSAGE["en"])

    def recognizer(self, language: str) -> Optional[VoskRecognizer]:
        """The recogniser for a language, or None when no model is installed (or still loading)."""
        return self._recognizers.get(language)

    def hello(self, conversation: KioskConversation) -> dict[str, Any]:
        """The page's first message, sent again when the language changes."""
        language = conversation.language
        voice = self.recognizer(language) is not None
        return {"type": "hello", "session": conversation.session_id, "language": language,
                "voice": voice, "voice_message": "" if voice else NOT_INSTALLED_MESSAGE[language],
                "expects": conversation.expects}

    async def serve_socket(self, websocket: WebSocket, session: str, language: str) -> None:
        """Serve one page's WebSocket (a new session id when the page's is missing or malformed)."""
        await websocket.accept()
        session_id = session if SESSION_ID.match(session or "") else new_session_id()
        conversation = self.conversations.get(session_id, language)
        socket = KioskSocket(self, websocket, conversation)
        self.sockets.setdefault(conversation.sender, set()).add(socket)
        try:
            await socket.serve()
        finally:
            sockets = self.sockets.get(conversation.sender, set())
            sockets.discard(socket)
            if not sockets:
                self.sockets.pop(conversation.sender, None)

    async def deliver_operator_reply(self, sender: str, name: str, text: str) -> bool:
        """Push an operator's reply to the pages of a conversation; False when none is connected."""
        delivered = False
        for socket in list(self.sockets.get(sender, ())):
            language = socket.conversation.language
            shown = OPERATOR_SAYS[language].format(name=name or "", text=text)
            if await socket.send({"type": "operator", "text": shown}):
                socket.conversation.turn += 1
                socket.start_speech(socket.conversation.turn, [shown])
                delivered = True
        return delivered

    async def run_background(self) -> None:
        """Load the models, then deliver operators' replies to kiosk conversations forever."""
        await self.load_models()
        desk = await asyncio.to_thread(HandoffDesk.from_settings, self.settings)
        await deliver_operator_replies(desk, "kiosk", self.deliver_operator_reply)


def kiosk_router(service: KioskService) -> APIRouter:
    """The kiosk's routes on the web server."""
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/kiosk/")

    @router.get("/kiosk/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @router.get("/kiosk/audio/{clip_id}.wav", include_in_schema=False)
    async def audio(clip_id: str) -> Response:
        wav = service.clips.get(clip_id)
        if wav is None:
            return Response(status_code=404)
        return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})

    @router.websocket("/kiosk/ws")
    async def socket(websocket: WebSocket, session: str = "", lang: str = "zh") -> None:
        await service.serve_socket(websocket, session, lang)

    return router


def kiosk_static() -> StaticFiles:
    """The page's script and styles (mounted at ``/kiosk/static``)."""
    return StaticFiles(directory=STATIC_DIR)
