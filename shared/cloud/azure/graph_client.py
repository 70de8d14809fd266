"""Microsoft Graph over azure-core: one pipeline per customer tenant, paging, JSON batching, errors as CloudError."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest, HttpResponse

from shared.catalog.graph_permissions import graph_permissions_for
from shared.cloud.azure.credentials import NOT_CONSENTED, AzureCredentials
from shared.cloud.azure.transport import GRAPH_PATIENCE, close_all, http_transport
from shared.ports.cloud_errors import NO_CONSENT, CloudError

MAX_BATCH = 20  # Graph's JSON batching limit
DIRECTORY_MAX_WAIT_S = 30.0  # a throttled read may wait this long in-process; longer waits surface as errors
BATCH_ATTEMPTS = 4
RENEW_INTERVAL_S = 300.0
FRESH_TOKEN_CLAIMS = '{"access_token": {}}'  # any claims make the credential ask Entra rather than its cache
ODATA_SAFE = "$',()"  # left as they are in a query, as Graph's own links show them; everything else is escaped


class GraphError(CloudError):
    """A Graph call failed: `code` is Graph's error code, `status` the HTTP status, `retry_after_s` its advice."""

    def __init__(self, step: str, code: str, message: str, status: int, retry_after_s: float | None = None) -> None:
        # a throttle or Graph's own failure holds the call (CloudError.transient): the timeline names Graph
        held = status == 429 or status >= 500
        super().__init__(step, code, message, f"{GRAPH_PATIENCE.service} said not now ({code})" if held else None)
        self.status = status
        self.retry_after_s = retry_after_s


class RenewedOnRefusal(BearerTokenCredentialPolicy):
    """The bearer token, renewed when Graph refuses it for want of a permission: application permissions are the
    token's `roles`, fixed when it was issued, so a token from before the admin's consent keeps being refused for up
    to its lifetime. One fresh token, one more try; at most once in RENEW_INTERVAL_S, so that work refused for good
    does not ask Entra for a token at every call. (Reading the onboarding report renews at once: GraphClients.renew.)"""

    def __init__(self, credential: TokenCredential, scope: str) -> None:
        super().__init__(credential, scope)
        self._scope = scope
        self._renewed_at: float | None = None

    def send(self, request: PipelineRequest[HttpRequest]) -> PipelineResponse[HttpRequest, HttpResponse]:
        response = super().send(request)
        if response.http_response.status_code == 403 and "Authorization_RequestDenied" in response.http_response.text():
            now = time.monotonic()
            if self._renewed_at is None or now - self._renewed_at >= RENEW_INTERVAL_S:
                self._renewed_at = now
                # claims: the credential must not answer from its cache (azure-identity asks Entra again)
                self.authorize_request(request, self._scope, claims=FRESH_TOKEN_CLAIMS)
                response = self.next.send(request)
        return response


