"""The headless Chromium driver and the accessibility checks, on small pages served on loopback."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import math
import struct
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import audit, describe, font_sizes, small_targets, text_contrast_problems
from tests.browser.chromium import BrowserError, Chromium, JavaScriptError, chromium_available

HEAD = '<meta charset="utf-8"><link rel="icon" href="data:,">'
PICTURE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/%3E"

PAGES = {
    "driver.html": f"""<!doctype html>
<html lang="en"><head>{HEAD}<title>Driver</title>
<style>body {{ font: 20px sans-serif; }} #spacer {{ height: 2500px; }}</style></head>
<body><main>
<h1>Driver</h1>
<form id="form">
  <label for="name">Name</label> <input id="name" autocomplete="off">
  <button id="count" type="button">Count</button>
</form>
<p>Clicks: <span id="clicks">0</span>, typed: <span id="echo"></span>, submitted: <span id="sent"></span></p>
<div id="spacer"></div>
<button id="talk" type="button">Hold to talk</button>
<p id="events"></p>
</main>
<script>
  const $ = (selector) => document.querySelector(selector);
  let clicks = 0;
  $("#count").addEventListener("click", (event) => {{
    $("#clicks").textContent = ++clicks;
    window.trusted = event.isTrusted;
  }});
  $("#name").addEventListener("input", () => {{ $("#echo").textContent = $("#name").value; }});
  $("#form").addEventListener("submit", (event) => {{
    event.preventDefault();
    $("#sent").textContent = $("#name").value;
  }});
  for (const type of ["mousedown", "mouseup", "pointerdown", "pointerup"]) {{
    $("#talk").addEventListener(type, () => {{ $("#events").textContent += type + " "; }});
  }}
  setTimeout(() => {{ window.later = "ready"; }}, 300);
  console.log("driver page", {{loaded: true}});
</script></body></html>""",
    "accessible.html": f"""<!doctype html>
