"""A small headless Chromium driver over the Chrome DevTools Protocol, for browser tests.

Starts Debian's ``/usr/bin/chromium`` (installed by ``scripts/setup-browser.sh``) with a fresh
profile and talks to its first page over a DevTools WebSocket, with aiohttp alone. The API is
synchronous: the protocol runs on a private asyncio event loop in a background thread, so it works
the same from plain and from asyncio tests::

    with Chromium() as browser:
        browser.open("http://127.0.0.1:8080/")
        browser.click("#start")
        browser.wait_for("document.querySelector('#status').textContent === 'Ready'")

Mouse and keyboard input are real input events (``Input.dispatchMouseEvent``,
``Input.dispatchKeyEvent``, ``Input.insertText``), as from a user, not synthetic DOM events.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Coroutine, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Optional, TypeVar

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
SETUP_HINT = "run `bash scripts/setup-browser.sh` (as root) to install it"

#: How long to wait for Chromium to start and show its first page, in seconds.
STARTUP_TIMEOUT = 30.0

_T = TypeVar("_T")

#: Windows virtual key codes and DOM ``code`` values of the named keys `Chromium.key` knows.
_KEYS: dict[str, tuple[int, str, str]] = {
    # key: (virtual key code, code, text typed)
    "Enter": (13, "Enter", "\r"),
    " ": (32, "Space", " "),
    "Tab": (9, "Tab", ""),
    "Escape": (27, "Escape", ""),
    "Backspace": (8, "Backspace", ""),
    "Delete": (46, "Delete", ""),
    "ArrowLeft": (37, "ArrowLeft", ""),
    "ArrowUp": (38, "ArrowUp", ""),
    "ArrowRight": (39, "ArrowRight", ""),
    "ArrowDown": (40, "ArrowDown", ""),
    "Home": (36, "Home", ""),
    "End": (35, "End", ""),
    "PageUp": (33, "PageUp", ""),
    "PageDown": (34, "PageDown", ""),
}

# Finds the element, scrolls it to the middle of the viewport (when asked) and returns the centre
# of its box, and whether a pointer there actually reaches it (nothing covers it).
_LOCATE_JS = """
((selector, scroll) => {
  const element = document.querySelector(selector);
  if (!element) return {error: "no element matches " + JSON.stringify(selector)};
  if (scroll) element.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) {
    return {error: JSON.stringify(selector) + " has no size (hidden?)"};
  }
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  const reached = hit !== null && (element === hit || element.contains(hit));
  const label = (el) => el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "") : "nothing";
  return {x, y, reached, hit: label(hit)};
})
"""


class BrowserError(RuntimeError):
    """Chromium could not be started, or a DevTools command failed."""


class BrowserClosed(BrowserError):
    """The browser was closed, or the DevTools connection to it was lost."""


class JavaScriptError(BrowserError):
    """An evaluated expression threw (or its promise rejected)."""


def chromium_available() -> Optional[str]:
    """Tell whether Chromium can be started here.

    Returns:
        None when ``/usr/bin/chromium`` is installed and answers ``--version``; otherwise the reason
        it cannot be used, to show in a failure or skip message.
    """
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: {SETUP_HINT}"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not executable"
    try:
        done = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{CHROMIUM} --version failed: {error}"
    if done.returncode != 0 or "Chromium" not in done.stdout:
        return f"{CHROMIUM} --version failed ({done.returncode}): {(done.stdout + done.stderr).strip()}"
    return None


def _stop_process_group(process: subprocess.Popen[bytes], workdir: str) -> None:
    """Kill Chromium and every helper process it started, then remove its profile."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
    # Helpers (renderer, zygote) can outlive the browser process for a moment.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    shutil.rmtree(workdir, ignore_errors=True)


