"""Compute's own request limits on virtual machines: a token bucket per VM and one per subscription and region for
each of Compute's throttling policies, after ARM's own (request_limits.py).

Microsoft's figures (learn.microsoft.com/azure/virtual-machines/compute-throttling-limits, "Throttling limits for
Virtual Machines"): each request on a VM falls in one policy, and each policy has a bucket per VM (refilled per
minute, its maximum capacity) and one per subscription in a region:
- Update VM (updates, start, restart, power off, generalize, capture, reapply, redeploy, reimage, Run Command, and
  extensions' and Run Commands' create, update and delete): 4 a minute from 12 per VM, 500 from 1,500;
- Delete VM (delete, deallocate, simulate eviction): 4 from 12, 500 from 1,500;
- Low Cost Get (GET VM, instance view, an extension, a VM's Run Commands, available sizes): 12 from 36, 8,000
  from 24,000;
- High Cost Get (lists of VMs): the subscription's only, 300 from 900;
- Get Operation (the status of a VM's asynchronous operation): 15 from 45, 5,000 from 15,000;
- guest patches (assess, install): 2 from 6, 200 from 600.
A new VM's create (Put VM) is throttled per subscription and region in compute.py; a PUT of a VM that exists is an
update. A resource's bucket is full when it is first used.

Every answer says what each of its buckets has left in `x-ms-ratelimit-remaining-resource`, as
`<provider>/<policy>;<count>` (learn.microsoft.com/troubleshoot/azure/virtual-machines/troubleshooting-throttling-
errors, "Call rate informational response headers"), one entry per bucket, comma-separated as Compute's recorded
answers have them (`Microsoft.Compute/LowCostGet3Min;3998,Microsoft.Compute/LowCostGet30Min;31997`). Those
recordings predate the token buckets, and no answer naming a token-bucket policy was found quoted: the emulator
names each bucket after the page's policy and its level (`Microsoft.Compute/UpdateVMResource;11`,
`Microsoft.Compute/UpdateVMSubscription;1499`). An empty bucket answers 429 `OperationNotAllowed` with Retry-After
and the policy as the inner error's target (the troubleshooting page's example); the request is not made.

A test changes a policy's figures with `PUT /emulator/throttles/computeUpdateVM` (the VM's bucket; the
subscription's is `computeUpdateVMSubscription`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from azure_emulator.arm import common
from azure_emulator.arm.operations import OPERATION
from azure_emulator.server import ApiError, Context, Request

PROVIDER = "Microsoft.Compute"
Figures = tuple[float, float]  # (refilled a minute, the bucket's maximum capacity)


@dataclass(frozen=True)
class Policy:
    name: str
    per_vm: Figures | None  # None: the subscription's bucket only
    per_subscription: Figures


UPDATE_VM = Policy("UpdateVM", (4, 12), (500, 1500))
DELETE_VM = Policy("DeleteVM", (4, 12), (500, 1500))
LOW_COST_GET = Policy("LowCostGet", (12, 36), (8000, 24000))
HIGH_COST_GET = Policy("HighCostGet", None, (300, 900))
GET_OPERATION = Policy("GetOperation", (15, 45), (5000, 15000))
GUEST_PATCH = Policy("VMGuestPatch", (2, 6), (200, 600))
POLICIES = (UPDATE_VM, DELETE_VM, LOW_COST_GET, HIGH_COST_GET, GET_OPERATION, GUEST_PATCH)
DELETE_ACTIONS = {"deallocate", "simulateeviction"}
PATCH_ACTIONS = {"assesspatches", "installpatches"}


@dataclass(frozen=True)
class Charge:
    """What one request is charged to: a policy, the VM it acts on (None for a list) and the VM's region."""

    policy: Policy
    vm_id: str | None
    subscription: str
    region: str


