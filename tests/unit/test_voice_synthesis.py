import asyncio
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bot.settings import PROJECT_DIR
from tests.unit.voice_helpers import espeak_wav
from voice import synthesis
from voice.audio import duration_seconds, is_silent, rms, wav_to_pcm
from voice.synthesis import (
    ELDERLY_SENTENCE_PAUSE,
    Pyttsx3Synthesizer,
    SynthesisError,
    engine_thread,
    engine_worker,
    shared_synthesizer,
    speak_reply,
)

ZH = "您好，欢迎使用政务服务助手。请问您要办理什么业务？"
EN = "Hello, welcome to the public services assistant. What would you like to do today?"


def speech(wav: bytes) -> tuple[bytes, int]:
    pcm, rate = wav_to_pcm(wav)
    assert not is_silent(pcm)
    assert rms(pcm) > 1000, "the audio has no speech energy"
    return pcm, rate


def longest_silence(pcm: bytes, rate: int, window: float = 0.01) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    size = int(rate * window)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    quiet = np.sqrt((frames**2).mean(axis=1)) < 50
    longest = run = 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    return longest * window


@pytest.mark.parametrize(("language", "text", "voice"), [("zh", ZH, "cmn-latn-pinyin"), ("en", EN, "en-us")])
def test_chinese_and_english_speech_through_pyttsx3(language: str, text: str, voice: str) -> None:
    pcm, rate = speech(Pyttsx3Synthesizer().synthesize(text, language))
    seconds = duration_seconds(pcm, rate)
    assert 3.0 < seconds < 15.0
    # the same voice and rate as espeak-ng's own command line, sentence by sentence, plus the pauses
    alone = [wav_to_pcm(espeak_wav(sentence, voice, rate=175))[0]
             for sentence in synthesis.split_sentences(text)]
    pauses = synthesis.SENTENCE_PAUSE * (len(alone) - 1)
    expected = sum(duration_seconds(part, rate) for part in alone) + pauses
    assert seconds == pytest.approx(expected, abs=0.1)


def test_elderly_speech_is_slower_with_longer_pauses() -> None:
    normal_pcm, rate = speech(Pyttsx3Synthesizer().synthesize(ZH, "zh"))
    elderly_pcm, _ = speech(Pyttsx3Synthesizer(elderly=True).synthesize(ZH, "zh"))
    assert duration_seconds(elderly_pcm, rate) > 1.25 * duration_seconds(normal_pcm, rate)
    assert longest_silence(elderly_pcm, rate) >= ELDERLY_SENTENCE_PAUSE
    # one text slow, from the shared (normal speed) synthesizer
    slow_pcm, _ = speech(shared_synthesizer().synthesize(ZH, "zh", elderly=True))
    assert duration_seconds(slow_pcm, rate) == pytest.approx(duration_seconds(elderly_pcm, rate), abs=0.1)
    assert shared_synthesizer() is shared_synthesizer() and not shared_synthesizer().elderly
    slower_pcm, _ = speech(Pyttsx3Synthesizer().synthesize(EN, "en", rate_factor=0.8))
    faster_pcm, _ = speech(Pyttsx3Synthesizer().synthesize(EN, "en", rate_factor=1.2))
    assert duration_seconds(slower_pcm, rate) > duration_seconds(faster_pcm, rate)


def test_rates() -> None:
    assert Pyttsx3Synthesizer().rate_for() == 175
    assert Pyttsx3Synthesizer(elderly=True).rate_for() == round(175 * 0.75)
    assert Pyttsx3Synthesizer(elderly=True).rate_for(0.1) == synthesis.MIN_RATE
    assert Pyttsx3Synthesizer().rate_for(10) == synthesis.MAX_RATE


def test_one_engine_in_one_thread_serves_every_caller() -> None:
    first = Pyttsx3Synthesizer()
    first.synthesize("你好。", "zh")
    thread, engine = engine_thread(), engine_worker().engine
    assert thread is not None and thread.is_alive()
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = [("你好，请问有什么可以帮您？", "zh"), ("How can I help?", "en")] * 3
        results = list(pool.map(lambda job: Pyttsx3Synthesizer(elderly=True).synthesize(*job), texts))
    for wav in results:
        speech(wav)
    assert engine_thread() is thread
    assert engine_worker().engine is engine
    assert [t.name for t in threading.enumerate()].count("pyttsx3-engine") == 1


async def test_asyncio_callers_await_the_engine_thread() -> None:
    synthesizer = Pyttsx3Synthesizer()
    zh, en = await asyncio.gather(synthesizer.synthesize_async("好的。", "zh"),
                                  synthesizer.synthesize_async("All right.", "en"))
    speech(zh)
    speech(en)


def test_a_written_reply_is_spoken_the_spoken_way() -> None:
    synthesizer = Pyttsx3Synthesizer()
    reply, reply_rate = speech(speak_reply(synthesizer, "手机 13812345678 👍", "zh"))
    spoken, rate = speech(synthesizer.synthesize("手机幺三八，幺二三四，五六七八。", "zh"))
    # (espeak-ng's output varies by a few milliseconds from one call to the next)
    assert duration_seconds(reply, reply_rate) == pytest.approx(duration_seconds(spoken, rate), abs=0.05)


@pytest.mark.parametrize(("text", "language", "reason"),
                         [("。。！", "zh", synthesis.NOTHING_TO_SAY), ("", "en", synthesis.NOTHING_TO_SAY),
                          ("Bonjour.", "fr", synthesis.UNKNOWN_LANGUAGE)])
def test_nothing_to_say_and_unknown_languages_are_refused(text: str, language: str, reason: str) -> None:
    with pytest.raises(SynthesisError) as raised:
        Pyttsx3Synthesizer().synthesize(text, language)
    assert raised.value.reason == reason


def test_a_long_chinese_text_as_the_first_utterance_of_a_process_is_complete() -> None:
    # pyttsx3's own espeak driver returned from the first runAndWait before such a file was written.
    code = ("import sys; from voice.synthesis import Pyttsx3Synthesizer; from voice.audio import *; "
            "pcm, rate = wav_to_pcm(Pyttsx3Synthesizer().synthesize(sys.argv[1], 'zh')); "
            "print(duration_seconds(pcm, rate), rms(pcm))")
    text = ("您好，欢迎使用政务服务助手。您可以说办身份证、养老金资格认证，或者预约办理。"
            "如果需要人工服务，请说转人工。")
    done = subprocess.run([sys.executable, "-c", code, text], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=60, check=True)
    seconds, level = map(float, done.stdout.split())
    assert seconds > 8.0
    assert level > 1000
