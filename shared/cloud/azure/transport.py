"""The HTTP transport of every Azure, Graph and Table Storage client (the environment's CA bundle and proxies read
once, each service's connect and read timeouts), and the closing of a cache of clients.

requests re-reads the environment (proxies, no_proxy, netrc, CA bundle) on every request when `trust_env` is on;
profiling put that at about a sixth of the app's CPU per Azure call. The settings are read once here instead,
so a corporate CA (REQUESTS_CA_BUNDLE) or proxy (HTTPS_PROXY) still applies, at no cost per call. A plain
request (a body of bytes or text, no proxy) goes over kept connections of the app's own (direct_http.py).
"""

from __future__ import annotations

import os
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import requests
from azure.core.exceptions import ServiceRequestTimeoutError, ServiceResponseTimeoutError

from shared.cloud.azure.direct_http import DirectTransport
from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError


@dataclass(frozen=True)
class Patience:
    """How long the app waits on one service: to connect, and for an answer once a request is sent. azure-core waits
    300 s for each by default, and a call that waits holds one of the worker's few threads (activities and queue
    triggers share them), so a hung service would hold every thread for minutes. A call that is not answered in time
    is handed back as held (NOT_ANSWERING), and the timeline names the service that did not answer."""

    service: str  # the service's name, as the timeline gives it
    connect_s: float
    read_s: float

    def retry_options(self) -> dict[str, Any]:
        """A client's RetryPolicy options: an unanswered read is not sent again in the call (it would hold the thread
        once more), and a connection is tried twice at most."""
        return {"retry_read": 0, "retry_connect": 1}

    def not_answering(self, timeout: Exception) -> str:
        """The words of a call past one of its timeouts (a connection not taken, or a request not answered)."""
        waited = self.connect_s if isinstance(timeout, ServiceRequestTimeoutError) else self.read_s
        return f"{self.service} did not answer within {waited:g} s"

    def unanswered(self, step: str, exc: Exception) -> CloudError:
        """A call's CloudError when the service was silent past a timeout (NOT_ANSWERING) or its connection was
        refused or broken (UNANSWERED): both are waited out as an outage."""
        if isinstance(exc, TIMEOUTS):
            silent = self.not_answering(exc)
            return CloudError(step, NOT_ANSWERING, silent, reason=silent)
        unanswered = f"{self.service} did not answer"
        return CloudError(step, UNANSWERED, f"{unanswered}: {exc}", reason=unanswered)


# Azure Resource Manager answers a request at once and runs anything long as an operation to poll (202 with
# Azure-AsyncOperation), and Graph, Key Vault and Entra answer their requests in well under a second when well: a
# service silent for longer is not answering, and its caller goes on as for an outage
ARM_PATIENCE = Patience("Azure Resource Manager", connect_s=5.0, read_s=20.0)
GRAPH_PATIENCE = Patience("Microsoft Graph", connect_s=5.0, read_s=20.0)
KEY_VAULT_PATIENCE = Patience("Azure Key Vault", connect_s=5.0, read_s=10.0)
ENTRA_PATIENCE = Patience("Microsoft Entra ID", connect_s=5.0, read_s=10.0)
TIMEOUTS = (ServiceRequestTimeoutError, ServiceResponseTimeoutError)  # what azure-core raises past a timeout


def azure_session() -> requests.Session:
    """A requests Session that reads the environment's proxies once, here, rather than at each request."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    return session


def ca_bundle() -> str | bool:
    """The CA bundle the environment names (a corporate CA, or a local emulator's), else the system's."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def http_transport(patience: Patience) -> DirectTransport:
    """A transport of its own for one client (each client closes its own), with the service's timeouts."""
    return DirectTransport(
        session=azure_session(), session_owner=True, connection_verify=ca_bundle(),
        connection_timeout=patience.connect_s, read_timeout=patience.read_s,
    )  # fmt: skip


def close_all(lock: threading.Lock, clients: dict[Any, Any]) -> None:
    """Close every client of a cache once: the cache is emptied under its lock, and the clients closed outside it
    (a close waits on the network)."""
    with lock:
        closing = list(clients.values())
        clients.clear()
    for client in closing:
        client.close()
