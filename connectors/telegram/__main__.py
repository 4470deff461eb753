"""``python -m connectors.telegram``: serve the Telegram channel (``make run`` starts it given a token)."""

from __future__ import annotations

import logging
import sys

from bot.log_masking import install_log_masking
from bot.settings import get_settings
from connectors.telegram.app import run
from connectors.telegram.speech import VoiceSpeech


def main() -> int:
    """Run the connector until stopped; 2 when no bot token is set."""
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    if not settings.telegram_bot_token:
        print("TELEGRAM_BOT_TOKEN is not set: there is no Telegram bot to serve.", file=sys.stderr)
        return 2
    run(settings, VoiceSpeech(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