def charge_of(ctx: Context, request: Request) -> Charge | None:
    """The policy a request on Compute's VMs falls in (None: not a VM request, or a new VM's create)."""
    parts = [p for p in request.path.removeprefix("/arm").split("/") if p]
    lowered = [p.lower() for p in parts]
    if len(parts) < 2 or lowered[0] != "subscriptions" or "microsoft.compute" not in lowered:
        return None
    subscription, method = lowered[1], request.method.upper()
    at = lowered.index("microsoft.compute") + 1
    rest = lowered[at:]
    if rest[:1] == ["locations"] and len(rest) == 4 and rest[2] in ("operations", "operationresults"):
        return _poll_charge(ctx, subscription, parts[at + 3])
    if "virtualmachines" not in rest:
        return None
    after = rest[rest.index("virtualmachines") + 1 :]
    if "providers" in after:  # another provider's resource on the VM (a role assignment): not Compute's request
        return None
    region = rest[1] if rest[:1] == ["locations"] else ""
    if not after:  # a list of VMs: in a group, the subscription or a region
        return Charge(HIGH_COST_GET, None, subscription, region) if method == "GET" else None
    end = at + rest.index("virtualmachines") + 2
    vm_id = "/" + "/".join(parts[:end])
    vm = common.get(ctx, vm_id)
    region = str(vm["resource"].get("location") or "").lower() if vm is not None else ""
    child = after[1:]
    if method == "GET":
        policy = LOW_COST_GET
    elif method == "DELETE":
        policy = UPDATE_VM if child else DELETE_VM  # an extension's or a Run Command's delete is an update
    elif method == "POST" and child:
        policy = DELETE_VM if child[0] in DELETE_ACTIONS else GUEST_PATCH if child[0] in PATCH_ACTIONS else UPDATE_VM
    elif method == "PUT" and not child and vm is None:
        return None  # a new VM: its create's own limit (compute.py)
    else:
        policy = UPDATE_VM
    return Charge(policy, vm_id.lower(), subscription, region)


def _poll_charge(ctx: Context, subscription: str, op_id: str) -> Charge | None:
    """A poll of an operation on a VM (or on its extension or Run Command) is charged to that VM's Get Operation."""
    op = ctx.store.get(OPERATION, op_id)
    if op is None:
        return None
    parts = str(op["resourceId"]).split("/")
    lowered = [p.lower() for p in parts]
    if "virtualmachines" not in lowered or lowered.index("virtualmachines") + 1 >= len(parts):
        return None
    vm_id = "/".join(parts[: lowered.index("virtualmachines") + 2]).lower()
    return Charge(GET_OPERATION, vm_id, subscription, str(op.get("location") or "").lower())


def admit(ctx: Context, request: Request) -> dict[str, str]:
    """Take the request's tokens from its policy's buckets and answer the header that says what each has left; 429
    with Retry-After (nothing taken) when one is empty. No header for a request outside these policies."""
    charge = charge_of(ctx, request)
    if charge is None:
        return {}
    policy = charge.policy
    buckets: list[tuple[str, str, tuple[float, float]]] = []
    names: list[str] = []
    if policy.per_vm is not None and charge.vm_id is not None:
        buckets.append((f"compute{policy.name}", charge.vm_id, policy.per_vm))
        names.append(f"{policy.name}Resource")
    buckets.append(
        (f"compute{policy.name}Subscription", f"{charge.subscription}/{charge.region}", policy.per_subscription)
    )
    names.append(f"{policy.name}Subscription")
    wait, remaining = ctx.controls.take_together(buckets)
    said = ",".join(f"{PROVIDER}/{name};{left}" for name, left in zip(names, remaining, strict=True))
    headers = {"x-ms-ratelimit-remaining-resource": said}
    if wait > 0:
        empty = next((name for name, left in zip(names, remaining, strict=True) if left < 1), names[-1])
        ctx.controls.throttled_for(empty)
        figures = json.dumps({"operationGroup": empty, "allowedRequestCount": _allowed(ctx, policy, empty)})
        raise ApiError(
            429,
            "OperationNotAllowed",
            "The server rejected the request because too many requests have been received for this subscription.",
            {**headers, "Retry-After": str(max(1, math.ceil(wait)))},
            details=[{"code": "TooManyRequests", "target": empty, "message": figures}],
        )
    return headers


def _allowed(ctx: Context, policy: Policy, bucket: str) -> int:
    """The bucket's maximum capacity (as a test set it, else the page's)."""
    per_vm = bucket.endswith("Resource") and policy.per_vm is not None
    name = f"compute{policy.name}" + ("" if per_vm else "Subscription")
    default = policy.per_vm if per_vm and policy.per_vm is not None else policy.per_subscription
    return int(ctx.controls.throttles.get(name, default)[1])
