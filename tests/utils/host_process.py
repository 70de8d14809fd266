"""`python -m devhost` as a separate process: its own settings, and it can die the hard way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from devhost.azurite import free_port
from tests.conftest import PROJECT_ROOT
from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import unique_table_prefix


def isolated_env(connection_string: str, **settings: str) -> dict[str, str]:
    """App settings for a host of its own: fresh tables and queue on the shared Azurite, plus `settings`
    (Azure's settings come from the environment: see the `azure_environment` fixture)."""
    prefix = unique_table_prefix()
    return {
        "AzureWebJobsStorage": connection_string,
        "TABLE_NAME_PREFIX": prefix,
        "DIRECTORY_EVENTS_QUEUE": f"events-{prefix}",
        "BULK_ACTIONS_QUEUE": f"bulk-{prefix}",
        "TEMPLATE_ROLLOUTS_QUEUE": f"rollouts-{prefix}",
        "DIRECTORY_SUBSCRIPTIONS_QUEUE": f"subscriptions-{prefix}",
        "ALERT_EVALUATIONS_QUEUE": f"alert-evaluations-{prefix}",
        "TIMER_WORK_QUEUE": f"timer-work-{prefix}",
        "ALERT_DELIVERIES_QUEUE": f"alert-deliveries-{prefix}",
        **settings,
    }


class HostProcess:
    """`python -m devhost` as a separate process, so it can die the hard way."""

    def __init__(self, env: dict[str, str], store: Path, log: Path, token: str | None = None) -> None:
        self.env, self.store, self.log, self.token = env, store, log, token
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ApiClient:
        args = [sys.executable, "-m", "devhost", "--app-dir", str(PROJECT_ROOT), "--port", str(self.port)]
        args += ["--durable-store", str(self.store)]
        # Graph tells this host about directory changes at its own URL
        env = {**os.environ, "NOTIFICATION_URL": f"http://127.0.0.1:{self.port}/api/directoryNotifications", **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        api = ApiClient(f"http://127.0.0.1:{self.port}/api", self.token)

        def serving() -> None:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                assert api.get("/health").status_code == 200
            except OSError as exc:
                raise AssertionError(str(exc)) from exc

        eventually(serving, timeout_s=60)
        return api

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
