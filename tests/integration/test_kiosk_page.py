"""The kiosk page's server, as `make run` starts it: the page, its WebSocket, speech in and out.

A client speaks the page's protocol (``connectors/kiosk/PROTOCOL.md``) over a
real WebSocket to the web server on the web port, which talks to the real
assistant, recognises with the real Korean Vosk model from PyPI (set as the
Chinese model here) and speaks with pyttsx3 / espeak-ng.
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import urllib.error
import urllib.request
from typing import Any, AsyncIterator, Optional

import aiohttp
import pytest

from bot.handoff import HandoffDesk
from tests.conftest import RunningAssistant
from tests.unit.voice_helpers import korean_pcm
from voice.audio import rms, wav_to_pcm

pytestmark = pytest.mark.server

CHUNK = 3200  # 0.1 s of 16 kHz 16-bit audio


class Page:
    """A kiosk page's side of the WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.seen: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_str(json.dumps(message, ensure_ascii=False))

    async def next(self, kind: Optional[str] = None, timeout: float = 90) -> dict[str, Any]:
        """The next message (of a kind), skipping others."""
        while True:
            frame = await asyncio.wait_for(self.socket.receive(), timeout)
            assert frame.type == aiohttp.WSMsgType.TEXT, frame
            message = json.loads(frame.data)
            self.seen.append(message)
            if kind is None or message["type"] == kind:
                return message

    async def speak(self, pcm: bytes, rate: int = 16000, pace: float = 0.0) -> None:
        await self.send({"type": "start", "format": "pcm16", "sample_rate": rate, "channels": 1})
        step = CHUNK * rate // 16000
        for start in range(0, len(pcm), step):
            await self.socket.send_bytes(pcm[start:start + step])
            if pace:
                await asyncio.sleep(pace)

    async def say(self, text: str) -> dict[str, Any]:
        """Type a message; return the reply."""
        await self.send({"type": "text", "text": text})
        return await self.next("reply")


async def _page(assistant: RunningAssistant, session: str = "", lang: str = "zh"
                ) -> AsyncIterator[tuple[Page, dict[str, Any]]]:
    async with aiohttp.ClientSession() as http:
        url = f"{assistant.web_url}/kiosk/ws?session={session}&lang={lang}"
        async with http.ws_connect(url, max_msg_size=0) as socket:
            page = Page(socket)
            hello = await page.next("hello")
            yield page, hello


