"""The kiosk page in real headless Chromium, with a WAV file as its microphone.

The page served by `make run` streams the "microphone" (Korean speech from
espeak-ng, recognised by the real Korean Vosk model set as the Chinese model)
to the server while the talk button is held; the transcript appears, the
reply is shown and played. The page is audited with axe-core for WCAG 2.2 AA,
and checked for the kiosk's own rules: text 24-36 px, contrast 7:1, big targets.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.axe import audit, describe, font_sizes, small_targets, text_contrast_problems
from tests.browser.chromium import Chromium
from tests.conftest import RunningAssistant
from tests.unit.voice_helpers import KOREAN_SPEECH, espeak_wav

pytestmark = pytest.mark.server

#: Elements that carry the page's text.
TEXT = "h1, h2, p, button, label, input, span"


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone hears (Chromium plays the file in a loop)."""
    path = tmp_path_factory.mktemp("microphone") / "speech.wav"
    path.write_bytes(espeak_wav(KOREAN_SPEECH, "ko"))
    return path


@pytest.fixture()
def kiosk(assistant: RunningAssistant, microphone: Path) -> Iterator[Chromium]:
    """A fresh browser on the kiosk page, connected and greeted."""
    with Chromium(fake_microphone=microphone, window=(1080, 1600)) as browser:
        browser.open(f"{assistant.web_url}/kiosk/")
        browser.wait_for("window.kiosk && window.kiosk.connected && window.kiosk.session")
        try:
            yield browser
        except BaseException:
            print("\n".join(browser.console_messages()))
            raise


def _hold_to_talk(browser: Chromium, seconds: float) -> None:
    browser.press("#talk")
    browser.wait_for("window.kiosk.listening")
    time.sleep(seconds)
    browser.release("#talk")


def test_speech_from_the_microphone_is_heard_answered_shown_and_played(kiosk: Chromium) -> None:
    replies_before = kiosk.evaluate("window.kiosk.lastReply")
    _hold_to_talk(kiosk, 4.0)
    assert kiosk.evaluate("window.kiosk.sentChunks") > 10, "no audio reached the server"
    heard = kiosk.wait_for("document.getElementById('heard').textContent.trim()", timeout=60)
    assert heard
    kiosk.wait_for(f"window.kiosk.lastReply && window.kiosk.lastReply !== {replies_before!r}", timeout=60)
    assert kiosk.evaluate("document.getElementById('reply').textContent.trim().length") > 0
    kiosk.wait_for("window.kiosk.played >= 1", timeout=60)


def test_a_long_reply_can_be_interrupted_by_pressing_the_button(kiosk: Chromium) -> None:
    kiosk.type_text("#text", "身份证丢了怎么补办")
    kiosk.click("#typed button[type=submit]")
    kiosk.wait_for("window.kiosk.played >= 1 && !document.getElementById('player').paused", timeout=60)
    kiosk.press("#talk")  # barge-in
    assert kiosk.evaluate("document.getElementById('player').paused")
    assert kiosk.evaluate("window.kiosk.queue.length") == 0
    kiosk.wait_for("window.kiosk.listening")
    time.sleep(3.0)
    assert kiosk.evaluate("document.getElementById('player').paused"), "the old reply started again"
    kiosk.release("#talk")
    # The new utterance is handled: heard (and answered), or a kind prompt to say it again.
    kiosk.wait_for("document.getElementById('heard').textContent.trim() || window.kiosk.problems.length",
                   timeout=60)


def test_choices_are_big_buttons_and_the_conversation_survives_a_reload(
        kiosk: Chromium, assistant: RunningAssistant) -> None:
    kiosk.type_text("#text", "我要预约")
    kiosk.key("Enter")
    kiosk.wait_for("document.querySelectorAll('#choices button').length > 0", timeout=60)
    assert small_targets(kiosk, minimum_px=64, selector="#choices button, #talk, .controls button") == []
    first = kiosk.evaluate("document.querySelector('#choices button').textContent")
    kiosk.click("#choices button")
    kiosk.wait_for(f"window.kiosk.heard.includes({first!r})")
    session = kiosk.evaluate("window.kiosk.session")
    kiosk.open(f"{assistant.web_url}/kiosk/")
    kiosk.wait_for("window.kiosk.connected && window.kiosk.session")
    assert kiosk.evaluate("window.kiosk.session") == session
    kiosk.click("[data-control=repeat]")  # the assistant repeats the booking question: nothing was lost
    kiosk.wait_for("window.kiosk.lastReply.length > 0", timeout=60)
    kiosk.type_text("#text", "取消")
    kiosk.key("Enter")


def test_the_page_meets_wcag_22_aa_and_the_kiosk_rules_at_every_text_size(kiosk: Chromium) -> None:
    kiosk.type_text("#text", "你好")
    kiosk.key("Enter")
    kiosk.wait_for("window.kiosk.lastReply.length > 0", timeout=60)
    for button in ("#smaller", "#bigger"):
        while not kiosk.evaluate(f"document.querySelector('{button}').disabled"):
            kiosk.click(button)
        sizes = font_sizes(kiosk, TEXT)
        assert sizes and min(sizes) >= 24, sizes
        assert kiosk.evaluate("getComputedStyle(document.documentElement).fontSize") == (
            "24px" if button == "#smaller" else "36px")
        violations = audit(kiosk)
        assert violations == [], describe(violations)
        assert text_contrast_problems(kiosk, minimum=7.0) == []
        assert small_targets(kiosk, minimum_px=44) == []
    for control in ("repeat", "slower", "person", "language"):
        assert kiosk.evaluate(f"!!document.querySelector('[data-control={control}]').offsetParent")


def test_english_shows_that_voice_is_missing_and_offers_touch_and_text(kiosk: Chromium) -> None:
    kiosk.click("[data-control=language]")
    kiosk.wait_for("document.documentElement.lang === 'en' && document.getElementById('talk').hidden")
    note = kiosk.evaluate("document.getElementById('voice-note').textContent")
    assert "VOSK_MODEL_EN" in note
    kiosk.type_text("#text", "How do I renew my ID card?")
    kiosk.key("Enter")
    kiosk.wait_for("window.kiosk.lastReply.length > 0 && window.kiosk.language === 'en'", timeout=60)
    violations = audit(kiosk)
    assert violations == [], describe(violations)
