"""Emulator controls Azure does not have, by operation name: faults, latency, throttles, page sizes, timers and
request counts."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from azure_emulator.http_messages import ApiError, Request

T = TypeVar("T")
# How long a long-running ARM write takes when no test said otherwise. Azure never finishes a VM, an extension or a
# Run Command within its first answer (201/202 with Azure-AsyncOperation, Compute's x-ms-long-running-operation
# specs), so every client polls; a small default keeps tests quick while making each of them go through the polling
# path. `PUT /emulator/latency/default {"seconds": 0}` is the instant mode, per tenant or for all.
DEFAULT_LRO_LATENCY_S = 0.5
DEFAULT = "default"  # the latency entry every operation without its own falls back to


def fault_message(operation: str, code: str) -> str:
    """The message of an armed failure: plain, as a provider's would be, naming what failed and its code."""
    return f"The operation {operation} failed with {code}."


def unanswered(fault: Fault) -> bool:
    """A throttle or the service's own failure: Azure answers the request itself so (429, 5xx), never a
    long-running operation's end, which fails with an error code instead."""
    return fault.status == 429 or fault.status >= 500


@dataclass
class Fault:
    count: int
    error_code: str | None = None
    status: int = 400
    retry_after_s: float = 1.0  # a 429 says when to come back, as Azure's and Graph's throttled answers do

    @property
    def code(self) -> str:
        """The armed code, else the one Azure gives most answers of this status (ARM's common errors page)."""
        if self.error_code:
            return self.error_code
        return {429: "TooManyRequests", 409: "Conflict", 404: "NotFound", 403: "AuthorizationFailed"}.get(
            self.status, "InternalServerError" if self.status >= 500 else "BadRequest"
        )


class TokenBucket:
    """Azure's throttling model: `burst` calls at once, refilled at `per_minute`; callers are told when to retry."""

    def __init__(self, per_minute: float, burst: float, clock: Callable[[], float]) -> None:
        self.per_minute, self.burst, self._clock = per_minute, burst, clock
        self._tokens, self._at = float(burst), clock()

    def take(self, cost: float = 1.0) -> float:
        """0 when a call costing `cost` tokens may go ahead (they are taken), else the seconds until they are free
        (a cost above `burst` is never free: such a call is always refused)."""
        wait = self.wait(cost)
        if wait == 0.0:
            self._tokens -= cost
        return wait

    def wait(self, cost: float = 1.0) -> float:
        """The seconds until `cost` tokens are there (0: they are), nothing taken."""
        now = self._clock()
        rate = self.per_minute / 60.0
        self._tokens = min(self.burst, self._tokens + (now - self._at) * rate)
        self._at = now
        return 0.0 if self._tokens >= cost else (cost - self._tokens) / rate

    @property
    def remaining(self) -> int:
        return int(self._tokens)


