"""How the assistant's replies look in Telegram: split to Telegram's limits, buttons as keyboards.

Replies are sent as plain text (no parse mode), so nothing a citizen or a
guide says can break Telegram's formatting.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Optional

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from connectors.assistant_client import Button

#: Telegram's limit on one message's text.
MESSAGE_LIMIT = 4096
#: Longest button label shown; longer titles are cut with an ellipsis.
LABEL_LIMIT = 24
#: Button payloads remembered per chat (older ones expire).
REMEMBERED_BUTTONS = 200


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a text into messages of at most ``limit`` characters, at line ends where possible."""
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = max(text.rfind("。", 0, limit), text.rfind(". ", 0, limit))
            cut = cut + 1 if cut >= limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [part for part in parts if part]


def label(title: str) -> str:
    """Return a short button label."""
    title = " ".join(title.split())
    return title if len(title) <= LABEL_LIMIT else title[:LABEL_LIMIT - 1] + "…"


class ButtonMemory:
    """Remembers, per chat, what each shown button sends when pressed.

    Inline buttons carry a short key (Telegram allows 64 bytes of callback
    data; payloads can be longer); big reply-keyboard buttons send their label
    as text, which is looked up here.
    """

    def __init__(self) -> None:
        self._by_key: OrderedDict[str, str] = OrderedDict()
        self._by_label: dict[str, str] = {}
        self._next = 0

    def key_for(self, payload: str) -> str:
        """Remember a payload; return the callback data that stands for it."""
        self._next += 1
        key = f"b{self._next}"
        self._by_key[key] = payload
        while len(self._by_key) > REMEMBERED_BUTTONS:
            self._by_key.popitem(last=False)
        return key

    def payload_for_key(self, key: str) -> Optional[str]:
        """Return what a pressed inline button sends, or None when it is unknown or expired."""
        return self._by_key.get(key)

    def remember_labels(self, buttons: tuple[Button, ...]) -> None:
        """Remember the labels of a big keyboard just shown (they replace the previous ones)."""
        self._by_label = {label(b.title): b.payload for b in buttons}

    def payload_for_text(self, text: str) -> Optional[str]:
        """Return the payload of a big-keyboard button whose label the user sent, if any."""
        return self._by_label.get(text.strip())


def inline_keyboard(buttons: tuple[Button, ...], memory: ButtonMemory) -> InlineKeyboardMarkup:
    """Buttons under the message, two to a row."""
    keys = [InlineKeyboardButton(label(b.title), callback_data=memory.key_for(b.payload)) for b in buttons]
    return InlineKeyboardMarkup([keys[i:i + 2] for i in range(0, len(keys), 2)])


def big_keyboard(buttons: tuple[Button, ...], memory: ButtonMemory) -> ReplyKeyboardMarkup:
    """Big buttons in place of the keyboard, one to a row (elderly mode)."""
    memory.remember_labels(buttons)
    return ReplyKeyboardMarkup([[KeyboardButton(label(b.title))] for b in buttons], resize_keyboard=False,
                               one_time_keyboard=True)
