"""The HTTP transport of every Azure, Graph and Table Storage client (azure-core's requests transport, the
environment's CA bundle and proxies read once, each service's connect and read timeouts), and the closing of a cache
of clients.

requests re-reads the environment (proxies, no_proxy, netrc, CA bundle) on every request when `trust_env` is on, and
urllib3 loads the CA bundle into a new TLS context for every connection: together about a quarter of the app's CPU
per Azure call. Both are read once here instead (a context per CA bundle, shared by every connection), so a corporate
CA (REQUESTS_CA_BUNDLE), proxy (HTTPS_PROXY) and its exceptions (NO_PROXY) still apply, at no cost per call.
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import certifi
import requests
from azure.core.exceptions import ServiceRequestTimeoutError, ServiceResponseTimeoutError
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import HTTPAdapter
from requests.utils import should_bypass_proxies
from urllib3.util import Retry, create_urllib3_context

from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError


class Silences:
    """When each service last left one of this process's calls unanswered. Calls waiting on a silent service hold the
    worker's threads, so a step that waited long for a thread can say which service held them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, datetime] = {}

    def heard_nothing(self, service: str) -> None:
        with self._lock:
            self._last[service] = datetime.now(UTC)

    def since(self, moment: datetime) -> list[str]:
        """The services that left a call unanswered at or after `moment`."""
        with self._lock:
            return sorted(service for service, at in self._last.items() if at >= moment)


SILENCES = Silences()  # the process's: its threads are what a silent service holds


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
        SILENCES.heard_nothing(self.service)
        waited = self.connect_s if isinstance(timeout, ServiceRequestTimeoutError) else self.read_s
        return f"{self.service} did not answer within {waited:g} s"

    def did_not_answer(self) -> str:
        """The words of a call whose connection was refused or broken."""
        SILENCES.heard_nothing(self.service)
        return f"{self.service} did not answer"

    def unanswered(self, step: str, exc: Exception) -> CloudError:
        """A call's CloudError when the service was silent past a timeout (NOT_ANSWERING) or its connection was
        refused or broken (UNANSWERED): both are waited out as an outage."""
        if isinstance(exc, TIMEOUTS):
            silent = self.not_answering(exc)
            return CloudError(step, NOT_ANSWERING, silent, reason=silent)
        unanswered = self.did_not_answer()
        return CloudError(step, UNANSWERED, f"{unanswered}: {exc}", reason=unanswered)


# Azure Resource Manager answers a request at once and runs anything long as an operation to poll (202 with
# Azure-AsyncOperation), and Graph, Key Vault and Entra answer their requests in well under a second when well: a
# service silent for longer is not answering, and its caller goes on as for an outage
ARM_PATIENCE = Patience("Azure Resource Manager", connect_s=5.0, read_s=20.0)
GRAPH_PATIENCE = Patience("Microsoft Graph", connect_s=5.0, read_s=20.0)
KEY_VAULT_PATIENCE = Patience("Azure Key Vault", connect_s=5.0, read_s=10.0)
ENTRA_PATIENCE = Patience("Microsoft Entra ID", connect_s=5.0, read_s=10.0)
TIMEOUTS = (ServiceRequestTimeoutError, ServiceResponseTimeoutError)  # what azure-core raises past a timeout


@functools.cache
def tls_context(bundle: str) -> ssl.SSLContext:
    """One TLS context per CA bundle, for every connection of the process: urllib3 would make one and load the bundle
    into it at each new connection (half of a connection's CPU)."""
    context = create_urllib3_context()
    context.load_verify_locations(cafile=bundle)
    return context


class AzureAdapter(HTTPAdapter):
    """requests' adapter, with the TLS context of the bundle verified against made once, and the proxies read once
    from the environment left aside for the hosts NO_PROXY names (IMDS, loopback, private endpoints). Retries are
    the SDK pipeline's, never urllib3's, as azure-core's own adapter has it."""

    def __init__(self, no_proxy: str | None) -> None:
        super().__init__(max_retries=Retry(total=False, redirect=False, raise_on_status=False))
        self.no_proxy = no_proxy

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if verify is not False and cert is None:
            pool.pop("ca_certs", None)
            pool.pop("ca_cert_dir", None)
            pool["ssl_context"] = tls_context(verify if isinstance(verify, str) else certifi.where())
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if verify is not False and not cert:
            conn.ca_certs = conn.ca_cert_dir = None  # in the pool's shared context already: not loaded again

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        if proxies and should_bypass_proxies(request.url or "", no_proxy=self.no_proxy):
            proxies = None
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def azure_session() -> requests.Session:
    """A requests Session that reads the environment's proxies once, here, rather than at each request."""
    found = urllib.request.getproxies()
    session = requests.Session()
    session.trust_env = False
    session.proxies = {k: v for k, v in found.items() if k in ("http", "https")}
    adapter = AzureAdapter(no_proxy=found.get("no"))
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return session


def ca_bundle() -> str | bool:
    """The CA bundle the environment names (a corporate CA, or a local emulator's), else the system's."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def http_transport(patience: Patience | None = None, *, session_owner: bool = True) -> RequestsTransport:
    """azure-core's transport over an Azure session, with the service's timeouts (azure-core's own without one); a
    transport owns its session unless it is shared (the Table clients share one)."""
    timeouts = {"connection_timeout": patience.connect_s, "read_timeout": patience.read_s} if patience else {}
    return RequestsTransport(
        session=azure_session(), session_owner=session_owner, connection_verify=ca_bundle(), **timeouts
    )


def close_all(lock: threading.Lock, clients: dict[Any, Any]) -> None:
    """Close every client of a cache once: the cache is emptied under its lock, and the clients closed outside it
    (a close waits on the network)."""
    with lock:
        closing = list(clients.values())
        clients.clear()
    for client in closing:
        client.close()