class Controls:
    """Thread-safe; faults and latency are kept in memory (a restart clears them, as a test would expect).

    A fault, latency or page size can be scoped to one Entra tenant: it then applies only to requests whose token is for
    that tenant (the dispatcher sets the request's tenant for the handler's thread), so tests sharing one
    emulator don't trip over each other's faults.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._request = threading.local()
        self.faults: dict[tuple[str, str | None], Fault] = {}
        self.latency_s: dict[tuple[str, str | None], float] = {}
        self.page_sizes: dict[tuple[str, str | None], int] = {}  # an ARM list's page, when smaller than ARM's
        # how long one of Azure's own waiting periods lasts (e.g. a NIC's reservation), when a test makes it
        # shorter or longer than Azure's: tests change the period instead of waiting it out
        self.timers: dict[tuple[str, str | None], float] = {}
        self.throttles: dict[str, tuple[float, float]] = {}  # name -> (per minute, burst)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self.requests: Counter[tuple[str, str, str, str]] = Counter()
        self.statuses: Counter[int] = Counter()
        self.throttled: Counter[tuple[str, str, str, str]] = Counter()  # the requests answered 429, by the same key
        self.throttled_by: Counter[str] = Counter()  # the requests answered 429, by the bucket that was empty
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        # (tenant, principal, api, action or operation) -> the scopes checked, and how often granted and refused
        self.access: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def set_request_tenant(self, tenant: str | None) -> None:
        """The Entra tenant of the request this thread is handling (its token's tid)."""
        self._request.tenant = tenant

    def _keys(self, operation: str) -> list[tuple[str, str | None]]:
        tenant = getattr(self._request, "tenant", None)
        return [(operation, tenant), (operation, None)] if tenant else [(operation, None)]

    # --- faults ---------------------------------------------------------------------------------------
    def arm_fault(self, operation: str, fault: Fault, tenant: str | None = None) -> None:
        with self._lock:
            self.faults[(operation, tenant)] = fault

    def take_fault(self, operation: str, only: Callable[[Fault], bool] | None = None) -> Fault | None:
        """Consume one armed failure of `operation` for the current request's tenant (or for any), if any (and if
        `only` allows it)."""
        with self._lock:
            for key in self._keys(operation):
                fault = self.faults.get(key)
                if fault is None or (only is not None and not only(fault)):
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    del self.faults[key]
                return Fault(1, fault.error_code, fault.status, fault.retry_after_s)
            return None

    def raise_fault(self, operation: str, only: Callable[[Fault], bool] | None = None) -> None:
        fault = self.take_fault(operation, only)
        if fault is not None:
            code = fault.code
            headers = {"Retry-After": str(max(1, math.ceil(fault.retry_after_s)))} if fault.status == 429 else None
            if fault.status == 429:
                self.throttled_for("injected")
            raise ApiError(fault.status, code, fault_message(operation, code), headers)

    # --- latency and throttles ----------------------------------------------------------------------
    def latency(self, operation: str) -> float:
        """The seconds the long-running `operation` takes: its own latency, else the default one
        (DEFAULT_LRO_LATENCY_S unless a test set it)."""
        return self._scoped(self.latency_s, operation, self._scoped(self.latency_s, DEFAULT, DEFAULT_LRO_LATENCY_S))

    def delay(self, operation: str) -> float:
        """The seconds a test asked an immediate answer of `operation` to wait (Graph's), 0 unless set."""
        return self._scoped(self.latency_s, operation, 0.0)

    def page_size(self, operation: str, default: int) -> int:
        return self._scoped(self.page_sizes, operation, default)

    def timer(self, name: str, default: float) -> float:
        """The seconds Azure's waiting period `name` lasts for the current request's tenant: `default` (Azure's)
        unless a test set another."""
        return self._scoped(self.timers, name, default)

    def _scoped(self, table: dict[tuple[str, str | None], T], operation: str, default: T) -> T:
        """The value set for `operation` and the current request's tenant, else for any tenant, else `default`."""
        with self._lock:
            for key in self._keys(operation):
                if key in table:
                    return table[key]
            return default

    def throttle(self, name: str, key: str, default: tuple[float, float], cost: float = 1.0) -> float:
        """0 when a `name` call for `key` costing `cost` may go ahead now, else the seconds to wait (a 429)."""
        with self._lock:
            return self._bucket(name, key, default).take(cost)

    def take_together(self, buckets: list[tuple[str, str, tuple[float, float]]]) -> tuple[float, list[int]]:
        """One token from each of `buckets` ((name, key, default) as `throttle` has them), all or none: 0 and what
        each has left, else the seconds until all have one (nothing taken) and what each has."""
        with self._lock:
            found = [self._bucket(name, key, default) for name, key, default in buckets]
            wait = max((bucket.wait() for bucket in found), default=0.0)
            if wait == 0.0:
                for bucket in found:
                    bucket.take()
            return wait, [bucket.remaining for bucket in found]

    def _bucket(self, name: str, key: str, default: tuple[float, float]) -> TokenBucket:
        """The bucket of `name` for `key`, at the size a test set for `name` (else `default`); under the lock."""
        per_minute, burst = self.throttles.get(name, default)
        bucket = self._buckets.get((name, key))
        if bucket is None or (bucket.per_minute, bucket.burst) != (per_minute, burst):
            bucket = self._buckets[(name, key)] = TokenBucket(per_minute, burst, self._clock)
        return bucket

    # --- request counts ---------------------------------------------------------------------------------
    def count(self, api: str, kind: str, operation: str, method: str, status: int) -> None:
        with self._lock:
            self.requests[(api, kind, operation, method)] += 1
            self.statuses[status] += 1
            if status == 429:
                self.throttled[(api, kind, operation, method)] += 1

    def throttled_for(self, bucket: str) -> None:
        """A request was answered 429 because `bucket` (ARM's `subscription-writes`, Compute's `UpdateVMResource`...)
        was empty."""
        with self._lock:
            self.throttled_by[bucket] += 1

    def counts(self) -> dict[str, Any]:
        with self._lock:
            rows = [
                {
                    "api": api,
                    "kind": kind,
                    "operation": op,
                    "method": method,
                    "count": n,
                    "throttled": self.throttled[(api, kind, op, method)],
                }
                for (api, kind, op, method), n in sorted(self.requests.items())
            ]
            return {
                "value": rows,
                "total": sum(self.requests.values()),
                "statuses": dict(self.statuses),
                "throttledBy": dict(self.throttled_by),
            }

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.throttled.clear()
            self.throttled_by.clear()
            self.log.clear()

    # --- request log (what an API module chose to record; secrets masked) -------------------------------
    def log_request(self, request: Request, status: int) -> None:
        try:
            body = masked(json.loads(request.body)) if request.body else None
        except ValueError:
            body = "<not JSON>"
        entry = {
            "operation": request.operation,
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": body,
            "status": status,
        }
        with self._lock:
            self.log.append(entry)

    def record_access(self, tenant: str, principal: str, api: str, name: str, scope: str, granted: bool) -> None:
        """One permission check of an app: ARM's action at a scope, or a Graph operation (its scope the resource)."""
        with self._lock:
            entry = self.access.setdefault(
                (tenant.lower(), principal.lower(), api, name), {"scopes": set(), "granted": 0, "refused": 0}
            )
            entry["scopes"].add(scope)
            entry["granted" if granted else "refused"] += 1

    def access_checks(self, tenant: str | None) -> list[dict[str, Any]]:
        """The checks of one tenant's apps (of every tenant's: None)."""
        with self._lock:
            return [
                {
                    "tenantId": tid,
                    "principalId": principal,
                    "api": api,
                    "name": name,
                    "scopes": sorted(entry["scopes"]),
                    "granted": entry["granted"],
                    "refused": entry["refused"],
                }
                for (tid, principal, api, name), entry in sorted(self.access.items())
                if tenant is None or tid == tenant.lower()
            ]

    def forget_access(self, tenant: str) -> None:
        with self._lock:
            for key in [key for key in self.access if key[0] == tenant.lower()]:
                del self.access[key]

    def logged(self, operation: str | None, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            entries = [e for e in self.log if operation is None or e["operation"] == operation]
        return entries[-limit:]


# Operation names that handlers count or fault under besides their routes' own (filled in by the API modules).
EXTRA_OPERATIONS: set[str] = set()
LOG_SIZE = 1000
SECRET_KEYS = {"protectedsettings", "adminpassword", "password", "runaspassword", "client_secret", "addomainpassword"}


def masked(value: Any) -> Any:
    """A JSON value with secrets replaced by "***": protected settings, passwords, protected parameters' values."""
    if isinstance(value, list):
        return [masked(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name.lower() in SECRET_KEYS:
            out[name] = "***"
        elif name.lower() == "protectedparameters" and isinstance(item, list):
            out[name] = [{**p, "value": "***"} if isinstance(p, dict) else "***" for p in item]
        else:
            out[name] = masked(item)
    return out
