"""`python -m devhost` as a process: serves the sample app and exits cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from azure_emulator.launcher import EmulatorProcess
from devhost.__main__ import _start_azure_emulator
from devhost.azurite import free_port
from tests.devhost.support import SAMPLE_APP, call, eventually, quiet_env

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_and_stops_on_sigterm(storage_connection_string: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AzureWebJobsStorage": storage_connection_string,
        **quiet_env("every_second", "daily", "work_item", "text_item"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devhost",
            "--app-dir",
            str(SAMPLE_APP.relative_to(PROJECT_ROOT)),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--durable-store",
            "memory",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def served() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"devhost exited early with {process.returncode}")
            try:
                return call("GET", f"http://127.0.0.1:{port}/api/items/7").status == 200
            except OSError:
                return False

        eventually(served, what="devhost to serve")
        assert call("GET", f"http://127.0.0.1:{port}/api/items/7").json() == {"kind": "id", "id": "7"}
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert f"item_by_id: [GET] http://127.0.0.1:{port}/api/items/{{id:int}}" in output
    assert "Function keys are not checked" in output
    assert "Durable and admin endpoints are open: the host is bound to loopback" in output
    assert "Executed 'Functions.item_by_id' (Succeeded" in output
    assert "Host stopped" in output


def test_the_emulator_running_over_the_app_state_is_reused_never_a_second_one(tmp_path: Path) -> None:
    first = EmulatorProcess(tmp_path / ".azure-emulator", in_memory=False).start()
    try:
        reused = _start_azure_emulator(tmp_path)  # a restarted `make run` while the emulator still runs
        assert (reused.base_url, reused.process) == (first.base_url, None)  # its operation URLs stay good
        reused.stop()  # a handle on what another process started stops nothing
        assert first.answers()
    finally:
        first.stop()
    assert not first.answers()
    fresh = _start_azure_emulator(tmp_path)  # the recorded endpoint is stale: a new one takes the state over
    try:
        assert fresh.process is not None and fresh.answers()
    finally:
        fresh.stop()
