"""``python -m bot.action_server --actions actions --host H --port P``: the action server.

rasa-sdk's own ``python -m rasa_sdk`` listens on every address of the
machine (``0.0.0.0``, or the ``SANIC_HOST`` variable) and has no option for
it. This entry point takes rasa-sdk's options plus ``--host`` (by default the
``HOST`` setting, 127.0.0.1), hands the address to rasa-sdk through
``SANIC_HOST``, masks ID numbers and mobile numbers in every log record
(:mod:`bot.log_masking`), and then runs rasa-sdk exactly as its command line does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Optional

from bot.log_masking import install_log_masking

#: Seconds an idle connection from a Rasa server is kept open: longer than the client keeps it.
KEEP_ALIVE_SECONDS = 30


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Serve the custom actions until stopped."""
    install_log_masking()
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    from bot.settings import Settings

    host = Settings.from_environment().host
    parser = create_argument_parser()
    parser.prog = "python -m bot.action_server"
    parser.add_argument("--host", default=host, help=f"address to listen on ({host})")
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    os.environ["SANIC_HOST"] = args.host  # where rasa_sdk.endpoint.run listens
    # The Rasa servers keep idle connections to this server open for 15 s (aiohttp's
    # default). Sanic closes them after 5 s, and a turn that reuses one just as it is
    # being closed fails ("Cannot write to closing transport": the action is lost and
    # the citizen gets no answer). Keeping them longer here lets the client close first.
    os.environ.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", str(KEEP_ALIVE_SECONDS))
    main_from_args(args)


if __name__ == "__main__":
    main()
