"""azure-core's transport for every Azure, Graph and Table Storage client: a plain request goes over keep-alive
connections of the standard library's http.client, anything else through requests.

Why not urllib3 under requests, as azure-core sends: measured alone against the local storage emulator, a Table read
spent 0.26 ms in azure-core's requests transport (0.15 ms here), of which 0.08 ms was http.client's own work;
requests' layer, its Response and urllib3's pool made the rest, for features no Azure API this app calls needs
(cookies, auth and hooks of its own, redirects, a proxy per request). A plain request (a body of bytes, text or none,
no proxy, no option azure-core does not send) is written here on a kept connection and its answer read back as
azure-core's own response. Anything else goes through requests as azure-core would send it.

What a connection pool must get right, and how this one does:
- A kept connection the service has closed meanwhile (an idle timeout) is found before it is used (readable with
  nothing asked means closed), and dropped. One that dies under a request before any answer (closed at that very
  moment) is replaced and the request sent once more, if sending it twice does no harm (an idempotent method).
- A connection goes back to the pool only once its answer is read to its end, and not when the service said it
  would close it; at most POOL_SIZE are kept idle per origin (requests' own default), others are closed.
- TLS: one context per CA bundle and client certificate, made once: loading the bundle for every new connection, as
  urllib3 does, cost 17 ms of CPU each (measured). The host name is checked by the ssl module.
- Errors are azure-core's, told apart as its requests transport tells them: a connection not made in time
  (ServiceRequestTimeoutError) or refused (ServiceRequestError); an answer not sent in time
  (ServiceResponseTimeoutError) or broken off (ServiceResponseError, IncompleteReadError for a body cut short).
- gzip and deflate are asked for and decoded, as requests does.
"""

from __future__ import annotations

import functools
import http.client
import os
import ssl
import threading
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from azure.core.exceptions import (
    DecodeError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline._tools import is_rest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import CaseInsensitiveDict

POOL_SIZE = 10  # idle connections kept per origin, as requests' adapter keeps
ACCEPTED_ENCODINGS = "gzip, deflate"  # what is decoded here (zlib tells gzip from zlib's own header)
SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})  # idempotent: sent again on a dropped reuse
Origin = tuple[str, str, int | None, Any, Any]  # scheme, host, port, and the TLS options for https


class DirectTransport(RequestsTransport):
    """azure-core's requests transport, but a plain request goes over the transport's own kept connections."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._idle_lock = threading.Lock()

    def send(self, request: Any, *, proxies: Any = None, **kwargs: Any) -> Any:
        stream = kwargs.pop("stream", False)
        verify = kwargs.pop("connection_verify", self.connection_config.verify)
        cert = kwargs.pop("connection_cert", self.connection_config.cert)
        connect_s = kwargs.pop("connection_timeout", self.connection_config.timeout)
        read_s = kwargs.pop("read_timeout", self.connection_config.read_timeout)
        self.open()
        target = urlsplit(request.url)
        rest = is_rest(request)  # a request of azure.core.rest's (every client here sends one), not the older kind
        if (not rest or kwargs or proxies or self.session.proxies or isinstance(connect_s, tuple)
                or target.scheme not in ("http", "https") or not target.hostname or not _sendable(request.url)
                or request.files or not isinstance(request.data, str | bytes | None)):  # fmt: skip
            return super().send(request, proxies=proxies, stream=stream, connection_verify=verify,
                                connection_cert=cert, connection_timeout=connect_s, read_timeout=read_s,
                                **kwargs)  # fmt: skip
        origin: Origin = (target.scheme, target.hostname, target.port, *((verify, cert) if target.scheme == "https"
                                                                         else (None, None)))  # fmt: skip
        path = f"{target.path or '/'}?{target.query}" if target.query else target.path or "/"
        body = request.data.encode() if isinstance(request.data, str) else request.data
        headers = _headers(self.session.headers, request.headers, request.method, body)
        answer, connection = self._exchange(origin, request.method, path, body, headers, connect_s, read_s)
        response = HttpResponseImpl(
            request=request, internal_response=_Answer(answer, connection, self._give_back, origin),
            block_size=self.connection_config.data_block_size, status_code=answer.status, reason=answer.reason or "",
            headers=_answer_headers(answer), content_type=answer.getheader("content-type"),
            stream_download_generator=_blocks,
        )  # fmt: skip
        if not stream:
            try:
                response.read()  # now, as requests does, so the connection goes back to the pool
            except BaseException:
                response.close()
                raise
        return response

    def close(self) -> None:
        with self._idle_lock:
            idle = [connection for kept in self._idle.values() for connection in kept]
            self._idle.clear()
        for connection in idle:
            connection.close()
        super().close()

    def _exchange(
        self, origin: Origin, method: str, path: str, body: bytes | None, headers: dict[str, str], connect_s: float,
        read_s: float,
    ) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:  # fmt: skip
        """The request written and its answer's head read, on a kept connection if one is alive, else a new one."""
        connection, reused = self._take(origin, connect_s)
        while True:
            try:
                assert connection.sock is not None
                connection.sock.settimeout(read_s)
                connection.request(method, path, body=body, headers=headers)
                return connection.getresponse(), connection
            except TimeoutError as exc:
                connection.close()
                raise ServiceResponseTimeoutError(exc, error=exc) from exc
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                connection.close()  # closed by the service as it was reused, before any answer
                if not (reused and method in SAFE_TO_REPEAT):
                    raise ServiceResponseError(exc, error=exc) from exc
                connection, reused = _connect(origin, connect_s), False
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                raise ServiceResponseError(exc, error=exc) from exc

    def _take(self, origin: Origin, connect_s: float) -> tuple[http.client.HTTPConnection, bool]:
        """A kept connection to `origin` still open (True), else a new one (False)."""
        while True:
            with self._idle_lock:
                kept = self._idle.get(origin)
                connection = kept.pop() if kept else None
            if connection is None:
                return _connect(origin, connect_s), False
            if connection.sock is not None and not urllib3.util.wait_for_read(connection.sock, timeout=0.0):
                return connection, True
            connection.close()  # readable while nothing was asked: the service closed it

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._idle_lock:
            kept = self._idle.setdefault(origin, [])
            if len(kept) < POOL_SIZE:
                kept.append(connection)
                return
        connection.close()


