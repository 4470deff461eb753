"""``python -m bot operator …``: what operators do from a terminal.

Handoffs (conversations passed to a person): ``handoffs`` lists the queue,
``show N`` prints one with its transcript, ``take N``, ``reply N TEXT`` and
``hand-back N``.

Accounts: ``add-account NAME`` and ``passwd NAME`` (the password is asked
for, or read from the first line of standard input when it is not a
terminal). Review: ``review`` lists citizens' messages with what the
assistant understood and why they may need a look (masked; ``--csv FILE``
exports them), ``conversation SENDER`` prints one conversation. Annotation:
``annotate TEXT --intent I --as NAME`` adds a training example,
``annotations`` lists them, ``undo ID --as NAME`` takes one out again.
Models (``bot/operators/model_commands.py``): ``models``, ``retrain``,
``training``, ``evaluate``, ``deploy``, ``rollback``, ``deployments``.
``log`` prints the change log. Verbs that change something take ``--as
NAME``, an operator account. The operator console (``/operator`` on the
web port) does the same.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Callable, Optional, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.handoff import HandoffDesk, HandoffError
from bot.language import detect_language
from bot.operators.accounts import AccountError, Accounts
from bot.operators.annotations import AnnotationError, Annotations
from bot.operators.model_commands import add_model_commands, run_model_command
from bot.operators.review import CHANNELS, ConversationLog, ReviewFilter
from bot.retention import delete_old_conversations
from bot.settings import Settings

#: Exit code when ``--as`` names no operator account, or a required choice is missing.
USAGE = 2
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

    add = actions.add_parser("add-account", help="add an operator account (asks for the password)")
    add.add_argument("name")
    passwd = actions.add_parser("passwd", help="change an operator's password (ends their console sessions)")
    passwd.add_argument("name")

    review = actions.add_parser("review", help="citizens' messages, what the assistant understood (masked)")
    review.add_argument("--channel", choices=CHANNELS)
    review.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="first day")
    review.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="last day")
    review.add_argument("--language", choices=["zh", "en"])
    review.add_argument("--intent")
    review.add_argument("--service", help="a service catalogue id, e.g. id_card")
    review.add_argument("--min-confidence", type=float)
    review.add_argument("--max-confidence", type=float)
    review.add_argument("--needs-review", action="store_true",
                        help="only messages with a reason for review (low confidence, fallback, …)")
    review.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    review.add_argument("--csv", metavar="FILE", help="write every matching message to a CSV file instead")
    conversation = actions.add_parser("conversation", help="one conversation, turn by turn (masked)")
    conversation.add_argument("sender", help="the conversation id, as shown by review")

    annotate = actions.add_parser("annotate", help="add a training example (checked with rasa data validate)")
    annotate.add_argument("text")
    annotate.add_argument("--intent", required=True)
    annotate.add_argument("--service", help="the catalogue id of the service the text names")
    annotate.add_argument("--service-words", help="the words naming it (found in the text when not given)")
    annotate.add_argument("--language", choices=["zh", "en"], help="default: the language of the text")
    annotate.add_argument("--as", dest="operator", required=True, help="your operator account")
    listed = actions.add_parser("annotations", help="the examples operators added, newest first")
    listed.add_argument("--limit", type=int, default=50)
    undo = actions.add_parser("undo", help="take an added example out of the training data again")
    undo.add_argument("id", type=int)
    undo.add_argument("--as", dest="operator", required=True, help="your operator account")
    log = actions.add_parser("log", help="the change log, newest first")
    log.add_argument("--limit", type=int, default=50)
    retention = actions.add_parser("retention", help="delete conversations older than a set age")
    retention.add_argument("--older-than-days", type=int, required=True, metavar="DAYS",
                           help="delete conversations whose last message is older than this")
    retention.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    retention.add_argument("--as", dest="operator", required=True, help="your operator account")

    add_model_commands(actions)
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day written YYYY-MM-DD") from error


def _width(text: str) -> int:
    """How many columns a text takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows in aligned columns; the last column is not padded."""
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [str(cell) + " " * (widths[i] - _width(str(cell))) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, str(row[-1])]).rstrip())


def read_password(prompt: str = "Password: ") -> str:
    """Ask for a new password twice on a terminal, or read the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != password:
        raise AccountError("weak_password", "The two passwords differ.")
    return password


