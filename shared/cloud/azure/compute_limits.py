"""Compute's limits on each VM, kept on the app's side: what each VM's buckets have left, and a request on a VM held
back (its poll too) until its bucket has a token, so the app never spends a 429 on pacing itself.

Microsoft's figures (learn.microsoft.com/azure/virtual-machines/compute-throttling-limits): besides ARM's budget of
the subscription (arm_clients.RequestBudget) Compute keeps a token bucket per VM for each policy of requests on it,
refilled per minute: Update VM (updates, power actions but deallocate, Run Commands, extensions) 4 from 12, Delete VM
(delete, deallocate) 4 from 12, Low Cost Get (the VM, its instance view, extensions and Run Commands) 12 from 36, Get
Operation (the status of the VM's operations) 15 from 45. Compute says on every answer what the request's buckets
have left (`x-ms-ratelimit-remaining-resource`, `Microsoft.Compute/<policy>Resource;<count>` for the VM's), and
refuses a request on an empty bucket with 429 and a Retry-After of up to a refill interval (15 s for an update).

`VmLimits` keeps, per tenant, subscription, VM and policy, what the last answer said, refilled as Compute refills it
and less what this process has sent since; `VmPacingPolicy` asks it before each request on a VM and tells it
each answer. A poll carries no VM in its URL: the VM of an operation is learned from the answer that started it
(Azure-AsyncOperation, Location), and an operation started in another process is paced by its own URL, the poll's
answers saying what its VM has left. A request held back raises CloudThrottled with the wait until a token is there,
which the adapters and the phased driver hand back as a wait on a durable timer, as they do Azure's own 429.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.rest import HttpRequest, HttpResponse

from shared.ports.cloud_errors import CloudThrottled

# (refilled a minute, bucket) per VM, by Compute's policy
PER_VM = {
    "UpdateVM": (4.0, 12.0),
    "DeleteVM": (4.0, 12.0),
    "LowCostGet": (12.0, 36.0),
    "GetOperation": (15.0, 45.0),
    "VMGuestPatch": (2.0, 6.0),
}
DELETE_ACTIONS = {"deallocate", "simulateeviction"}
PATCH_ACTIONS = {"assesspatches", "installpatches"}
HEADER = "x-ms-ratelimit-remaining-resource"
THROTTLED = "TooManyRequests"  # a hold says what Azure's 429 would have said
# a request held back comes back this much after its token is due: Compute took the last token before its answer
# reached the app, so the estimate runs late, never early, but a timer that fires at the very moment would race it
MARGIN_S = 0.1
OPERATIONS_KEPT = 20_000  # operations whose VM is known (about a fan-out's worth of VMs, a few operations each)
VM_MARKER = "/providers/microsoft.compute/virtualmachines/"
ADMITTED = "vm_pacing_admitted"  # the request context's note of the bucket a request took its token from


def charge_of(method: str, url: str) -> tuple[str, str] | None:
    """(the VM's id, lower-cased, and the policy) a request on a VM falls in; None for any other request. A poll
    is ("", "GetOperation"): its VM is the operation's."""
    path = urlsplit(url).path.lower().rstrip("/")
    method = method.upper()
    if "/providers/microsoft.compute/locations/" in path and ("/operations/" in path or "/operationresults/" in path):
        return ("", "GetOperation") if method == "GET" else None
    at = path.find(VM_MARKER)
    if at < 0:
        return None
    name, _, child = path[at + len(VM_MARKER) :].partition("/")
    if not name:
        return None
    vm = path[: at + len(VM_MARKER) + len(name)]
    action = child.split("/", 1)[0]
    if action == "providers":  # another provider's resource on the VM (a role assignment): not Compute's request
        return None
    if method == "GET":
        return vm, "LowCostGet"
    if method == "DELETE":
        return vm, "UpdateVM" if child else "DeleteVM"
    if method == "POST" and action in DELETE_ACTIONS:
        return vm, "DeleteVM"
    if method == "POST" and action in PATCH_ACTIONS:
        return vm, "VMGuestPatch"
    return vm, "UpdateVM"  # a PUT of a new VM is a create, whose bucket is full: nothing is known of it yet


def remaining(headers: Any) -> dict[str, float]:
    """What the answer says each of the VM's buckets has left: {policy: count} (the subscription's are not kept)."""
    found: dict[str, float] = {}
    for entry in str(headers.get(HEADER) or "").split(","):
        name, _, count = entry.strip().rpartition(";")
        policy = name.rpartition("/")[2]
        if policy.endswith("Resource") and count.strip().isdigit():
            found[policy.removesuffix("Resource")] = float(count)
    return found


class VmLimits:
    """What each VM's buckets hold by estimate: what Compute's last answer said, refilled as Compute refills it and
    less what this process has sent since; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, ...], list[float]] = {}  # (tenant, subscription, vm, policy) -> [tokens, when]
        self._operations: OrderedDict[str, str] = OrderedDict()  # an operation's URL path -> its VM

    def vm_of(self, url: str) -> str:
        """The VM an operation acts on, where this process started it; else the operation's own URL."""
        path = urlsplit(url).path.lower()
        with self._lock:
            return self._operations.get(path, path)

    def started(self, url: str, vm: str) -> None:
        path = urlsplit(url).path.lower()
        with self._lock:
            self._operations[path] = vm
            self._operations.move_to_end(path)
            while len(self._operations) > OPERATIONS_KEPT:
                self._operations.popitem(last=False)

    def observe(self, key: tuple[str, ...], left: float) -> None:
        with self._lock:
            self._seen[key] = [left, self._clock()]

    def admit(self, key: tuple[str, ...]) -> float:
        """0 (its token taken) while the VM's bucket has a token by estimate, else the seconds until it has."""
        return self._wait(key, take=True)

    def wait(self, key: tuple[str, ...]) -> float:
        """The seconds until the bucket has a token by estimate (0: it has), nothing taken."""
        return self._wait(key, take=False)

    def refund(self, key: tuple[str, ...]) -> None:
        """A request admitted but never sent (held further on) gives its token back."""
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None:
                seen[0] = min(PER_VM[key[-1]][1], seen[0] + 1)

    def _wait(self, key: tuple[str, ...], *, take: bool) -> float:
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                return 0.0
            per_minute, bucket = PER_VM[key[-1]]
            refill, now = per_minute / 60.0, self._clock()
            seen[0], seen[1] = min(bucket, seen[0] + (now - seen[1]) * refill), now  # refilled as Compute does
            if seen[0] >= 1:
                seen[0] -= 1 if take else 0
                return 0.0
            return (1 - seen[0]) / refill + MARGIN_S


class VmPacingPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """One client's share of VmLimits: a request on a VM (or a poll of its operation) waits for its bucket's token, and
    every answer says what the VM's buckets have left."""

    def __init__(
        self, limits: VmLimits, tenant_id: str, subscription_id: str, held_for: Callable[[Callable[[], float]], float]
    ) -> None:
        self._limits, self._tenant, self._subscription = limits, tenant_id, subscription_id.lower()
        self._held_for = held_for

    def _key(self, request: HttpRequest) -> tuple[str, str, str, str] | None:
        charge = charge_of(request.method, request.url)
        if charge is None:
            return None
        vm, policy = charge
        return self._tenant, self._subscription, vm or self._limits.vm_of(request.url), policy

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        request.context.pop(ADMITTED, None)  # a retry's own note only
        key = self._key(request.http_request)
        if key is None:
            return
        wait = self._held_for(lambda: self._limits.admit(key))
        if wait > 0:
            raise CloudThrottled(f"compute{key[-1]}", wait, THROTTLED)
        request.context[ADMITTED] = key

    def on_exception(self, request: PipelineRequest[HttpRequest]) -> None:
        """A request the write budget held back after it was admitted here was never sent: its token goes back."""
        key = request.context.get(ADMITTED)
        if key is not None and isinstance(sys.exc_info()[1], CloudThrottled):
            self._limits.refund(key)

    def on_response(self, request: PipelineRequest[HttpRequest], response: PipelineResponse[Any, Any]) -> None:
        key = self._key(request.http_request)
        if key is None:
            return
        headers = response.http_response.headers
        for policy, left in remaining(headers).items():
            if policy in PER_VM:
                self._limits.observe((*key[:3], policy), left)
        operation = headers.get("Azure-AsyncOperation") or headers.get("Location")
        if operation and key[3] != "GetOperation":
            self._limits.started(operation, key[2])
