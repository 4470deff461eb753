"""Operators' replies pushed to Telegram chats as soon as they are written.

While a person handles a conversation (``bot/handoff.py``), their replies wait
in the desk's outbox; this loop sends those for Telegram chats and marks them
delivered, so the citizen sees them without writing first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from bot.handoff import HandoffDesk

logger = logging.getLogger(__name__)

#: Seconds between looks at the outbox.
POLL_SECONDS = 1.0


async def deliver_operator_replies(desk: HandoffDesk, send: Callable[[int, str], Awaitable[Any]],
                                   format_reply: Callable[[int, str, str], str]) -> None:
    """Forever: send the operators' replies for Telegram chats, in order, then mark them delivered.

    Args:
        desk: The handoff desk.
        send: Sends a text to a chat id.
        format_reply: Builds the text shown from (chat id, operator name, reply).

    """
    while True:
        try:
            pending = await asyncio.to_thread(desk.outbox, "telegram")
            for sender, message in pending:
                chat_id = int(sender.split("-", 1)[1])
                await send(chat_id, format_reply(chat_id, message.name or "", message.text))
                await asyncio.to_thread(desk.mark_delivered, [message.id])
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the loop must outlive a bad row or a database hiccup
            logger.warning("Could not deliver operator replies: %s", error)
        await asyncio.sleep(POLL_SECONDS)
