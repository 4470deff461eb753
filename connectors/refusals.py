"""A request refused kindly: the HTTP status, a stable code, and the words for people in both languages.

Shared by the webhooks that check what they are sent before the assistant
sees it (the REST channel, ``connectors/rest.py``; the Telegram webhook,
``connectors/telegram/webhook.py``). Each answers with the same JSON body::

    {"error": {"code": "invalid_message", "message": "……。The message …"}}
"""

from __future__ import annotations

from typing import Any


class KindRefusal(Exception):
    """Why a request is refused: an HTTP status, a stable code, and the reason in Chinese and English."""

    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer, the message in Chinese first, then English."""
        return {"error": {"code": self.code, "message": f"{self.zh} {self.en}"}}