def _connect(origin: Origin, connect_s: float) -> http.client.HTTPConnection:
    scheme, host, port, verify, cert = origin
    connection = (
        http.client.HTTPSConnection(host, port, timeout=connect_s, context=_tls_context(verify, cert))
        if scheme == "https"
        else http.client.HTTPConnection(host, port, timeout=connect_s)
    )
    try:
        connection.connect()
    except TimeoutError as exc:
        connection.close()
        raise ServiceRequestTimeoutError(exc, error=exc) from exc
    except OSError as exc:  # refused, unreachable, a name not known, a TLS handshake or certificate refused
        connection.close()
        raise ServiceRequestError(exc, error=exc) from exc
    return connection


def _sendable(url: str) -> bool:
    """Whether the URL can be written as it is: printable ASCII without spaces. One that is not (a character a
    caller did not quote) goes through requests, which quotes it."""
    return url.isascii() and url.isprintable() and " " not in url


def _answer_headers(answer: http.client.HTTPResponse) -> CaseInsensitiveDict:
    """The answer's headers by name in any case, a header sent more than once as one, its values joined by commas
    (as requests and urllib3 give it: a second WWW-Authenticate challenge is not lost)."""
    headers = CaseInsensitiveDict()
    for name, value in answer.getheaders():
        known = headers.get(name)
        headers[name] = value if known is None else f"{known}, {value}"
    return headers


def _headers(session: Any, request: Any, method: str, body: bytes | None) -> dict[str, str]:
    """The request's headers, with requests' default ones it names none alike (no value for None: none sent), and
    a length of nought for a method that carries a body but has none, as requests says it."""
    named = {name.lower() for name in request}
    sent = {name: value for name, value in session.items() if name.lower() not in named}
    if "accept-encoding" not in named:  # only what is decoded here: requests' default may name more
        sent["Accept-Encoding"] = ACCEPTED_ENCODINGS
    sent.update((name, value) for name, value in request.items() if value is not None)
    if body is None and method not in ("GET", "HEAD") and "content-length" not in named:
        sent["Content-Length"] = "0"
    return sent


class _Answer:
    """An answer on one of the transport's connections: its body read in blocks, decoded as its Content-Encoding
    says; the connection given back once the body is read to its end (and the service keeps it open), else closed."""

    def __init__(self, answer: http.client.HTTPResponse, connection: http.client.HTTPConnection, give_back: Any,
                 origin: Origin) -> None:  # fmt: skip
        self._answer, self._connection, self._give_back, self._origin = answer, connection, give_back, origin
        self._settled = False

    def blocks(self, size: int, decode: bool) -> Iterator[bytes]:
        encoding = (self._answer.getheader("content-encoding") or "identity").strip().lower()
        if decode and encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            self.close()
            raise DecodeError(f"The answer is encoded as {encoding}, which was not asked for.")
        decoder = zlib.decompressobj(32 + zlib.MAX_WBITS) if decode and encoding != "identity" else None
        try:
            while block := self._answer.read(size):
                if decoder is None:
                    yield block
                elif decoded := decoder.decompress(block):
                    yield decoded
            if self._answer.length:  # what Content-Length said is left: http.client's read of a block does not raise
                raise http.client.IncompleteRead(b"", self._answer.length)
            if decoder is not None and (rest := decoder.flush()):
                yield rest
        except TimeoutError as exc:
            self.close()
            raise ServiceResponseTimeoutError(exc, error=exc) from exc
        except http.client.IncompleteRead as exc:
            self.close()
            raise IncompleteReadError(exc, error=exc) from exc
        except zlib.error as exc:
            self.close()
            raise DecodeError(exc, error=exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ServiceResponseError(exc, error=exc) from exc
        self._settle(keep=not self._answer.will_close)

    def close(self) -> None:
        """Done with the answer: a connection with a body left unread is closed, never reused."""
        self._settle(keep=False)

    def _settle(self, keep: bool) -> None:
        if self._settled:
            return
        self._settled = True
        self._answer.close()
        if keep and self._connection.sock is not None:
            self._give_back(self._origin, self._connection)
        else:
            self._connection.close()


def _blocks(pipeline: Any = None, response: Any = None, *, decompress: bool = True) -> Iterator[bytes]:
    """azure-core's stream download generator for an answer of this transport's."""
    answer: _Answer = response.internal_response
    return answer.blocks(response.block_size, decompress)


@functools.lru_cache(maxsize=16)
def _tls_context(verify: Any, cert: Any) -> ssl.SSLContext:
    """One TLS context per CA bundle and client certificate, as requests would verify with them (a CA bundle file
    or folder, else requests' own bundle; a client certificate and its key). A bundle changed on disk is read at the
    next start."""
    required = verify is not False
    context = urllib3.util.ssl_.create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if required else ssl.CERT_NONE)
    if required:
        bundle = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify
        if os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
    if isinstance(cert, tuple) and len(cert) == 2:
        context.load_cert_chain(*cert)
    elif cert is not None:
        context.load_cert_chain(cert)
    return context
