"""The channels' way to the assistant: Rasa's REST channel, one sender id per conversation.

Telegram and the kiosk page both talk to the same assistant through this
client, so a conversation behaves the same on every channel.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Optional

import aiohttp

#: Seconds to wait for the assistant's reply to one message.
REPLY_TIMEOUT = 60.0


class AssistantUnavailable(Exception):
    """The Rasa server did not answer (down, overloaded, or an error)."""


class MessageRefused(AssistantUnavailable):
    """The REST channel refused the message itself (a 4xx): sending it again will not help."""


@dataclass(frozen=True)
class Button:
    """A choice offered with a reply: what it shows and what pressing it sends."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message of the assistant's answer."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    #: Instructions for the channel, e.g. ``{"elderly_mode": true}``.
    custom: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reply":
        """Build a reply from one item of the REST channel's answer."""
        buttons = tuple(Button(str(b.get("title", "")), str(b.get("payload", "")))
                        for b in data.get("buttons") or [] if b.get("payload"))
        custom = data.get("custom")
        return cls(text=str(data.get("text") or ""), buttons=buttons,
                   custom=custom if isinstance(custom, dict) else {})


class RasaClient:
    """Sends user messages to the REST channel and returns the replies."""

    def __init__(self, rasa_url: str) -> None:
        """Create a client for the Rasa server at ``rasa_url`` (e.g. ``http://127.0.0.1:5005``)."""
        self.webhook = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
        self._session: aiohttp.ClientSession | None = None

    async def send(self, sender: str, message: str, channel: str,
                   metadata: Optional[dict[str, Any]] = None) -> list[Reply]:
        """Send one message of a conversation; return what the assistant answered.

        Args:
            sender: The conversation id (the tracker's sender id), e.g. ``telegram-42``.
            message: What the user said, typed or pressed (a button's payload).
            channel: The channel's name, passed to the assistant as metadata.
            metadata: More for the assistant, e.g. ``{"language": "en"}`` with a
                language switch the channel made itself.

        Raises:
            MessageRefused: The REST channel refused the message (too long, not readable).
            AssistantUnavailable: No usable answer.

        """
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT))
        body = {"sender": sender, "message": message, "metadata": {**(metadata or {}), "channel": channel}}
        try:
            async with self._session.post(self.webhook, json=body) as response:
                if 400 <= response.status < 500:
                    raise MessageRefused(f"REST channel refused the message ({response.status})")
                if response.status != 200:
                    raise AssistantUnavailable(f"REST channel answered {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise AssistantUnavailable(str(error) or error.__class__.__name__) from error
        if not isinstance(data, list):
            raise AssistantUnavailable("unexpected answer")
        return [Reply.from_json(item) for item in data if isinstance(item, dict)]

    async def wait_until_ready(self, timeout: float = 600.0) -> bool:
        """Wait until the Rasa server answers (it takes a minute to load a model)."""
        root = self.webhook.split("/webhooks/")[0] + "/"
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while asyncio.get_running_loop().time() < deadline:
                try:
                    async with session.get(root) as response:
                        if response.status == 200:
                            return True
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(1.0)
        return False

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
