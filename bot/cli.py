"""The command line: ``python -m bot VERB ...``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from bot.settings import get_settings

NOT_YET = 3  # exit code of verbs whose part is not built yet


def _not_yet(name: str) -> int:
    print(f"`{name}` is not yet available in this version of the assistant.", file=sys.stderr)
    return NOT_YET


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every verb."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Public-services assistant: chat and voice help with government services.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser("run", help="train if needed, start every part, chat in the terminal")
    run.add_argument("--no-chat", action="store_true", help="serve only, even when stdin is a terminal")

    train = verbs.add_parser("train", help="train a model if the training data or config changed")
    train.add_argument("--force", action="store_true", help="train even if the model is up to date")

    evaluate = verbs.add_parser("evaluate", help="measure understanding on the held-out test set")
    evaluate.add_argument("--model", help="model file (default: the current model)")
    evaluate.add_argument("--report", help="also write the figures and every miss to this JSON file")

    kiosk = verbs.add_parser("kiosk", help="voice kiosk on a microphone, or one recorded utterance")
    kiosk.add_argument("--wav", help="a recorded utterance to run through the kiosk")
    kiosk.add_argument("--out", help="where to write the spoken reply (with --wav)")

    say = verbs.add_parser("say", help="speak a text as the kiosk would, into a WAV file")
    say.add_argument("text")
    say.add_argument("--lang", choices=["zh", "en"], default="zh")
    say.add_argument("--out", required=True)
    say.add_argument("--elderly", action="store_true", help="slower speech with pauses")

    transcribe = verbs.add_parser("transcribe", help="recognise the speech in a WAV file")
    transcribe.add_argument("file")
    transcribe.add_argument("--lang", choices=["zh", "en"], default="zh")

    operator = verbs.add_parser("operator", help="review, annotate, retrain, evaluate, deploy")
    operator.add_argument("action", nargs="?", help="review | annotate | retrain | deploy ...")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # nothing leaves this machine
    settings = get_settings()
    if args.verb == "run":
        from bot.assistant import run

        return run(settings, chat=sys.stdin.isatty() and not args.no_chat)
    if args.verb == "train":
        from bot.training import train

        try:
            train(settings.models_dir, force=args.force)
        except RuntimeError as error:
            print(f"Error: {error}", file=sys.stderr)
            return 1
        return 0
    if args.verb == "evaluate":
        from bot.evaluation import evaluate_command

        return evaluate_command(settings, args.model, args.report)
    return _not_yet(args.verb)
