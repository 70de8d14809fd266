"""devhost hands the app an Azurite that answers requests, not one whose ports are merely open: a request in the
moment between the two waits or fails, and the portal's first load showed "Storage is not answering right now"."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from devhost.azurite import Azurite, answers_http, free_port

# an Azurite that opens its ports at once and answers only after a while, as one loading its data does; it says
# when it starts answering, in `serving` beside it
SLOW_AZURITE = """#!{python}
import sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer
args = sys.argv[1:]
ports = [int(args[args.index(f"--{{name}}Port") + 1]) for name in ("blob", "queue", "table")]
class Refusing(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *_):
        pass
servers = [HTTPServer(("127.0.0.1", port), Refusing) for port in ports]  # bound and listening: the ports are open
time.sleep({delay})
open({marker!r}, "w").close()
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""


def slow_azurite(root: Path, answers_after_s: float) -> Path:
    """A project folder whose node_modules/.bin/azurite answers only `answers_after_s` after it opens its ports."""
    script = root / "node_modules" / ".bin" / "azurite"
    script.parent.mkdir(parents=True)
    script.write_text(SLOW_AZURITE.format(python=sys.executable, delay=answers_after_s, marker=str(root / "serving")))
    script.chmod(0o755)
    return root


def test_azurite_is_started_once_it_answers_requests_not_once_its_ports_open(tmp_path: Path) -> None:
    slow_azurite_root = slow_azurite(tmp_path, answers_after_s=1.5)
    azurite = Azurite(project_root=slow_azurite_root).start()
    try:
        assert (slow_azurite_root / "serving").exists()
        assert answers_http(azurite.ports[2])
    finally:
        azurite.stop()


def test_an_azurite_that_does_not_answer_is_named_with_the_services_that_did_not(tmp_path: Path) -> None:
    with pytest.raises(TimeoutError, match=r"blob service on port \d+, queue service on port \d+, table service"):
        Azurite(project_root=slow_azurite(tmp_path, answers_after_s=60)).start(timeout_s=0.5)


def test_a_listener_that_does_not_answer_is_not_taken_for_a_server() -> None:
    server = HTTPServer(("127.0.0.1", free_port()), BaseHTTPRequestHandler)  # listening, never serving
    try:
        assert not answers_http(server.server_address[1], timeout_s=0.3)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        # the handler answers 501 to GET: an answer all the same
        assert answers_http(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
