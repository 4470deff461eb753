"""A chat with the assistant in the terminal, over the REST channel."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Optional

from bot.settings import Settings

QUIT_WORDS = ("/quit", "/exit")


def send_message(settings: Settings, sender: str, text: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Send one message over the REST channel and return the assistant's replies.

    Raises:
        OSError: The Rasa server could not be reached.

    """
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(
        f"{settings.rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies: list[dict[str, Any]] = json.loads(response.read().decode("utf-8"))
        return replies


def format_reply(reply: dict[str, Any]) -> tuple[str, list[str]]:
    """Return a reply's printable text and the payloads of its numbered buttons."""
    lines = [reply["text"]] if reply.get("text") else []
    payloads = []
    for number, button in enumerate(reply.get("buttons") or [], start=1):
        lines.append(f"  [{number}] {button.get('title', '')}")
        payloads.append(str(button.get("payload", "")))
    return "\n".join(lines), payloads


def chat_in_terminal(settings: Settings, stop_when: Optional[Callable[[], object]] = None) -> None:
    """Chat until end of input, Ctrl-C or /quit. A number picks a shown button."""
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    payloads: list[str] = []
    print("Chat with the assistant (中文 or English). Type /quit or press Ctrl-D to stop.")
    while True:
        try:
            text = input("> ")
        except EOFError:
            return
        if text.strip() in QUIT_WORDS:
            return
        if text.strip().isdigit() and 0 < int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        if stop_when is not None and stop_when():
            print("A part of the assistant stopped; see its log under var/logs.")
            return
        try:
            replies = send_message(settings, sender, text)
        except (OSError, urllib.error.URLError, ValueError) as error:
            print(f"(The assistant did not answer: {error})")
            continue
        payloads = []
        for reply in replies:
            printable, buttons = format_reply(reply)
            payloads.extend(buttons)
            print(printable)
