"""The command line: ``python -m bot VERB ...``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.settings import Settings, get_settings

VOICE_UNAVAILABLE = 2  # exit code of say/transcribe/kiosk when speech (or a microphone) is not installed


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

    kiosk = verbs.add_parser(
        "kiosk", help="voice kiosk: listen on the microphone and answer aloud (speak to interrupt)",
        description="Without --wav: listen on the default microphone, show what is heard, ask the "
                    "assistant and speak its answer slowly through the loudspeaker; speaking while "
                    "it answers interrupts it. Ctrl-C stops. With --wav: run one recorded utterance "
                    "through the same path and write the spoken answer to a WAV file.")
    kiosk.add_argument("--wav", metavar="FILE", help="a recorded utterance to run through the kiosk "
                                                     "instead of the microphone")
    kiosk.add_argument("--out", default="kiosk-reply.wav",
                       help="where to write the spoken reply (with --wav)")
    kiosk.add_argument("--lang", choices=["zh", "en"], default="zh",
                       help="the language spoken to the kiosk and answered in")

    say = verbs.add_parser("say", help="speak a text as the kiosk would, into a WAV file")
    say.add_argument("text")
    say.add_argument("--lang", choices=["zh", "en"], default="zh")
    say.add_argument("--out", required=True, help="a .wav file (or .ogg for a voice note)")
    say.add_argument("--elderly", action="store_true", help="slower speech with pauses")

    transcribe = verbs.add_parser("transcribe", help="recognise the speech in a recording (WAV, OGG, MP3...)")
    transcribe.add_argument("file")
    transcribe.add_argument("--lang", choices=["zh", "en"], default="zh")

    operator = verbs.add_parser("operator", help="handoffs to a person; review, annotate, retrain, deploy")
    operator.add_argument("rest", nargs=argparse.REMAINDER,
                          help="handoffs | show N | take N --as NAME | reply N TEXT --as NAME | "
                               "hand-back N | add-account NAME | passwd NAME | review [filters] | "
                               "conversation SENDER | annotate TEXT --intent I --as NAME | annotations | "
                               "undo ID --as NAME | log | retrain | evaluate | deploy | rollback | models "
                               "(python -m bot operator --help)")
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
            train(settings.models_dir, force=args.force, project=settings.assistant_dir)
        except RuntimeError as error:
            print(f"Error: {error}", file=sys.stderr)
            return 1
        return 0
    if args.verb == "evaluate":
        from bot.evaluation import evaluate_command

        return evaluate_command(settings, args.model, args.report)
    if args.verb == "say":
        return say_command(args.text, args.lang, Path(args.out), elderly=args.elderly)
    if args.verb == "transcribe":
        return transcribe_command(Path(args.file), args.lang, settings)
    if args.verb == "kiosk" and args.wav:
        from voice.kiosk import kiosk_wav_command

        return kiosk_wav_command(Path(args.wav), args.lang, Path(args.out), settings)
    if args.verb == "kiosk":
        from voice.microphone import kiosk_microphone_command

        return kiosk_microphone_command(args.lang, settings)
    if args.verb == "operator":
        from bot.operator_cli import operator_command

        return operator_command(args.rest, settings)
    raise AssertionError(f"unhandled verb {args.verb}")  # argparse only lets known verbs through


def say_command(text: str, language: str, out: Path, elderly: bool = False) -> int:
    """Speak a written reply as the kiosk would, into a WAV file (OGG/Opus for .ogg/.opus/.oga).

    Args:
        text: The reply as written (numbers, dates and links are read the spoken way).
        language: ``zh`` or ``en``.
        out: The file to write.
        elderly: Slower speech with longer pauses.

    Returns:
        0, 1 when there is nothing to say or the file cannot be written, 2
        when speech synthesis is not installed.

    """
    from voice.audio import AudioError, duration_seconds, wav_to_ogg_opus, wav_to_pcm
    from voice.synthesis import (
        NO_ENGINE,
        NOT_INSTALLED_MESSAGE,
        Pyttsx3Synthesizer,
        SynthesisError,
        speak_reply,
    )

    try:
        wav = speak_reply(Pyttsx3Synthesizer(elderly=elderly), text, language)
    except SynthesisError as error:
        if error.reason == NO_ENGINE:
            print(f"{NOT_INSTALLED_MESSAGE[language]}\n({error.detail})", file=sys.stderr)
            return VOICE_UNAVAILABLE
        print(f"Error: {error}", file=sys.stderr)
        return 1
    pcm, rate = wav_to_pcm(wav)
    try:
        data = wav_to_ogg_opus(wav) if out.suffix.lower() in (".ogg", ".oga", ".opus") else wav
        out.write_bytes(data)
    except (AudioError, OSError) as error:
        print(f"Error: cannot write {out}: {error}", file=sys.stderr)
        return 1
    print(f"{out} ({duration_seconds(pcm, rate):.1f} s)")
    return 0


def transcribe_command(file: Path, language: str, settings: Settings) -> int:
    """Print what is said in a recording (any format ffmpeg reads).

    Args:
        file: The recording.
        language: ``zh`` or ``en``: which model (``VOSK_MODEL_ZH`` / ``VOSK_MODEL_EN``) to use.
        settings: Where the model folders are configured.

    Returns:
        0, 1 when the recording cannot be read, 2 when there is no recognition model.

    """
    from voice.audio import AudioError, decode_to_pcm16k
    from voice.recognition import VoiceUnavailable, require_recognizer

    try:
        recognizer = require_recognizer(language, settings)
    except VoiceUnavailable as error:
        print(f"{error.message()}\n({error.detail})", file=sys.stderr)
        return VOICE_UNAVAILABLE
    try:
        pcm = decode_to_pcm16k(file.read_bytes())
    except OSError as error:
        print(f"Error: cannot read {file}: {error.strerror}", file=sys.stderr)
        return 1
    except AudioError as error:
        print(f"{error.message(language)}\n({error.detail})", file=sys.stderr)
        return 1
    print(recognizer.transcribe(pcm).text)
    return 0