class Chromium:
    """One headless Chromium with one page, driven over the DevTools protocol.

    Args:
        fake_microphone: A WAV file that ``getUserMedia({audio: true})`` reads as the microphone
            (looped), with the permission prompt answered "allow".
        window: The window (and so viewport) size in CSS pixels, width and height.
        extra_args: More Chromium command-line switches.

    Raises:
        BrowserError: Chromium is missing, exits early, or shows no page in time.
    """

    def __init__(
        self,
        *,
        fake_microphone: Optional[Path] = None,
        window: tuple[int, int] = (1280, 900),
        extra_args: Sequence[str] = (),
    ) -> None:
        self._console: list[str] = []
        self._console_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []
        self._session: Optional[aiohttp.ClientSession] = None
        self._socket: Optional[aiohttp.ClientWebSocketResponse] = None
        self._reader: Optional[asyncio.Task[None]] = None
        self._closed = False

        if not CHROMIUM.exists():
            raise BrowserError(f"{CHROMIUM} is missing: {SETUP_HINT}")
        if fake_microphone is not None and not Path(fake_microphone).is_file():
            raise BrowserError(f"fake microphone file {fake_microphone} does not exist")

        self._workdir = tempfile.mkdtemp(prefix="chromium-test-")
        self._profile = Path(self._workdir) / "profile"
        self._log_path = Path(self._workdir) / "chromium.log"
        args = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--autoplay-policy=no-user-gesture-required",
            f"--window-size={window[0]},{window[1]}",
            f"--user-data-dir={self._profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ]
        if fake_microphone is not None:
            args += [
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={Path(fake_microphone).resolve()}",
            ]
        args += [*extra_args, "about:blank"]
        try:
            with open(self._log_path, "wb") as log:
                self._process: subprocess.Popen[bytes] = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, killed whole by close()
                )
        except OSError as error:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise BrowserError(f"could not start {CHROMIUM}: {error}") from error
        self._stop = weakref.finalize(self, _stop_process_group, self._process, self._workdir)

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chromium-cdp", daemon=True)
        self._thread.start()
        try:
            self._run(self._attach(), STARTUP_TIMEOUT + 5)
            self._run(self._enable(window), 20)
        except BaseException:
            self.close()
            raise

    # -- context manager --------------------------------------------------------------------------

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------------

    def open(self, url: str, timeout: float = 20) -> None:
        """Navigate the page to a URL and wait for its load event.

        Args:
            url: The address to load.
            timeout: Seconds to wait for the page to load.

        Raises:
            BrowserError: The navigation failed (e.g. connection refused).
            TimeoutError: The page did not finish loading in time.
        """
        self._run(self._open(url, timeout), timeout + 5)

    def evaluate(self, expression: str, *, await_promise: bool = False, timeout: float = 20) -> Any:
        """Evaluate a JavaScript expression in the page and return its value.

        Args:
            expression: The JavaScript expression.
            await_promise: Wait for a returned promise and return what it resolves to.
            timeout: Seconds to wait for the result.

        Returns:
            The value as JSON would carry it (None for undefined; NaN and infinities as floats).

        Raises:
            JavaScriptError: The expression threw, or its promise rejected; the message has the
                JavaScript exception.
            TimeoutError: No result in time.
        """
        return self._run(self._evaluate(expression, await_promise, timeout), timeout + 5)

    def wait_for(self, expression: str, timeout: float = 20, interval: float = 0.1) -> Any:
        """Evaluate an expression over and over until its value is truthy.

        An expression that throws, or does not answer in time, counts as not yet true (the element
        may not exist yet, the page may be navigating).

        Args:
            expression: The JavaScript expression (a promise is awaited).
            timeout: Seconds to keep trying.
            interval: Seconds between tries.

        Returns:
            The first truthy value.

        Raises:
            AssertionError: Still not truthy after the timeout; names the expression and the last
                value (or exception).
        """
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            remaining = max(deadline - time.monotonic(), 0.5)
            try:
                last = self.evaluate(expression, await_promise=True, timeout=remaining)
            except BrowserClosed:
                raise
            except (BrowserError, TimeoutError) as error:
                last = error
            else:
                if last:
                    return last
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"waited {timeout:g} s for {expression!r} to be true; last value: {last!r}"
                )
            time.sleep(interval)

    def click(self, selector: str) -> None:
        """Click the element's centre with the left mouse button, after scrolling it into view.

        Args:
            selector: A CSS selector; the first match is clicked.

        Raises:
            BrowserError: No element matches, it has no size, or something else covers its centre.
        """
        x, y = self._locate(selector, scroll=True, require_reached=True)
        self._run(self._mouse_click(x, y), 20)

    def press(self, selector: str) -> None:
        """Press and hold the left mouse button on the element's centre (hold to talk).

        Args:
            selector: A CSS selector; the first match is pressed.

        Raises:
            BrowserError: No element matches, it has no size, or something else covers its centre.
        """
        x, y = self._locate(selector, scroll=True, require_reached=True)
        self._run(self._mouse("mouseMoved", x, y, buttons=0), 20)
        self._run(self._mouse("mousePressed", x, y, buttons=1, button="left", click_count=1), 20)

    def release(self, selector: str) -> None:
        """Release the left mouse button over the element's centre (after `press`).

        Args:
            selector: A CSS selector; the first match is where the button is released.

        Raises:
            BrowserError: No element matches, or it has no size.
        """
        x, y = self._locate(selector, scroll=False, require_reached=False)
        self._run(self._mouse("mouseMoved", x, y, buttons=1), 20)
        self._run(self._mouse("mouseReleased", x, y, buttons=0, button="left", click_count=1), 20)

    def type_text(self, selector: str, text: str) -> None:
        """Focus the element and type text into it, as an input method would (any script).

        The caret goes to the end of what the field already holds.

        Args:
            selector: A CSS selector of an input, a text area or an editable element.
            text: The text to type.

        Raises:
            BrowserError: No element matches.
        """
        found = self.evaluate(
            f"""(() => {{
              const el = document.querySelector({json.dumps(selector)});
              if (!el) return false;
              el.focus();
              try {{
                if (typeof el.value === "string") {{
                  el.setSelectionRange(el.value.length, el.value.length);
                }} else if (el.isContentEditable) {{
                  getSelection().selectAllChildren(el);
                  getSelection().collapseToEnd();
                }}
              }} catch (e) {{}}
              return true;
            }})()"""
        )
        if not found:
            raise BrowserError(f"no element matches {selector!r}")
        self._run(self._command("Input.insertText", {"text": text}), 20)

    def key(self, key: str) -> None:
        """Press and release one key on the focused element.

        Args:
            key: A DOM key name: "Enter", " ", "Tab", "Escape", "Backspace", "Delete", the arrows,
                "Home", "End", "PageUp", "PageDown", or a single printable character.

        Raises:
            ValueError: A key this driver does not know.
        """
        self._run(self._key(key), 20)

    def console_messages(self) -> list[str]:
        """Everything the page logged so far: console calls, uncaught exceptions, browser log.

        Returns:
            One line each, such as ``"error: Failed to fetch"``, oldest first.
        """
        with self._console_lock:
            return list(self._console)

    def screenshot(self, path: Path) -> None:
        """Save a PNG picture of the viewport.

        Args:
            path: Where to write the PNG file.
        """
        result = self._run(self._command("Page.captureScreenshot", {"format": "png"}), 30)
        Path(path).write_bytes(base64.b64decode(result["data"]))

    def close(self) -> None:
        """Stop Chromium (its whole process group) and remove its profile. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop).result(10)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
        self._stop()

    @property
    def log(self) -> str:
        """Chromium's own output (stderr) so far, for diagnosing start-up failures."""
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- internals --------------------------------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, _T], timeout: float) -> _T:
        if self._closed:
            coroutine.close()
            raise BrowserClosed("the browser is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer from chromium in {timeout:g} s") from None

    def _locate(self, selector: str, *, scroll: bool, require_reached: bool) -> tuple[float, float]:
        where = self.evaluate(f"{_LOCATE_JS}({json.dumps(selector)}, {json.dumps(scroll)})")
        if "error" in where:
            raise BrowserError(where["error"])
        if require_reached and not where["reached"]:
            raise BrowserError(f"{selector!r} is covered at its centre by {where['hit']}")
        return float(where["x"]), float(where["y"])

    async def _attach(self) -> None:
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        port = 0
        while not port:
            if self._process.poll() is not None:
                raise BrowserError(
                    f"chromium exited with {self._process.returncode} on start-up:\n{self.log[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise BrowserError(f"chromium did not open its DevTools port in time:\n{self.log[-3000:]}")
            try:
                first_line = port_file.read_text().splitlines()[0]
                port = int(first_line)
            except (OSError, IndexError, ValueError):
                await asyncio.sleep(0.05)
        self._session = aiohttp.ClientSession()
        page_socket = ""
        while not page_socket:
            async with self._session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json(content_type=None)
            pages = [target for target in targets if target.get("type") == "page"]
            if pages:
                page_socket = pages[0]["webSocketDebuggerUrl"]
            elif time.monotonic() > deadline:
                raise BrowserError(f"chromium showed no page in time:\n{self.log[-3000:]}")
            else:
                await asyncio.sleep(0.05)
        self._socket = await self._session.ws_connect(page_socket, max_msg_size=0, heartbeat=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _enable(self, window: tuple[int, int]) -> None:
        for domain in ("Page", "Runtime", "Log"):
            await self._command(f"{domain}.enable")
        # Headless windows keep room for browser controls they do not draw: make the viewport
        # itself the size asked for.
        await self._command(
            "Emulation.setDeviceMetricsOverride",
            {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False},
        )

    async def _disconnect(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
                pass
        if self._session is not None:
            await self._session.close()

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for message in self._socket:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "id" in data:
                    future = self._pending.pop(data["id"], None)
                    if future is not None and not future.done():
                        future.set_result(data)
                else:
                    self._on_event(data.get("method", ""), data.get("params", {}))
        finally:
            lost = BrowserClosed("the DevTools connection to chromium closed")
            for future in [*self._pending.values(), *(waiter for _, waiter in self._waiters)]:
                if not future.done():
                    future.set_exception(lost)
            self._pending.clear()
            self._waiters.clear()

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        line = None
        if method == "Runtime.consoleAPICalled":
            line = f"{params.get('type', 'log')}: " + " ".join(
                _describe_remote(argument) for argument in params.get("args", [])
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception", {})
            line = f"exception: {exception.get('description') or details.get('text', '')}"
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            line = f"{entry.get('level', 'info')}: {entry.get('text', '')}"
            if entry.get("url"):
                line += f" ({entry['url']})"
        elif method == "Inspector.targetCrashed":
            line = "exception: the page crashed"
        if line is not None:
            with self._console_lock:
                self._console.append(line)
        for waiter in [waiter for wanted, waiter in self._waiters if wanted == method]:
            if not waiter.done():
                waiter.set_result(params)
        self._waiters = [(wanted, waiter) for wanted, waiter in self._waiters if not waiter.done()]

    async def _command(self, method: str, params: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        if self._socket is None or self._socket.closed:
            raise BrowserClosed("the DevTools connection to chromium is closed")
        identifier = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[identifier] = future
        try:
            message = {"id": identifier, "method": method, "params": params or {}}
            await self._socket.send_str(json.dumps(message))
            reply = await future
        finally:
            self._pending.pop(identifier, None)
        if "error" in reply:
            error = reply["error"]
            raise BrowserError(f"{method} failed: {error.get('message')} {error.get('data', '')}".strip())
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _expect(self, method: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, future))
        return future

    async def _open(self, url: str, timeout: float) -> None:
        loaded = self._expect("Page.loadEventFired")
        try:
            result = await asyncio.wait_for(self._command("Page.navigate", {"url": url}), timeout)
            if result.get("errorText"):
                raise BrowserError(f"could not open {url}: {result['errorText']}")
            await asyncio.wait_for(loaded, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{url} did not load in {timeout:g} s") from None
        finally:
            loaded.cancel()

    async def _evaluate(self, expression: str, await_promise: bool, timeout: float) -> Any:
        params = {
            "expression": expression,
            "returnByValue": True,
            "awaitPromise": await_promise,
            "userGesture": True,
        }
        try:
            reply = await asyncio.wait_for(self._command("Runtime.evaluate", params), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no result in {timeout:g} s from {expression!r}") from None
        details = reply.get("exceptionDetails")
        if details is not None:
            exception = details.get("exception", {})
            text = exception.get("description") or _describe_remote(exception) or details.get("text")
            raise JavaScriptError(f"{expression!r} threw: {text}")
        value = reply.get("result", {})
        if "unserializableValue" in value:
            special = value["unserializableValue"]
            return float(special) if special in ("NaN", "Infinity", "-Infinity", "-0") else special
        return value.get("value")

    async def _mouse(
        self, kind: str, x: float, y: float, *, buttons: int, button: str = "none", click_count: int = 0
    ) -> None:
        await self._command(
            "Input.dispatchMouseEvent",
            {
                "type": kind,
                "x": x,
                "y": y,
                "button": button,
                "buttons": buttons,
                "clickCount": click_count,
                "pointerType": "mouse",
            },
        )

    async def _mouse_click(self, x: float, y: float) -> None:
        await self._mouse("mouseMoved", x, y, buttons=0)
        await self._mouse("mousePressed", x, y, buttons=1, button="left", click_count=1)
        await self._mouse("mouseReleased", x, y, buttons=0, button="left", click_count=1)

    async def _key(self, key: str) -> None:
        if key in _KEYS:
            key_code, code, text = _KEYS[key]
        elif len(key) == 1 and key.isprintable():
            text = key
            key_code = ord(key.upper()) if key.isascii() and key.isalnum() else 0
            code = f"Key{key.upper()}" if key.isascii() and key.isalpha() else ""
            code = f"Digit{key}" if key.isascii() and key.isdigit() else code
        else:
            raise ValueError(f"unknown key {key!r}; use a DOM key name such as 'Enter' or one character")
        common = {
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": key_code,
            "nativeVirtualKeyCode": key_code,
        }
        down = {"type": "keyDown", "text": text, "unmodifiedText": text} if text else {"type": "rawKeyDown"}
        await self._command("Input.dispatchKeyEvent", {**down, **common})
        await self._command("Input.dispatchKeyEvent", {"type": "keyUp", **common})


def _describe_remote(remote: dict[str, Any]) -> str:
    """Text for a DevTools RemoteObject (a console argument or a thrown value)."""
    if "value" in remote:
        value = remote["value"]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if "unserializableValue" in remote:
        return str(remote["unserializableValue"])
    preview = remote.get("preview")
    if remote.get("subtype") != "error" and preview and preview.get("properties") is not None:
        is_array = preview.get("subtype") == "array"
        shown = [
            prop.get("value", "") if is_array else f"{prop.get('name')}: {prop.get('value', '')}"
            for prop in preview["properties"]
        ]
        more = ", …" if preview.get("overflow") else ""
        opening, closing = ("[", "]") if is_array else ("{", "}")
        return f"{opening}{', '.join(shown)}{more}{closing}"
    return str(remote.get("description", remote.get("type", "")))
