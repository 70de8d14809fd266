"""Runs the emulator: `python -m azure_emulator [--port N] [--state-dir DIR | --in-memory]`; or, with `token NAME`,
prints a user's access token for the app's API from the emulator already running on a state folder."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import requests

from azure_emulator.app import build_server
from azure_emulator.launcher import BOOTSTRAP_ADMIN, ENDPOINT_FILE_NAME, EmulatorProcess, ca_bundle_path

DEFAULT_STATE_DIR = Path(".azure-emulator")
NOT_RUNNING = 2  # the exit status of `token` when no emulator answers: a state to fix, not a failed call


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # a subcommand only when named first: `python -m azure_emulator --port 0 ...` (the launcher's call) still serves
    if argv[:1] == ["token"]:
        return token(argv[1:])
    return serve(argv)


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m azure_emulator",
        description=__doc__,
        epilog="`python -m azure_emulator token --help`: print a user's access token instead.",
    )
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
    # where `token` finds this emulator; an in-memory one keeps nothing in the folder, this included
    endpoint = None if args.in_memory else _record_endpoint(state_dir, server.ctx.base_url)
    # one line a launcher reads: where the emulator listens and which CA to trust
    print(f"EMULATOR={server.ctx.base_url} CA={ca_bundle_path(state_dir)}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    if endpoint is not None:
        _forget_endpoint(endpoint, server.ctx.base_url)
    server.shutdown()
    for halt in server.ctx.background:
        halt()
    server.ctx.store.close()
    return 0


def _record_endpoint(state_dir: Path, base_url: str) -> Path:
    path = state_dir / ENDPOINT_FILE_NAME
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(base_url + "\n", encoding="utf-8")
    partial.replace(path)  # whole or absent: a reader never sees half a URL
    return path


def _forget_endpoint(path: Path, base_url: str) -> None:
    try:
        if path.read_text(encoding="utf-8").strip() == base_url:  # not another emulator's, started since
            path.unlink()
    except OSError:
        pass


def token(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m azure_emulator token",
        description="Print (alone on stdout) an access token for the app's API, signed in as NAME by the "
        "development issuer of the emulator that runs on the state folder (`make run` starts one).",
    )
    parser.add_argument(
        "name", nargs="?", default=BOOTSTRAP_ADMIN, metavar="NAME", help=f"the user (default: {BOOTSTRAP_ADMIN})"
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="the running emulator's state")
    parser.add_argument("--tenant-id", help="the user's Entra tenant (default: the emulator's home tenant)")
    parser.add_argument("--audience", help="the token's aud (default: the app's API)")
    parser.add_argument("--lifetime-seconds", type=int, help="how long the token is valid (default: one hour)")
    args = parser.parse_args(argv)
    state_dir: Path = args.state_dir.resolve()
    emulator = EmulatorProcess.running(state_dir)
    not_running = f"no Azure emulator runs on {state_dir}: start `make run` first"
    if emulator is None:
        print(not_running, file=sys.stderr)
        return NOT_RUNNING
    try:
        access_token = emulator.user_token(
            args.name, tenant_id=args.tenant_id, audience=args.audience, lifetime_seconds=args.lifetime_seconds
        )
    except requests.exceptions.SSLError as exc:  # a ConnectionError too, but the emulator does answer
        print(f"the emulator at {emulator.base_url} is not trusted with {emulator.ca_bundle}: {exc}", file=sys.stderr)
        return 1
    except requests.ConnectionError:  # the endpoint of an emulator that was killed before it could forget it
        print(not_running, file=sys.stderr)
        return NOT_RUNNING
    except requests.HTTPError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(access_token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
