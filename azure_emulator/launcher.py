"""Starts the emulator as a child process on a free loopback port, for `make run` and the tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

APP_CLIENT_ID = "6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b"  # the app registration the emulator knows the app as
IDENTITY_PATH = "/msi/token"
IDENTITY_HEADER = "azure-emulator-identity-header"


@dataclass
class EmulatorProcess:
    """One emulator process; `base_url` and `ca_bundle` are known once `start()` returns."""

    state_dir: Path
    in_memory: bool = True
    port: int = 0
    own_session: bool = False  # own process group: a terminal's Ctrl-C reaches only the parent
    process: subprocess.Popen[str] | None = None
    base_url: str = ""
    ca_bundle: str = ""
    output: list[str] = field(default_factory=list)

    def start(self, timeout_s: float = 60.0) -> EmulatorProcess:
        args = [sys.executable, "-m", "azure_emulator", "--port", str(self.port), "--state-dir", str(self.state_dir)]
        if self.in_memory:
            args.append("--in-memory")
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=root,
            start_new_session=self.own_session,
        )
        assert self.process.stdout is not None
        ready = threading.Event()
        threading.Thread(target=self._read, args=(self.process.stdout, ready), daemon=True).start()
        if not ready.wait(timeout_s) or not self.base_url:
            self.stop()
            raise RuntimeError("the Azure emulator did not start:\n" + "\n".join(self.output[-30:]))
        return self

    def _read(self, stream: IO[str], ready: threading.Event) -> None:
        for line in stream:
            self.output.append(line.rstrip())
            if len(self.output) > 2000:
                del self.output[:1000]
            if line.startswith("EMULATOR=") and not ready.is_set():
                fields = dict(part.split("=", 1) for part in line.split())
                self.base_url, self.ca_bundle = fields["EMULATOR"], fields["CA"]
                ready.set()
        ready.set()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def app_settings(self, notification_url: str | None = None) -> dict[str, str]:
        """The app settings that point an app's Azure SDKs at this emulator: endpoints and credentials only,
        as one would point them at a sovereign cloud; nothing else in the app changes."""
        host = self.base_url.split("://", 1)[1]
        settings = {
            "ARM_ENDPOINT": f"{self.base_url}/arm",
            "GRAPH_ENDPOINT": f"{self.base_url}/graph",
            "KEY_VAULT_URL": f"{self.base_url}/keyvault",
            "AZURE_AUTHORITY_HOST": host,
            "APP_CLIENT_ID": APP_CLIENT_ID,
            # the App Service managed-identity endpoint, as the Functions host sets it in Azure
            "IDENTITY_ENDPOINT": f"{self.base_url}{IDENTITY_PATH}",
            "IDENTITY_HEADER": IDENTITY_HEADER,
            # trust the emulator's CA (the bundle holds the public CAs too), as one trusts a corporate CA
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "SSL_CERT_FILE": self.ca_bundle,
        }
        if notification_url:
            settings["NOTIFICATION_URL"] = notification_url
        return settings

    def session(self) -> requests.Session:
        """A requests session that trusts the emulator's CA (for tests and scripts)."""
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
        session.verify = self.ca_bundle
        return session