<html lang="zh-CN"><head>{HEAD}<title>政务服务</title>
<style>body {{ font: 24px sans-serif; color: #000; background: #fff; }}
button {{ min-width: 48px; min-height: 48px; font: inherit; }}</style></head>
<body><main>
<h1>政务服务助手</h1>
<p>请按住按钮说话。Hold the button to talk.</p>
<img src="{PICTURE}" alt="麦克风">
<button type="button">说话 Talk</button>
</main></body></html>""",
    "violations.html": f"""<!doctype html>
<html lang="en"><head>{HEAD}<title>Violations</title></head>
<body><main>
<h1>Violations</h1>
<img id="no-alt" src="{PICTURE}">
<p id="faint" style="color: #bbb; background: #fff">Hard to read</p>
</main></body></html>""",
    "measure.html": f"""<!doctype html>
<html lang="en"><head>{HEAD}<title>Measure</title>
<style>
  body {{ font: 16px sans-serif; color: #000; background: #fff; margin: 0; }}
  .dark {{ background: #102040; color: #fff; }}
  #big {{ width: 60px; height: 50px; }}
  #small {{ width: 30px; height: 20px; padding: 0; }}
  .hidden {{ display: none; }}
</style></head>
<body><main>
<p id="good">Black on white</p>
<p id="faint" style="color: #777">Grey on white</p>
<div class="dark"><p id="light">White on navy</p><p id="dim" style="color: #555">Grey on navy</p></div>
<div style="background: rgba(0, 0, 0, 0.5)">
  <span id="veiled" style="color: #000">Black on half black</span>
</div>
<p class="hidden" style="color: #eee">Hidden and faint</p>
<button id="big" type="button">OK</button>
<button id="small" type="button">x</button>
<button class="hidden" type="button">hidden</button>
<a id="link" href="#top">top</a>
<p class="size" style="font-size: 16px">Small</p>
<p class="size" style="font-size: 1.5rem">Large</p>
<p class="size hidden" style="font-size: 40px">Hidden</p>
</main></body></html>""",
    "blank.html": f"<!doctype html><html lang='en'><head>{HEAD}<title>Blank</title></head><body></body>",
}


def sine_wav(seconds: float, rate: int = 16_000, frequency: float = 440.0) -> bytes:
    """A mono 16-bit WAV of a sine tone at half of full scale."""
    frames = b"".join(
        struct.pack("<h", round(16_000 * math.sin(2 * math.pi * frequency * i / rate)))
        for i in range(round(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The pages above served by http.server on a free loopback port; yields the base URL."""
    root = tmp_path_factory.mktemp("site")
    for name, html in PAGES.items():
        (root / name).write_text(html, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(window=(1024, 768)) as chromium:
        yield chromium


def test_chromium_is_installed() -> None:
    assert chromium_available() is None


def test_evaluate_and_wait_for(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/driver.html")
    assert browser.evaluate("document.title") == "Driver"
    assert browser.evaluate("[innerWidth, innerHeight]") == [1024, 768]
    assert browser.evaluate("({a: [1, '二']})") == {"a": [1, "二"]}
    assert browser.evaluate("undefined") is None
    assert browser.evaluate("Promise.resolve(6 * 7)", await_promise=True) == 42
    assert browser.wait_for("window.later", timeout=5) == "ready"
    with pytest.raises(JavaScriptError, match="Cannot read properties of null"):
        browser.evaluate("document.querySelector('#nothing').textContent")
    with pytest.raises(AssertionError, match=r"window.never.*last value: None"):
        browser.wait_for("window.never", timeout=0.3)
    assert "log: driver page {loaded: true}" in browser.console_messages()


def test_click_and_typing_change_the_page(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/driver.html")
    browser.click("#count")
    browser.click("#count")
    assert browser.wait_for("document.querySelector('#clicks').textContent === '2'", timeout=5)
    assert browser.evaluate("window.trusted") is True
    browser.type_text("#name", "你好 Li")
    browser.type_text("#name", "!")
    assert browser.wait_for("document.querySelector('#echo').textContent", timeout=5) == "你好 Li!"
    browser.key("Enter")
    assert browser.wait_for("document.querySelector('#sent').textContent", timeout=5) == "你好 Li!"
    browser.evaluate("document.querySelector('#count').focus()")
    browser.key(" ")
    assert browser.wait_for("document.querySelector('#clicks').textContent === '3'", timeout=5)
    with pytest.raises(BrowserError, match="no element matches"):
        browser.click("#missing")


def test_press_and_release_hold_the_button(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/driver.html")
    browser.press("#talk")  # below the fold: scrolled into view first
    assert browser.evaluate("scrollY") > 0
    assert browser.evaluate("document.querySelector('#events').textContent") == "pointerdown mousedown "
    browser.release("#talk")
    assert (
        browser.evaluate("document.querySelector('#events').textContent")
        == "pointerdown mousedown pointerup mouseup "
    )


def test_accessible_page_passes_the_audit(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/accessible.html")
    violations = audit(browser)
    assert not violations, describe(violations)
    assert audit(browser, context="main") == []  # axe-core already in the page
    assert describe([]) == "no accessibility violations"


def test_audit_reports_violations(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/violations.html")
    violations = audit(browser)
    found = {violation["id"]: violation for violation in violations}
    assert set(found) == {"image-alt", "color-contrast"}, describe(violations)
    assert found["image-alt"]["nodes"][0]["target"] == ["#no-alt"]
    assert found["color-contrast"]["nodes"][0]["target"] == ["#faint"]
    text = describe(violations)
    assert "image-alt (critical)" in text
    assert "#no-alt" in text and "#faint" in text


def test_contrast_target_and_font_helpers(browser: Chromium, site: str) -> None:
    browser.open(f"{site}/measure.html")
    problems = text_contrast_problems(browser)
    assert [problem.split(" ")[0] for problem in problems] == ["p#faint", "p#dim", "span#veiled"], problems
    assert "4.48:1 (rgb(119, 119, 119) on rgb(255, 255, 255)), below 7:1" in problems[0]
    assert text_contrast_problems(browser, minimum=4.5, selector="#faint") == [
        problems[0].replace("below 7:1", "below 4.5:1")
    ]
    assert "(rgb(0, 0, 0) on rgb(128, 128, 128))" in problems[2]  # translucent layers blended
    assert [problem.split(" ")[0] for problem in text_contrast_problems(browser, minimum=4.4)] == ["p#dim"]

    targets = small_targets(browser)
    assert [target.split(" ")[0] for target in targets] == ["button#small", "a#link"], targets
    assert targets[0] == 'button#small "x": 30x20 px, below 44 px'
    assert small_targets(browser, minimum_px=10, selector="#small") == []

    assert font_sizes(browser, ".size") == [16.0, 24.0]


def test_fake_microphone_and_audio_playback(site: str, tmp_path: Path) -> None:
    microphone = tmp_path / "tone.wav"
    microphone.write_bytes(sine_wav(1.0))
    with Chromium(fake_microphone=microphone) as chromium:
        chromium.open(f"{site}/blank.html")
        heard = chromium.evaluate(
            """(async () => {
              const stream = await navigator.mediaDevices.getUserMedia({audio: true});
              const context = new AudioContext();
              await context.resume();
              const analyser = context.createAnalyser();
              analyser.fftSize = 4096;
              context.createMediaStreamSource(stream).connect(analyser);
              const wave = new Float32Array(analyser.fftSize);
              const spectrum = new Float32Array(analyser.frequencyBinCount);
              let peak = 0, loudest = 0;
              for (let tries = 0; tries < 30 && peak < 0.1; tries++) {
                await new Promise((resolve) => setTimeout(resolve, 100));
                analyser.getFloatTimeDomainData(wave);
                analyser.getFloatFrequencyData(spectrum);
                peak = Math.max(...wave.map(Math.abs));
                loudest = spectrum.indexOf(Math.max(...spectrum)) * context.sampleRate / analyser.fftSize;
              }
              return {peak, loudest};
            })()""",
            await_promise=True,
        )
        assert heard["peak"] > 0.1, heard
        assert abs(heard["loudest"] - 440) < 25, heard

        # Playback needs no sound card: a clip plays to its end, without a user gesture.
        clip = "data:audio/wav;base64," + base64.b64encode(sine_wav(0.3)).decode()
        chromium.evaluate(
            f"""window.playback = {{}};
            const clip = new Audio({clip!r});
            clip.addEventListener("ended", () => {{ window.playback.ended = true; }});
            clip.play().then(() => {{ window.playback.started = true; }},
                             (error) => {{ window.playback.error = String(error); }});"""
        )
        assert chromium.wait_for("window.playback.ended && window.playback", timeout=5) == {
            "started": True,
            "ended": True,
        }


def test_screenshot_and_close(site: str, tmp_path: Path) -> None:
    chromium = Chromium(window=(400, 300))
    profile = chromium._profile
    try:
        chromium.open(f"{site}/accessible.html")
        chromium.screenshot(tmp_path / "page.png")
        assert (tmp_path / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert profile.is_dir()
    finally:
        chromium.close()
    chromium.close()
    assert not profile.exists()
    with pytest.raises(BrowserError, match="closed"):
        chromium.evaluate("1")
