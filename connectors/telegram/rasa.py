"""The connector's way to the assistant: Rasa's REST channel, one sender id per chat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

#: Seconds to wait for the assistant's reply to one message.
REPLY_TIMEOUT = 60.0


class AssistantUnavailable(Exception):
    """The Rasa server did not answer (down, overloaded, or an error)."""


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


def sender_id(chat_id: int) -> str:
    """Return the conversation id of a Telegram chat (the tracker's sender id)."""
    return f"telegram-{chat_id}"


class RasaClient:
    """Sends user messages to the REST channel and returns the replies."""

    def __init__(self, rasa_url: str) -> None:
        """Create a client for the Rasa server at ``rasa_url`` (e.g. ``http://127.0.0.1:5005``)."""
        self.webhook = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
        self._session: aiohttp.ClientSession | None = None

    async def send(self, chat_id: int, message: str) -> list[Reply]:
        """Send one message of a chat; return what the assistant answered.

        Raises:
            AssistantUnavailable: No usable answer.

        """
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT))
        body = {"sender": sender_id(chat_id), "message": message, "metadata": {"channel": "telegram"}}
        try:
            async with self._session.post(self.webhook, json=body) as response:
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
