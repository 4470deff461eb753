"""``python -m bot operator …``: what operators do from a terminal.

Handoffs (conversations passed to a person): ``handoffs`` lists the queue,
``show N`` prints one with its transcript, ``take N``, ``reply N TEXT`` and
``hand-back N``. The model tools (review, annotate, retrain, deploy) come with
the operator console.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from bot.handoff import HandoffDesk, HandoffError
from bot.settings import Settings

#: Exit code of operator actions that are not built yet.
NOT_YET = 3
HANDOFF_ACTIONS = ("handoffs", "show", "take", "reply", "hand-back")


def build_parser() -> argparse.ArgumentParser:
    """The ``operator`` verb's own arguments."""
    parser = argparse.ArgumentParser(prog="python -m bot operator", description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("handoffs", help="the conversations waiting for or handled by a person")
    show = actions.add_parser("show", help="one handoff with its transcript")
    show.add_argument("number", type=int)
    take = actions.add_parser("take", help="take a waiting conversation")
    take.add_argument("number", type=int)
    take.add_argument("--as", dest="operator", required=True, help="your name, as the citizen sees it")
    reply = actions.add_parser("reply", help="reply to the citizen (in the citizen's channel)")
    reply.add_argument("number", type=int)
    reply.add_argument("text")
    reply.add_argument("--as", dest="operator", required=True)
    back = actions.add_parser("hand-back", help="give the conversation back to the assistant")
    back.add_argument("number", type=int)
    for later in ("review", "annotate", "retrain", "evaluate", "deploy", "rollback"):
        actions.add_parser(later, help="(with the operator console)")
    return parser


def operator_command(argv: Sequence[str], settings: Settings, desk: Optional[HandoffDesk] = None) -> int:
    """Run an operator action; return the exit code."""
    args = build_parser().parse_args(list(argv))
    if args.action not in HANDOFF_ACTIONS:
        print(f"operator {args.action}: not yet available.", file=sys.stderr)
        return NOT_YET
    desk = desk or HandoffDesk.from_settings(settings)
    try:
        if args.action == "handoffs":
            queue = desk.queue()
            for handoff in queue:
                extra = f" call back {handoff.callback_phone}" if handoff.callback_phone else ""
                print(f"{handoff.id}\t{handoff.status}\t{handoff.channel}\t{handoff.sender_id}\t"
                      f"{handoff.created_at:%Y-%m-%d %H:%M}\t{handoff.operator or '-'}\t"
                      f"{handoff.reason}{extra}")
            if not queue:
                print("No conversation is waiting for a person.")
        elif args.action == "show":
            handoff = desk.get(args.number)
            print(f"Handoff {handoff.id} ({handoff.status}, {handoff.channel}, {handoff.language}): "
                  f"{handoff.reason}")
            for line in handoff.transcript:
                print(f"  {line['from']}: {line['text']}")
            print("Since the handoff:")
            for message in desk.conversation(args.number):
                who = f"operator {message.name}" if message.author == "operator" else message.author
                print(f"  {who}: {message.text}")
        elif args.action == "take":
            print(f"Handoff {desk.take(args.number, args.operator).id} is yours.")
        elif args.action == "reply":
            desk.reply(args.number, args.operator, args.text)
            print("Sent.")
        else:
            desk.close(args.number)
            print(f"Handoff {args.number} is back with the assistant.")
    except HandoffError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0