def _get(url: str) -> tuple[int, Any, bytes]:
    """Status, headers (case-insensitive) and body of a GET."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers, response.read()


def _resample_48k(pcm: bytes) -> bytes:
    """16 kHz to 48 kHz by repeating samples (what a browser's microphone rate would be)."""
    samples = memoryview(pcm).cast("h")
    return b"".join(struct.pack("<hhh", s, s, s) for s in samples)


def _assert_speech(assistant: RunningAssistant, audio: dict[str, Any]) -> None:
    status, headers, body = _get(assistant.web_url + audio["url"])
    assert status == 200 and headers["Content-Type"] == "audio/wav"
    pcm, _ = wav_to_pcm(body)
    assert len(pcm) > 16000 and rms(pcm) > 300, "the reply clip holds no speech"


def test_the_page_is_served_with_its_script_styles_and_safe_headers(assistant: RunningAssistant) -> None:
    status, headers, body = _get(assistant.web_url + "/")
    assert status == 200 and "按住说话" in body.decode("utf-8")
    assert headers["X-Frame-Options"] == "DENY" and "script-src 'self'" in headers["Content-Security-Policy"]
    for asset in ("kiosk.js", "kiosk.css"):
        status, _, body = _get(f"{assistant.web_url}/kiosk/static/{asset}")
        assert status == 200 and body
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(assistant.web_url + "/kiosk/audio/unknown.wav")
    assert missing.value.code == 404


async def test_a_typed_question_is_answered_in_writing_and_aloud(assistant: RunningAssistant) -> None:
    async for page, hello in _page(assistant):
        assert hello["voice"] is True and hello["session"]
        reply = await page.say("身份证丢了怎么办")
        assert reply["messages"] and any("身份证" in m["text"] for m in reply["messages"])
        audio = await page.next("audio")
        assert audio["turn"] == reply["turn"]
        _assert_speech(assistant, audio)


async def test_speech_streamed_from_the_page_is_heard_and_answered(assistant: RunningAssistant) -> None:
    async for page, _ in _page(assistant):
        await page.speak(korean_pcm() + bytes(16000))
        await page.send({"type": "stop"})
        partials_and_heard = await page.next("heard")
        assert partials_and_heard["text"].strip()
        assert any(m["type"] == "partial" for m in page.seen), "no partial results while speaking"
        reply = await page.next("reply")
        assert reply["messages"]
        _assert_speech(assistant, await page.next("audio"))


async def test_a_microphone_at_another_sample_rate_is_converted(assistant: RunningAssistant) -> None:
    async for page, _ in _page(assistant):
        await page.speak(_resample_48k(korean_pcm()), rate=48000)
        await page.send({"type": "stop"})
        assert (await page.next("heard"))["text"].strip()


@pytest.mark.parametrize("name, pcm, expected", [
    ("silence", bytes(3 * 32000), {"nothing_heard"}),
    ("a tap", struct.pack("<160h", *([8000] * 160)), {"nothing_heard"}),
    ("clipped", struct.pack("<32000h", *([32767, -32768] * 16000)), {"too_loud", "not_understood"}),
    ("noise", struct.pack("<32000h", *(random.Random(7).randint(-9000, 9000) for _ in range(32000))),
     {"not_understood", "heard"}),
])
async def test_odd_audio_gets_a_kind_prompt_and_the_page_carries_on(
        assistant: RunningAssistant, name: str, pcm: bytes, expected: set[str]) -> None:
    async for page, _ in _page(assistant):
        await page.speak(pcm)
        await page.send({"type": "stop"})
        outcome = await page.next()
        while outcome["type"] not in ("problem", "heard"):
            outcome = await page.next()
        got = outcome["code"] if outcome["type"] == "problem" else "heard"
        assert got in expected, (name, outcome)
        if outcome["type"] == "problem":
            assert outcome["text"] and "请" in outcome["text"]
            _assert_speech(assistant, await page.next("audio"))
        assert (await page.say("你好"))["messages"], "the page no longer works after odd audio"


async def test_bad_frames_and_formats_get_kind_answers_and_break_nothing(assistant: RunningAssistant) -> None:
    async for page, _ in _page(assistant):
        await page.socket.send_str("{not json")
        assert (await page.next("problem"))["code"] == "bad_message"
        for message in ({"no": "type"}, {"type": "launch"}, {"type": "text", "text": ""},
                        {"type": "text", "text": "x" * 5000}, {"type": "control", "name": "reboot"},
                        {"type": "button", "payload": 42}):
            await page.send(message)
            assert (await page.next("problem"))["code"] == "bad_message", message
        await page.socket.send_str("x" * 20000)
        assert (await page.next("problem"))["code"] == "bad_message"
        for start in ({"type": "start", "format": "opus"}, {"type": "start", "sample_rate": 1000},
                      {"type": "start", "sample_rate": "fast"}, {"type": "start", "channels": 6}):
            await page.send(start)
            problem = await page.next("problem")
            assert problem["code"] == "bad_audio" and "请" in problem["text"], start
        await page.socket.send_bytes(b"\x01\x02\x03")  # audio with no utterance started: ignored
        await page.speak(b"\x01" * 3201)  # an odd byte count is kept for the next piece
        await page.send({"type": "stop"})
        assert (await page.next("problem"))["code"] == "nothing_heard"
        assert (await page.say("你好"))["messages"]


async def test_a_stream_that_never_ends_is_cut_at_the_maximum_length(assistant: RunningAssistant) -> None:
    speech = korean_pcm()
    endless = (speech * (1 + 31 * 32000 // len(speech)))[:31 * 32000]
    async for page, _ in _page(assistant):
        await page.speak(endless)  # the button is never released
        stopped = await page.next("stopped", timeout=120)
        assert stopped["reason"] == "too_long"
        assert (await page.next("heard"))["text"]
        assert (await page.next("reply"))["messages"]


async def test_a_dropped_connection_keeps_the_conversation(assistant: RunningAssistant) -> None:
    session = ""
    async for page, hello in _page(assistant):
        session = hello["session"]
        reply = await page.say("我要办身份证")
        assert reply["messages"]
        await page.speak(korean_pcm()[: len(korean_pcm()) // 2])  # half an utterance, then the line drops
        await page.socket.close()
    async for page, hello in _page(assistant, session=session):
        assert hello["session"] == session
        reply = await page.say("/cancel")
        texts = " ".join(m["text"] for m in reply["messages"])
        assert "取消" in texts or "申请" in texts, texts  # the form begun before the drop was still there


async def test_a_digits_question_narrows_what_is_listened_for(assistant: RunningAssistant) -> None:
    async for page, _ in _page(assistant):
        await page.say("我要补办身份证")
        for _ in range(4):
            if page.seen[-1].get("expects") == "digits":
                break
            reply = page.seen[-1]
            buttons = [b for m in reply["messages"] for b in m["buttons"]]
            await page.say(buttons[0]["payload"] if buttons else "王秀英")
        assert page.seen[-1].get("expects") == "digits", page.seen[-1]
        await page.send({"type": "start"})
        assert (await page.next("listening"))["grammar"] == "digits"
        await page.send({"type": "stop"})
        await page.next("problem")
        await page.say("/cancel")


async def test_controls_work_and_without_a_model_the_page_offers_touch_and_text(
        assistant: RunningAssistant) -> None:
    async for page, hello in _page(assistant, lang="en"):
        assert hello["voice"] is False and "VOSK_MODEL" in hello["voice_message"]
        await page.send({"type": "control", "name": "language"})
        hello = await page.next("hello")
        assert hello["language"] == "zh" and hello["voice"] is True
        reply = await page.next("reply")
        assert reply["language"] == "zh"
        await page.send({"type": "control", "name": "language"})
        assert (await page.next("hello"))["language"] == "en"
        reply = await page.next("reply")
        assert reply["language"] == "en", reply  # the assistant switched with the page
        for control in ("slower", "repeat"):
            await page.send({"type": "control", "name": control})
            assert (await page.next("reply"))["messages"], control


async def test_an_operators_reply_reaches_the_page_at_once(assistant: RunningAssistant) -> None:
    async for page, hello in _page(assistant):
        await page.send({"type": "control", "name": "person"})
        await page.next("reply")
        desk = HandoffDesk(f"sqlite:///{assistant.data_dir / 'handoff.db'}")
        handoff = desk.current(f"kiosk-{hello['session']}")
        assert handoff is not None
        desk.take(handoff.id, "小王")
        desk.reply(handoff.id, "小王", "您好，我来帮您。")
        pushed = await page.next("operator", timeout=20)
        assert "您好，我来帮您。" in pushed["text"] and "小王" in pushed["text"]
        desk.close(handoff.id)
