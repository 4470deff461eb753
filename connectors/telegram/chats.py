"""What the connector remembers about each chat: language, senior mode, buttons shown, order."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from connectors.telegram.render import ButtonMemory

logger = logging.getLogger(__name__)


def sender_id(chat_id: int) -> str:
    """Return the conversation id of a Telegram chat (the tracker's sender id)."""
    return f"telegram-{chat_id}"


@dataclass
class Chat:
    """One Telegram chat."""

    chat_id: int
    language: str = "zh"
    elderly: bool = False
    blocked: bool = False
    buttons: ButtonMemory = field(default_factory=ButtonMemory)
    #: Messages of one chat are handled one at a time, in the order they came.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def sender(self) -> str:
        """The conversation id the assistant knows this chat by."""
        return sender_id(self.chat_id)


class Chats:
    """Every chat seen, with language and senior mode kept in a small JSON file across restarts."""

    def __init__(self, path: Path) -> None:
        """Load the chats remembered in ``path`` (a missing or unreadable file starts empty)."""
        self.path = path
        self._chats: dict[int, Chat] = {}
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            for key, value in saved.items():
                self._chats[int(key)] = Chat(int(key), language=str(value.get("language", "zh")),
                                             elderly=bool(value.get("elderly")),
                                             blocked=bool(value.get("blocked")))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as error:
            logger.warning("Could not read %s (%s); starting with no remembered chats", path, error)

    def get(self, chat_id: int, language_code: str | None = None) -> Chat:
        """Return a chat, new ones in the language of the user's Telegram app."""
        chat = self._chats.get(chat_id)
        if chat is None:
            language = "en" if (language_code or "").lower().startswith("en") else "zh"
            chat = self._chats[chat_id] = Chat(chat_id, language=language)
        return chat

    def save(self) -> None:
        """Write language, senior mode and blocked state of every chat."""
        data = {str(c.chat_id): {"language": c.language, "elderly": c.elderly, "blocked": c.blocked}
                for c in self._chats.values()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(self.path)
