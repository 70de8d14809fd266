"""The HTTP transport of every Azure, Graph and Table Storage client (the environment's CA bundle and proxies read
once, each service's connect and read timeouts), and the closing of a cache of clients.

requests re-reads the environment (proxies, no_proxy, netrc, CA bundle) on every request when `trust_env` is on;
profiling put that at about a sixth of the app's CPU per Azure call. The settings are read once here instead,
so a corporate CA (REQUESTS_CA_BUNDLE) or proxy (HTTPS_PROXY) still applies, at no cost per call. And a plain
request (a body of bytes or text, no proxy) goes from azure-core's transport straight to urllib3's pool of
connections (`DirectSession`): requests' own layer above urllib3 was about a seventh of the app's CPU.
"""

from __future__ import annotations

import functools
import os
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from azure.core.exceptions import ServiceRequestTimeoutError, ServiceResponseTimeoutError
from azure.core.pipeline.transport import RequestsTransport

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


class DirectSession(requests.Session):
    """A requests Session that hands a plain request (a body of bytes, text or none, sent to no proxy) straight to
    urllib3's connection pool of its mounted adapter, with the TLS settings the adapter would give it and no retry
    of its own (azure-core's policies retry), and gives back requests' Response as its adapter would. Skipped: the
    request's preparation (URL re-quoting, the merging of the session's settings, auth and hooks) and cookies,
    which no Azure API this app calls needs. Anything else (a form, files, a proxy, an option azure-core does not
    send) goes through requests as before."""

    def request(  # type: ignore[override]
        self, method: str, url: str, *, headers: Any = None, data: Any = None, files: Any = None,
        verify: Any = True, timeout: Any = None, cert: Any = None, allow_redirects: bool = True,
        proxies: Any = None, stream: bool = False, **kwargs: Any,
    ) -> requests.Response:  # fmt: skip
        adapter = self.get_adapter(url)
        if (not isinstance(adapter, requests.adapters.HTTPAdapter) or not isinstance(data, str | bytes | None)
                or files or kwargs or proxies or self.proxies or allow_redirects):  # fmt: skip
            return super().request(
                method, url, headers=headers, data=data, files=files, verify=verify, timeout=timeout, cert=cert,
                allow_redirects=allow_redirects, proxies=proxies, stream=stream, **kwargs,
            )  # fmt: skip
        headers = headers or {}
        named = {name.lower() for name in headers}  # the session's own headers where the request names none alike
        sent = {name: value for name, value in self.headers.items() if name.lower() not in named}
        sent.update((name, value) for name, value in headers.items() if value is not None)  # None: none sent
        if data is None and method not in ("GET", "HEAD") and "content-length" not in named:
            sent["Content-Length"] = "0"  # as requests says of an empty body
        target = urllib3.util.parse_url(url)
        pool = adapter.poolmanager.connection_from_host(
            target.host, port=target.port, scheme=target.scheme or "https", pool_kwargs=dict(_tls_options(verify, cert))
        )
        connect_s, read_s = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        try:
            answer = pool.urlopen(
                method, target.request_uri, body=data, headers=sent, redirect=False, assert_same_host=False,
                preload_content=False, decode_content=False, retries=False,
                timeout=urllib3.Timeout(connect=connect_s, read=read_s),
            )  # fmt: skip
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from exc
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.NewConnectionError):
            raise  # azure-core tells these apart itself (a connection refused, or not taken in time)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.exceptions.ConnectionError(exc) from exc
        response = requests.Response()
        response.status_code = answer.status
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.raw = answer
        response.reason = answer.reason or ""
        response.url = url
        if not stream:
            response.content  # noqa: B018 -- read now, as requests does, so the connection goes back to the pool
        return response


@functools.lru_cache(maxsize=16)
def _tls_options(verify: Any, cert: Any) -> dict[str, Any]:
    """The TLS part of a connection pool's key, as requests' adapter makes it (a CA bundle file or folder, else
    requests' own bundle; a client certificate and its key)."""
    options: dict[str, Any] = {"cert_reqs": "CERT_NONE" if verify is False else "CERT_REQUIRED"}
    if verify is True:
        verify = requests.utils.DEFAULT_CA_BUNDLE_PATH
    if isinstance(verify, str):
        options["ca_cert_dir" if os.path.isdir(verify) else "ca_certs"] = verify
    if isinstance(cert, tuple) and len(cert) == 2:
        options["cert_file"], options["key_file"] = cert
    elif cert is not None:
        options["cert_file"] = cert
    return options


def azure_session() -> requests.Session:
    """A requests Session that reads the environment's proxies once, here, rather than at each request."""
    session = DirectSession()
    session.trust_env = False
    session.proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    return session


def ca_bundle() -> str | bool:
    """The CA bundle the environment names (a corporate CA, or a local emulator's), else the system's."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def http_transport(patience: Patience) -> RequestsTransport:
    """A transport of its own for one client (each client closes its own), with the service's timeouts."""
    return RequestsTransport(
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
