"""Starts and stops an Azurite storage emulator (npm package) on loopback ports."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# Azurite's well-known development account (public, documented; not a secret).
DEV_ACCOUNT_NAME = "devstoreaccount1"
DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_PORTS = (10000, 10001, 10002)
SERVICES = ("blob service", "queue service", "table service")  # in the order of the ports


def development_connection_string(host: str = "127.0.0.1", ports: tuple[int, int, int] = DEFAULT_PORTS) -> str:
    """The connection string `UseDevelopmentStorage=true` stands for, on the given ports."""
    blob, queue, table = ports
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={DEV_ACCOUNT_NAME};AccountKey={DEV_ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{blob}/{DEV_ACCOUNT_NAME};"
        f"QueueEndpoint=http://{host}:{queue}/{DEV_ACCOUNT_NAME};"
        f"TableEndpoint=http://{host}:{table}/{DEV_ACCOUNT_NAME};"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def answers_http(port: int, host: str = "127.0.0.1", timeout_s: float = 1.0) -> bool:
    """Whether the server on `port` answers an HTTP request, whatever its status (an anonymous one is refused): an
    open port alone is a listener that may not serve yet, and a request sent then waits or fails."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", f"/{DEV_ACCOUNT_NAME}?restype=service&comp=properties")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def find_azurite(project_root: Path) -> str:
    local = project_root / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found:
        return found
    raise FileNotFoundError("azurite is not installed: run `npm ci` in the project folder")


@dataclass
class Azurite:
    """One Azurite process serving blob, queue and table endpoints on 127.0.0.1."""

    project_root: Path
    ports: tuple[int, int, int] = field(default_factory=lambda: (free_port(), free_port(), free_port()))
    location: Path | None = None  # None: in-memory, gone when the process stops
    process: subprocess.Popen[bytes] | None = None
    # HTTPS with this (certificate chain, key) pair, and bearer tokens accepted as Azure Storage accepts Entra's
    # (`--oauth basic`: issuer, audience and lifetime checked, not the signature); shared keys still work
    oauth_tls: tuple[Path, Path] | None = None
    # own process group: a terminal's Ctrl-C then reaches only us, and we stop Azurite last
    own_session: bool = False

    @property
    def connection_string(self) -> str:
        return development_connection_string(ports=self.ports)

    def service_uri(self, service: str) -> str:
        """`https://127.0.0.1:<port>/devstoreaccount1` for blob, queue or table (an OAuth Azurite's endpoints)."""
        port = dict(zip(("blob", "queue", "table"), self.ports, strict=True))[service]
        return f"{'https' if self.oauth_tls else 'http'}://127.0.0.1:{port}/{DEV_ACCOUNT_NAME}"

    def start(self, timeout_s: float = 60.0) -> Azurite:
        blob, queue, table = self.ports
        args = [
            find_azurite(self.project_root),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(blob),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(queue),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(table),
            # Azurite closes a connection idle for 5 s (Node's default): a client whose poll comes every 5 s reuses
            # it just as it closes, and a write (POST, PATCH: not retried by the SDKs) fails 'connection reset'.
            # Azure's front ends keep idle connections minutes; so does this one, for a period no poller here has
            *[option for service in ("blob", "queue", "table") for option in (f"--{service}KeepAliveTimeout", "250")],
        ]
        if self.oauth_tls is not None:
            args += ["--oauth", "basic", "--cert", str(self.oauth_tls[0]), "--key", str(self.oauth_tls[1])]
        if self.location is None:
            args.append("--inMemoryPersistence")
        else:
            self.location.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(self.location)]
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.project_root,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + timeout_s
        while slow := [
            f"{name} on port {port}" for name, port in zip(SERVICES, self.ports, strict=True) if not self._serves(port)
        ]:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"Azurite exited with code {self.process.returncode}: {err.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Azurite did not answer within {timeout_s:.0f} s: its {', '.join(slow)}")
            time.sleep(0.1)
        return self

    def _serves(self, port: int) -> bool:
        # an HTTPS Azurite is probed by its port: its certificate is the test's own, not one to trust here
        return port_open(port) if self.oauth_tls is not None else answers_http(port)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