class _Tools:
    """The operator stores, opened when first needed."""

    def __init__(self, settings: Settings, desk: Optional[HandoffDesk], accounts: Optional[Accounts],
                 log: Optional[ConversationLog], annotations: Optional[Annotations]) -> None:
        self.settings = settings
        self._desk, self._accounts, self._log, self._annotations = desk, accounts, log, annotations

    @property
    def desk(self) -> HandoffDesk:
        self._desk = self._desk or HandoffDesk.from_settings(self.settings)
        return self._desk

    @property
    def accounts(self) -> Accounts:
        self._accounts = self._accounts or Accounts.from_settings(self.settings)
        return self._accounts

    @property
    def log(self) -> ConversationLog:
        self._log = self._log or ConversationLog.from_settings(self.settings)
        return self._log

    @property
    def annotations(self) -> Annotations:
        self._annotations = self._annotations or Annotations.from_settings(self.settings)
        return self._annotations


def operator_command(argv: Sequence[str], settings: Settings, desk: Optional[HandoffDesk] = None, *,
                     accounts: Optional[Accounts] = None, log: Optional[ConversationLog] = None,
                     annotations: Optional[Annotations] = None) -> int:
    """Run an operator action; return the exit code.

    Args:
        argv: The arguments after ``operator``.
        settings: Where the stores are.
        desk: The handoff desk (opened from the settings when not given).
        accounts: The operators' accounts and change log (likewise).
        log: The conversations to review (likewise).
        annotations: The training examples operators add (likewise).

    """
    args = build_parser().parse_args(list(argv))
    tools = _Tools(settings, desk, accounts, log, annotations)
    try:
        if args.action in HANDOFF_ACTIONS:
            return _handoff_action(args, tools.desk)
        # Changes are made as an operator account (the handoff verbs' --as is the name citizens see).
        if getattr(args, "operator", None) is not None and not _known_operator(tools.accounts, args.operator):
            return USAGE
        handled = run_model_command(args, settings)
        if handled is not None:
            return handled
        return ACTIONS[args.action](args, tools)
    except (AccountError, AnnotationError, HandoffError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("Cancelled.", file=sys.stderr)
        return 1
    except (OSError, SQLAlchemyError) as error:
        print(f"Error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1


def _handoff_action(args: argparse.Namespace, desk: HandoffDesk) -> int:
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


def _known_operator(accounts: Accounts, name: str) -> bool:
    """Whether ``--as`` names an operator account; says what to do when it does not."""
    if accounts.exists(name):
        return True
    print(f"Error: there is no operator account called {name!r}. "
          f"Add one with: python -m bot operator add-account {name}", file=sys.stderr)
    return False


def _add_account(args: argparse.Namespace, tools: _Tools) -> int:
    if tools.accounts.exists(args.name):
        raise AccountError("exists", f"There is already an operator called {args.name}.")
    tools.accounts.add(args.name, read_password())
    print(f"Operator {args.name} added. Sign in to the console at {tools.settings.web_url}/operator/")
    return 0


def _passwd(args: argparse.Namespace, tools: _Tools) -> int:
    if not tools.accounts.exists(args.name):
        raise AccountError("unknown", f"There is no operator called {args.name}.")
    tools.accounts.set_password(args.name, read_password("New password: "))
    print(f"The password of {args.name} is changed; their console sessions have ended.")
    return 0


def _review(args: argparse.Namespace, tools: _Tools) -> int:
    chosen = ReviewFilter(channel=args.channel, date_from=args.date_from, date_to=args.date_to,
                          language=args.language, intent=args.intent, service=args.service,
                          min_confidence=args.min_confidence, max_confidence=args.max_confidence,
                          needs_review=args.needs_review)
    if args.csv:
        text = tools.log.export_csv(chosen)
        Path(args.csv).write_text(text, encoding="utf-8")
        rows = len(list(csv.reader(io.StringIO(text)))) - 1
        print(f"Wrote {rows} rows to {args.csv} (masked).")
        return 0
    messages = tools.log.messages(chosen, limit=args.limit)
    if not messages:
        print("No messages match.")
        return 0
    print_table(["ID", "When", "Channel", "Lang", "Intent", "Conf.", "Services", "Reasons", "Sender", "Text"],
                [[str(m.event_id), f"{m.when:%Y-%m-%d %H:%M}", m.channel, m.language or "-", m.intent or "-",
                  f"{m.confidence:.2f}", ",".join(m.services) or "-", ",".join(m.reasons) or "-", m.sender,
                  m.text] for m in messages])
    return 0


def _conversation(args: argparse.Namespace, tools: _Tools) -> int:
    turns = tools.log.conversation(args.sender)
    if not turns:
        print(f"Error: there is no conversation {args.sender!r}.", file=sys.stderr)
        return 1
    for turn in turns:
        understood = f"  ({turn.intent} {turn.confidence:.2f})" if turn.intent is not None and \
            turn.confidence is not None else ""
        who = "citizen" if turn.who == "user" else "assistant"
        print(f"{turn.when:%Y-%m-%d %H:%M:%S}  {who}: {turn.text}{understood}")
    return 0


def _annotate(args: argparse.Namespace, tools: _Tools) -> int:
    language = args.language or detect_language(args.text)
    if language is None:
        print("Error: the language of this text is unclear; add --language zh or --language en.",
              file=sys.stderr)
        return USAGE
    if tools.annotations.validate:
        print("Checking the training data with Rasa (about half a minute)...", file=sys.stderr, flush=True)
    added = tools.annotations.add(args.text, args.intent, language, args.operator, service=args.service,
                                  service_words=args.service_words)
    service = f", service {added.service} ({added.service_words})" if added.service else ""
    print(f"Added example {added.id} to {added.file}: {added.text} ({added.intent}{service}).")
    print(f"It is used from the next model: python -m bot operator retrain --as {args.operator}")
    return 0


def _annotations(args: argparse.Namespace, tools: _Tools) -> int:
    added = tools.annotations.list(args.limit)
    if not added:
        print("No examples were added yet.")
        return 0
    print_table(["ID", "When", "Who", "Intent", "Service", "File", "State", "Text"],
                [[str(a.id), f"{a.when:%Y-%m-%d %H:%M}", a.who, a.intent, a.service or "-", a.file,
                  "undone" if a.undone else "in use", a.text] for a in added])
    return 0


def _undo(args: argparse.Namespace, tools: _Tools) -> int:
    undone = tools.annotations.undo(args.id, args.operator)
    print(f"Example {undone.id} is out of {undone.file} again: {undone.text}")
    return 0


def _log(args: argparse.Namespace, tools: _Tools) -> int:
    entries = tools.accounts.audit_log(args.limit)
    if not entries:
        print("Nothing changed yet.")
        return 0
    print_table(["When", "Who", "Action", "Details"],
                [[f"{e.when:%Y-%m-%d %H:%M:%S}", e.who, e.action, json.dumps(e.details, ensure_ascii=False)]
                 for e in entries])
    return 0


def _retention(args: argparse.Namespace, tools: _Tools) -> int:
    try:
        result = delete_old_conversations(tools.log, tools.desk, args.older_than_days, dry_run=args.dry_run)
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return USAGE
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {result.conversations} conversation(s) ({result.events} events) and "
          f"{result.handoffs} handoff(s) older than {result.cutoff:%Y-%m-%d %H:%M} UTC.")
    if not args.dry_run:
        tools.accounts.record(args.operator, "retention", {
            "older_than_days": args.older_than_days, "conversations": result.conversations,
            "events": result.events, "handoffs": result.handoffs})
    return 0


ACTIONS: dict[str, Callable[[argparse.Namespace, _Tools], int]] = {
    "add-account": _add_account, "passwd": _passwd, "review": _review, "conversation": _conversation,
    "annotate": _annotate, "annotations": _annotations, "undo": _undo, "log": _log,
    "retention": _retention,
}
