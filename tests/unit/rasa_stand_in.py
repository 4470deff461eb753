"""A stand-in for one Rasa server's ``GET /status`` and ``PUT /model``, on loopback.

It loads models as ``bot.rasa_server`` does: ``PUT /model`` answers once the
model is "loaded" (after ``load_seconds``), and until then ``GET /status``
keeps naming the old model. The operator tests deploy and roll back against it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse


class RasaStandIn:
    """One Rasa server's model API; every request's token and every PUT are recorded.

    Every PUT is also noted in ``events`` (which stand-ins of several servers
    share), with the model each of ``others`` (the other stand-ins) runs at that moment.
    """

    def __init__(self, model_file: Optional[str], token: str, number: int = 1,
                 events: Optional[list[tuple[Any, ...]]] = None,
                 others: Optional[list[RasaStandIn]] = None, load_seconds: float = 0.0) -> None:
        self.model_file = model_file
        self.number = number
        self.events: list[tuple[Any, ...]] = events if events is not None else []
        self.others = others if others is not None else []
        self.load_seconds = load_seconds
        #: How many of the next PUTs fail (HTTP 400, the old model keeps serving).
        self.failing_puts = 0
        #: Answer PUT but never switch (``GET /status`` keeps naming the old model).
        self.never_switches = False
        #: The body of every PUT /model, and the model file each named.
        self.put_bodies: list[dict[str, Any]] = []
        self.puts: list[str] = []
        #: The token of every request.
        self.tokens: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: Any = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                presented = parse_qs(urlparse(self.path).query).get("token", [""])[0]
                stand_in.tokens.append(presented)
                if presented != token:
                    self._reply(401, {"message": "token"})
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                if urlparse(self.path).path != "/status":
                    self._reply(404, {"message": "not found"})
                elif stand_in.model_file is None:
                    self._reply(409, {"message": "No agent loaded."})
                else:
                    self._reply(200, {"model_file": stand_in.model_file, "model_id": "x",
                                      "num_active_training_jobs": 0})

            def do_PUT(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model = Path(body["model_file"])
                stand_in.put_bodies.append(body)
                stand_in.puts.append(model.name)
                stand_in.events.append(("put", stand_in.number, model.name,
                                        {other.number: other.model_file for other in stand_in.others}))
                time.sleep(stand_in.load_seconds)  # loading; the old model keeps answering /status
                if stand_in.failing_puts:
                    stand_in.failing_puts -= 1
                    self._reply(400, {"message": "Agent could not be loaded."})
                    return
                if not stand_in.never_switches:
                    stand_in.model_file = model.name
                self._reply(204)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
