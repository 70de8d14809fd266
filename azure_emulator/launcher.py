"""Starts the emulator as a child process on a free loopback port, for `make run` and the tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

# defined in development_issuer, which imports nothing of the emulator, so the emulator's modules and this launcher
# share them without an import cycle; APP_CLIENT_ID and HOME_TENANT_ID stay importable from here
from azure_emulator.development_issuer import (
    APP_API_AUDIENCE,
    APP_CLIENT_ID,
    HOME_TENANT_ID,
    issuer_url,
    user_object_id,
)

IDENTITY_PATH = "/msi/token"
IDENTITY_HEADER = "azure-emulator-identity-header"
ENDPOINT_FILE_NAME = "endpoint.txt"  # in the state folder, while an emulator that keeps its state there runs
BOOTSTRAP_ADMIN = "admin"  # the user `make token` signs as unless told: the app's first administrator


def ca_bundle_path(state_dir: Path) -> Path:
    """What an emulator on `state_dir` tells clients to trust: the public CAs plus its own."""
    return state_dir / "tls" / "bundle.pem"


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

    @classmethod
    def running(cls, state_dir: Path) -> EmulatorProcess | None:
        """A handle on the emulator that keeps its state in `state_dir` and runs now (started by another process,
        e.g. `make run`), found by the endpoint it recorded there; None if none recorded one. The handle cannot
        stop it, and the endpoint may be stale if that emulator was killed: a call then fails to connect."""
        try:
            base_url = (state_dir / ENDPOINT_FILE_NAME).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        ca_bundle = ca_bundle_path(state_dir)
        if not base_url or (base_url.startswith("https:") and not ca_bundle.is_file()):
            return None  # not an emulator's folder after all: every one over TLS keeps its CA there
        return cls(state_dir=state_dir, in_memory=False, base_url=base_url, ca_bundle=str(ca_bundle))

    def answers(self) -> bool:
        """Whether an emulator answers at `base_url` now (a recorded endpoint outlives an emulator that was killed)."""
        try:
            return bool(self.session().get(f"{self.base_url}/emulator/health", timeout=5).ok)
        except requests.RequestException:
            return False

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
            "METRICS_ENDPOINT": f"{self.base_url}/metrics/{{region}}",
            "RETAIL_PRICES_ENDPOINT": f"{self.base_url}/prices",
            "KEY_VAULT_URL": f"{self.base_url}/keyvault",
            "AZURE_AUTHORITY_HOST": host,
            "APP_CLIENT_ID": APP_CLIENT_ID,
            # the app's own API accepts the development issuer's user tokens as it would accept Entra's
            "AUTH_AUDIENCE": APP_API_AUDIENCE,
            "AUTH_ISSUERS": issuer_url(self.base_url, HOME_TENANT_ID),
            "AUTH_BOOTSTRAP_ADMINS": user_object_id(BOOTSTRAP_ADMIN),
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

    def register_app(self, redirect_uri: str, display_name: str, app_id: str = APP_CLIENT_ID) -> None:
        """The app registration lists `redirect_uri` among its Web redirect URIs and bears `display_name`, as its
        owner sets them in Entra's portal (what the admin consent pages show and where they return)."""
        with self.session() as session:
            registration = f"{self.base_url}/emulator/applications/{app_id}"
            listed = session.get(registration, timeout=30).json()["redirectUris"]
            changed = {"redirectUris": sorted({*listed, redirect_uri}), "displayName": display_name}
            session.put(registration, json=changed, timeout=30).raise_for_status()

    def session(self) -> requests.Session:
        """A requests session that trusts the emulator's CA (for tests and scripts)."""
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
        session.verify = self.ca_bundle
        return session

    def user_token(
        self,
        name: str,
        *,
        tenant_id: str | None = None,
        audience: str | None = None,
        lifetime_seconds: int | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """An access token for the app's API, signed in as `name` (see `POST /emulator/userTokens`); `claims` are
        merged last, a claim set to None is left out (for expired, not-yet-valid or wrong-audience tokens)."""
        options = {"tenantId": tenant_id, "audience": audience, "lifetimeSeconds": lifetime_seconds, "claims": claims}
        body = {"name": name, **{key: value for key, value in options.items() if value is not None}}
        with self.session() as session:
            response = session.post(f"{self.base_url}/emulator/userTokens", json=body, timeout=30)
        if response.status_code != 200:
            raise requests.HTTPError(
                f"POST /emulator/userTokens answered {response.status_code}: {response.text}", response=response
            )
        return str(response.json()["accessToken"])
