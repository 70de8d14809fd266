"""An Azure emulator served from the test process, for contract tests that seed state the way ARM events would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from azure_emulator.app import build_server
from azure_emulator.launcher import EmulatorProcess
from azure_emulator.server import Context, serve_in_thread


@dataclass(frozen=True)
class LocalEmulator:
    ctx: Context  # its state (`ctx.store`) and controls, in this process
    handle: EmulatorProcess  # base_url, CA and session(), as the test helpers take an emulator

    @property
    def base_url(self) -> str:
        return self.handle.base_url


@contextmanager
def inprocess_emulator(session_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEmulator]:
    """A second emulator on the session emulator's certificates (the CA the environment already trusts).

    The process environment (endpoints, managed identity, CA) points at it while it runs.
    """
    cert_dir = Path(session_emulator.ca_bundle).parent
    server = build_server(None, cert_dir)
    serve_in_thread(server)
    handle = EmulatorProcess(state_dir=cert_dir, base_url=server.ctx.base_url, ca_bundle=session_emulator.ca_bundle)
    for name, value in handle.app_settings().items():
        monkeypatch.setenv(name, value)
    try:
        yield LocalEmulator(server.ctx, handle)
    finally:
        server.shutdown()
        server.server_close()
        for halt in server.ctx.background:
            halt()
