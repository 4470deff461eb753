"""Operators' replies pushed to citizens as soon as they are written.

While a person handles a conversation (``bot/handoff.py``), their replies wait
in the desk's outbox; a channel that can push (Telegram, the kiosk page) runs
this loop to send those of its own conversations and mark them delivered, so
the citizen sees them without writing first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from bot.handoff import HandoffDesk

logger = logging.getLogger(__name__)

#: Seconds between looks at the outbox.
POLL_SECONDS = 1.0

#: Delivers one reply: (sender id, operator's name, text) → whether it reached the citizen.
Deliver = Callable[[str, str, str], Awaitable[bool]]


async def deliver_operator_replies(desk: HandoffDesk, channel: str, deliver: Deliver,
                                   poll_seconds: float = POLL_SECONDS) -> None:
    """Forever: send the operators' replies for a channel's conversations, in order.

    A reply is marked delivered only when ``deliver`` says it reached the
    citizen; otherwise it is tried again on the next round (a kiosk page that
    is reconnecting gets it a moment later). Replies of one conversation are
    never sent out of order: after a failed one, that conversation's later
    replies wait too.

    Args:
        desk: The handoff desk.
        channel: ``telegram`` or ``kiosk``.
        deliver: Sends one reply.
        poll_seconds: Seconds between rounds.

    """
    while True:
        try:
            pending = await asyncio.to_thread(desk.outbox, channel)
            waiting: set[str] = set()
            for sender, message in pending:
                if sender in waiting:
                    continue
                if await deliver(sender, message.name or "", message.text):
                    await asyncio.to_thread(desk.mark_delivered, [message.id])
                else:
                    waiting.add(sender)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the loop must outlive a bad row or a database hiccup
            logger.warning("Could not deliver operator replies: %s", error)
        await asyncio.sleep(poll_seconds)
