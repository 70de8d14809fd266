"""Runs the emulator: `python -m azure_emulator [--port N] [--state-dir DIR | --in-memory]`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from azure_emulator.app import build_server

DEFAULT_STATE_DIR = Path(".azure-emulator")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m azure_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="where state and certificates live")
    parser.add_argument("--in-memory", action="store_true", help="state in memory only")
    parser.add_argument("--no-tls", action="store_true", help="plain HTTP (SDKs refuse tokens over it)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s emulator %(message)s")
    state_dir: Path = args.state_dir.resolve()
    server = build_server(None if args.in_memory else state_dir, state_dir / "tls", args.port, tls=not args.no_tls)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # one line a launcher reads: where the emulator listens and which CA to trust
    print(f"EMULATOR={server.ctx.base_url} CA={state_dir / 'tls' / 'bundle.pem'}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()
    for halt in server.ctx.background:
        halt()
    server.ctx.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