class GraphRetryPolicy(RetryPolicy):
    """azure-core's retries (429/5xx, honouring Retry-After), but never sleeping longer than `retry_max_wait`.

    A caller that can wait elsewhere (a durable timer) passes a small `retry_max_wait` and gets the 429 back.
    """

    def __init__(self, max_wait_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_wait_s = max_wait_s

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = super().configure_retries(options)
        settings["max_wait"] = options.pop("retry_max_wait", self._max_wait_s)
        return settings

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        wait = self.get_retry_after(response)
        if wait is not None and wait > settings["max_wait"]:
            return False
        return bool(super().is_retry(settings, response))


def retry_after(response: HttpResponse) -> float | None:
    return seconds(response.headers.get("Retry-After"))


def seconds(value: Any) -> float | None:
    """A Retry-After value in seconds; None when there is none or it is not a number."""
    try:
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


def header(headers: Mapping[str, Any] | None, name: str) -> Any:
    """A header's value by name in any case, as HTTP compares names: a batch answer's `headers` is a plain JSON
    object, and Graph spells some names there otherwise than on the wire (`retry-after`)."""
    wanted = name.lower()
    return next((value for key, value in (headers or {}).items() if key.lower() == wanted), None)


def error_of(step: str, response: HttpResponse) -> GraphError:
    code, message = f"http{response.status_code}", response.reason or "Graph call failed"
    try:
        error = response.json().get("error") or {}
        code, message = str(error.get("code") or code), str(error.get("message") or message)
    except (ValueError, AttributeError):
        pass
    if code == "Authorization_RequestDenied":  # Graph names no permission: the app's own list says which it needs
        message = f"{message} {_wanted_permission(response)}"
    return GraphError(step, code, message, response.status_code, retry_after(response))


def _wanted_permission(response: HttpResponse) -> str:
    request = response.request
    # the path after the version segment, wherever the endpoint itself lives
    path = re.split(r"/(?:v1\.0|beta)/", urlsplit(request.url).path, maxsplit=1)[-1] if request is not None else ""
    method = request.method if request is not None else ""
    names = graph_permissions_for(method, path) or ["one of those the onboarding report lists"]
    return f"Microsoft Graph refused {method} {path}: it needs the application permission {' or '.join(names)}."


def odata_string(value: str) -> str:
    """A value as an OData string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class GraphClient:
    """Calls `{endpoint}/{version}/{path}` for one Entra tenant; the token's audience is the endpoint's resource."""

    def __init__(self, endpoint: str, credential: TokenCredential, **pipeline: Any) -> None:
        self.endpoint = endpoint.rstrip("/")
        # Graph's resource is its endpoint in every cloud (graph.microsoft.com, graph.microsoft.us, ...)
        scope = f"{self.endpoint}/.default"
        policies = [
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy(sdk_moniker="cloudpc-provisioning"),
            GraphRetryPolicy(
                DIRECTORY_MAX_WAIT_S, retry_total=5, retry_backoff_factor=0.5, **GRAPH_PATIENCE.retry_options()
            ),
            RenewedOnRefusal(credential, scope),
            DistributedTracingPolicy(),  # a span per Graph request when tracing is on (shared/telemetry.py)
            HttpLoggingPolicy(),
        ]
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.endpoint, policies=policies, **{"transport": http_transport(GRAPH_PATIENCE), **pipeline}
        )
        self._headers: dict[str, str] = {}

    def with_headers(self, headers: Mapping[str, str]) -> GraphClient:
        """This client with `headers` on every request it sends (the same pipeline and token underneath)."""
        view = copy.copy(self)
        view._headers = {**self._headers, **headers}
        return view

    def url(self, path: str, version: str = "v1.0") -> str:
        return f"{self.endpoint}/{version}/{path.lstrip('/')}"

    def send(
        self,
        method: str,
        path: str,
        *,
        step: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        version: str = "v1.0",
        **options: Any,
    ) -> HttpResponse:
        """The response of any status; no answer in time becomes CloudError NOT_ANSWERING, and a refused or broken
        connection UNANSWERED (both waited out as an outage)."""
        url = path if path.startswith(self.endpoint + "/") else self.url(path, version)
        if params:  # azure-core would put values in the URL unescaped: a `&` or `#` in a search would end the filter
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True, safe=ODATA_SAFE, quote_via=quote)
        request = HttpRequest(method, url, json=body, headers=self._headers or None)
        try:
            response = self._client.send_request(request, **options)
        except (ServiceRequestError, ServiceResponseError) as exc:  # the timeouts too
            raise GRAPH_PATIENCE.unanswered(step, exc) from exc
        except ClientAuthenticationError as exc:
            if not any(code in str(exc) for code in NOT_CONSENTED):
                raise
            raise CloudError(
                step,
                NO_CONSENT,
                "No administrator of the customer's Entra tenant has consented to the app there, so "
                "it gets no token for Microsoft Graph.",
            ) from exc
        response.read()
        return response

    def call(self, method: str, path: str, *, step: str, **kwargs: Any) -> Any:
        """The JSON body (None for 204); GraphError for any error status."""
        response = self.send(method, path, step=step, **kwargs)
        if response.status_code >= 400:
            raise error_of(step, response)
        return response.json() if response.content else None

    def get_or_none(self, path: str, *, step: str, **kwargs: Any) -> Any:
        response = self.send("GET", path, step=step, **kwargs)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise error_of(step, response)
        return response.json()

    def pages(self, path: str, *, step: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Iterator[Any]:
        """Every item of a collection, following `@odata.nextLink` (only ever back to this endpoint)."""
        page = self.call("GET", path, step=step, params=params, **kwargs)
        while True:
            yield from page.get("value", [])
            link = page.get("@odata.nextLink")
            if not link:
                return
            if urlsplit(link).netloc != urlsplit(self.endpoint).netloc:  # never send the token elsewhere
                raise CloudError(step, "invalidNextLink", "Graph returned a nextLink to another host.")
            page = self.call("GET", link, step=step)

    def batch(self, requests: list[dict[str, Any]], *, step: str) -> dict[str, dict[str, Any]]:
        """JSON batching, 20 requests a call. Items Graph failed on its side without saying when to come back are
        sent again at once; a throttle (an item with Retry-After) is handed back to the caller, never slept out here,
        as a GraphError 429 with the longest wait: phased work holds its step by the one driver's rule.

        Each request is `{id, method, url, body?}`; the answer maps ids to `{status, headers, body}`.
        """
        answers: dict[str, dict[str, Any]] = {}
        for start in range(0, len(requests), MAX_BATCH):
            pending = requests[start : start + MAX_BATCH]
            for attempt in range(BATCH_ATTEMPTS):
                reply = self.call("POST", "$batch", step=step, body={"requests": pending})
                retry: list[dict[str, Any]] = []
                wait: float | None = None  # the longest Retry-After of the items throttled
                by_id = {item["id"]: item for item in pending}
                for answer in reply.get("responses", []):
                    status = int(answer.get("status", 500))
                    if (status == 429 or status >= 500) and attempt < BATCH_ATTEMPTS - 1:
                        retry.append(by_id[answer["id"]])
                        advice = seconds(header(answer.get("headers"), "Retry-After"))
                        if advice is not None:
                            wait = max(wait or 0.0, advice)
                    else:
                        answers[answer["id"]] = answer
                if wait is not None:
                    raise GraphError(step, "TooManyRequests", "Graph throttled a batch.", 429, wait)
                if not retry:
                    break
                pending = retry
        return answers

    def close(self) -> None:
        self._client.close()


class GraphClients:
    """One GraphClient per customer Entra tenant, built on first use from that tenant's credential."""

    def __init__(self, credentials: AzureCredentials, endpoint: str, **pipeline: Any) -> None:
        self._credentials = credentials
        self._endpoint = endpoint
        self._pipeline = pipeline
        self._clients: dict[str, GraphClient] = {}
        self._lock = threading.Lock()
        self._headers: dict[str, str] = {}

    def with_headers(self, headers: Mapping[str, str]) -> GraphClients:
        """These clients with `headers` on every request they send: the same clients, tokens and cache underneath,
        so renewing or closing either renews or closes both."""
        view = copy.copy(self)
        view._headers = {**self._headers, **headers}
        return view

    def client(self, tenant_id: str) -> GraphClient:
        return self.client_for_entra(self._credentials.entra_tenant_id(tenant_id))

    def client_for_entra(self, entra: str) -> GraphClient:
        """By Entra tenant id, for what outlives a tenant's link (a subscription in a tenant it left)."""
        with self._lock:
            found = self._clients.get(entra)
            if found is None:
                credential = self._credentials.for_entra_tenant(entra)
                found = self._clients[entra] = GraphClient(self._endpoint, credential, **self._pipeline)
        return found.with_headers(self._headers) if self._headers else found

    def renew(self, entra: str) -> None:
        """The tenant's next call gets a fresh token: what its admin granted since the last one takes effect."""
        with self._lock:
            found = self._clients.pop(entra, None)
        self._credentials.forget(entra)
        if found is not None:
            found.close()

    def close(self) -> None:
        close_all(self._lock, self._clients)
