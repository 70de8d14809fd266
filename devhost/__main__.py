"""`python -m devhost`: serve a Functions app locally until Ctrl-C or SIGTERM.

`--host` picks the bind address (default 127.0.0.1). Off loopback the Durable webhooks and admin routes
require the host key, kept in <app-dir>/.devhost/host-keys.json or given as DEVHOST_MASTER_KEY
(see devhost.host_keys); the start-up log says which applies.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from azure_emulator.launcher import EmulatorProcess
from devhost.app_registration import register_app
from devhost.azurite import DEFAULT_PORTS, Azurite, answers_http, development_connection_string, port_open
from devhost.host import DevHost, connect_url
from devhost.settings import SettingsError, local_http_port
from devhost.state_lock import FolderHeld, holding
from shared.schedules import ScheduleError

log = logging.getLogger("devhost")
REPO_ROOT = Path(__file__).resolve().parent.parent
EMULATOR_PORT = 7443
AZURITE_FOLDER = ".azurite"  # in the app's folder: Azurite's data, when this run starts Azurite
EMULATOR_FOLDER = ".azure-emulator"  # the emulator's state, when this run starts the emulator


class _UtcFormatter(logging.Formatter):
    """Core Tools' console stamp: `[2026-01-31T12:00:00.123Z]`."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        stamp = datetime.fromtimestamp(record.created, UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


# the storage SDK logs every request at INFO; the console keeps to invocations
QUIET_LOGGERS = ("azure", "aiohttp.access", "urllib3")


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_UtcFormatter("[%(asctime)s] %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devhost", description="Run a Python v2-model Functions app locally."
    )
    parser.add_argument(
        "--app-dir", type=Path, default=Path("."), help="folder with function_app.py and host.json (default: .)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to bind (default: 127.0.0.1); off loopback the Durable and admin endpoints "
        "require the host key from <app-dir>/.devhost/host-keys.json or DEVHOST_MASTER_KEY",
    )
    parser.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: local.settings Host.LocalHttpPort, else 7071)"
    )
    parser.add_argument(
        "--durable-store",
        default=None,
        help="SQLite file for Durable state, or 'memory' (default: <app-dir>/.devhost/durable.sqlite)",
    )
    parser.add_argument(
        "--start-azurite",
        action="store_true",
        help="start Azurite on ports 10000-10002 with data in <app-dir>/.azurite "
        "(unless something already answers there)",
    )
    parser.add_argument(
        "--start-azure-emulator",
        action="store_true",
        help="start the Azure emulator (ARM, Graph, Key Vault, tokens) with state in <app-dir>/.azure-emulator, "
        "and point the app's Azure settings at it",
    )
    return parser.parse_args(argv)


def _start_azurite(app_dir: Path) -> Azurite | None:
    if all(answers_http(port) for port in DEFAULT_PORTS):
        log.info("Azurite already answers on ports %s; using it", DEFAULT_PORTS)
        return None
    root = REPO_ROOT if (REPO_ROOT / "node_modules").is_dir() else app_dir
    log.info("Starting Azurite on ports %s (data in %s)", DEFAULT_PORTS, app_dir / AZURITE_FOLDER)
    return Azurite(project_root=root, ports=DEFAULT_PORTS, location=app_dir / AZURITE_FOLDER, own_session=True).start()


def _start_azure_emulator(app_dir: Path) -> EmulatorProcess:
    """The emulator that keeps its state in <app-dir>/.azure-emulator: the one running there already, else a new
    one. Never a second over the same state: the app's in-flight work holds that one's operation URLs."""
    state = app_dir / EMULATOR_FOLDER
    running = EmulatorProcess.running(state)
    if running is not None and running.answers():
        log.info("The Azure emulator of %s already answers at %s; using it", state, running.base_url)
        return running
    port = 0 if port_open(EMULATOR_PORT) else EMULATOR_PORT  # a fixed port, when free, for scripts
    return EmulatorProcess(state, in_memory=False, port=port, own_session=True).start()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    _configure_logging()
    app_dir = args.app_dir.resolve()
    port = args.port if args.port is not None else local_http_port(app_dir) or 7071
    state_dir = app_dir / ".devhost"
    store: Path | None = state_dir / "durable.sqlite"
    if args.durable_store == "memory":
        store = None
    elif args.durable_store:
        store = Path(args.durable_store).resolve()

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("Received %s; shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    kept = [(AZURITE_FOLDER, args.start_azurite), (EMULATOR_FOLDER, args.start_azure_emulator)]
    try:
        with holding(*(app_dir / folder for folder, started in kept if started)):
            return _serve(args, app_dir, port, store, state_dir, stop)
    except FolderHeld as exc:
        log.error("Not started: %s", exc)
        return 1


def _serve(
    args: argparse.Namespace, app_dir: Path, port: int, store: Path | None, state_dir: Path, stop: threading.Event
) -> int:
    azurite: Azurite | None = None
    emulator: EmulatorProcess | None = None
    env: dict[str, str] = {}
    try:
        if args.start_azurite:
            azurite = _start_azurite(app_dir)
            env["AzureWebJobsStorage"] = development_connection_string()
        if args.start_azure_emulator:
            emulator = _start_azure_emulator(app_dir)
            env.update(emulator.app_settings(f"{connect_url(args.host, port)}/api/directoryNotifications"))
            env["PORTAL_URL"] = f"{connect_url(args.host, port)}/api/portal/"  # where admin consent comes back
            register_app(emulator, env["PORTAL_URL"])  # as its deployer sets it up in Entra
            log.info("Azure emulator: EMULATOR=%s (trust %s)", emulator.base_url, emulator.ca_bundle)
        host = DevHost(app_dir, env=env, port=port, durable_store_path=store, state_dir=state_dir, host=args.host)
        try:
            host.start()
        except (SettingsError, ScheduleError) as exc:  # host.json or an app setting: the message says which
            log.error("%s", exc)
            return 1
        try:
            print(host.listing(), flush=True)
            log.info("Host started; listening on %s (Ctrl-C to stop)", host.base_url)
            while not stop.wait(0.5):
                if not host.running:
                    log.error("devhost stopped unexpectedly")
                    return 1
        finally:
            abandoned = host.invoker.abandoned if host.invoker is not None else 0
            host.stop()
            log.info("Host stopped")
            if abandoned:
                # timed-out sync invocations still hold threads, which Python would wait for at exit;
                # the Functions host kills its worker instead, so end the process the same way
                for handler in logging.getLogger().handlers:
                    handler.flush()
                if emulator is not None:
                    emulator.stop()
                if azurite is not None:
                    azurite.stop()
                os._exit(0)
    finally:
        if emulator is not None:
            emulator.stop()
        if azurite is not None:
            azurite.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
