"""Azure Spot VMs: a VM's priority, eviction policy and max price; Spot capacity and price per region and size; and
evictions, with their Scheduled Events notice delivered to the app by the VM's watcher (controls under /emulator/spot).

Azure's rules, each with its source:
- A VM's `priority` is Regular (the default), Spot or Low, the older name of Spot, which Compute's REST spec says is
  to be replaced by Spot (specification/compute/.../virtualMachine.json, VirtualMachinePriorityTypes); Low is taken
  as Spot and shown as sent. `evictionPolicy` (Deallocate or Delete) and `billingProfile.maxPrice` are for Spot VMs
  only, each refused on another with its code of "Error messages for Azure Spot Virtual Machines and scale sets"
  (https://learn.microsoft.com/azure/virtual-machines/error-codes-spot): EvictionPolicyCanBeSetOnlyOnAzureSpot-
  VirtualMachines, MaxPriceIsSupportedOnlyForAzureSpotVirtualMachines. A Spot VM without an eviction policy gets
  Deallocate, and without a max price -1: up to the on-demand price, never evicted for price ("Use Azure Spot
  Virtual Machines", https://learn.microsoft.com/azure/virtual-machines/spot-vms, and the BillingProfile model of
  the Compute SDK). A max price is -1 or above zero with at most five decimals (the same pages; else
  MaxPriceValueInvalid), and one below the size's current Spot price is refused, SpotPriceGreaterThanProvidedMaxPrice
  (error-codes-spot; the prices are compared at create, and at a start, as the SDK's BillingProfile says).
  The statuses (400 for a value, 409 for the price and capacity) are not given by the pages.
- B-series and Promo sizes run no Spot VM ("Use Azure Spot Virtual Machines", Limitations): refused
  AzureSpotIsNotSupportedForThisVMSize (error-codes-spot), 400, the status not given by the pages.
- A Spot VM cannot be made with hibernation enabled: the hibernation overview lists Spot VMs among the features it
  does not support (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume, "Limitations"); the code is
  Compute's OperationNotAllowed, its message the emulator's own.
- No Spot capacity for the size in the region (the `capacity` control): the create is taken and then fails,
  SkuNotAvailable (error-codes-spot: not enough Spot capacity in the location), as an allocation fails in Azure, in
  the operation's status and the VM's instance view; a Regular VM of the same size is made. The control's `code`
  (CAPACITY_CODES: also AllocationFailed, ZonalAllocationFailed, OverconstrainedAllocationRequest, the allocation-
  failure page's) and `priority` (Spot, or Regular for on-demand VMs) choose which allocations fail and how. A
  deallocated VM is started only when there is capacity (and a Spot VM's max price is not below the Spot price),
  else its start fails so.
- An eviction (the `evict` control) posts a Scheduled Events `Preempt` event for the VM, whose NotBefore is 30
  seconds away, the minimum notice of a Preempt ("Azure Metadata Service: Scheduled Events for Windows VMs",
  https://learn.microsoft.com/azure/virtual-machines/windows/scheduled-events, its document's fields and the
  minimum notice of each event type; the timer `spotEvictionNotice` changes the 30 seconds for a test). At NotBefore
  (settled when anyone next calls, as every operation here is: operations.py), or at once with `completeEviction`,
  the VM is evicted: each user session on its session hosts ends and is counted lost, the hosts are Unavailable, and
  with Deallocate the VM is deallocated, its disks kept; with Delete the VM and its disks are deleted (spot-vms:
  the eviction policy) and its NICs go or stay as its delete would leave them (deleteOption), the page saying
  nothing of them.
- The app learns of it as an application in the VM would: an agent polling the Scheduled Events endpoint, here the
  managed Run Command `watchScheduledEvents` (parameters EventsUrl and Audience), whose part the emulator plays: it
  POSTs the VM's Scheduled Events document to EventsUrl with a bearer token of the VM's system-assigned identity for
  Audience, signed as Entra signs tokens for an app's API (verifiable with the tenant's published keys), retrying a
  refused connection or a 5xx a few times, on a thread of its own; each attempt is recorded.
Not modelled: evictions at a rate, price changes evicting a running VM, a max price changed on an existing VM.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from azure_emulator import consent
from azure_emulator.arm import capacity, common, desktop_virtualization, operations, user_sessions
from azure_emulator.development_issuer import issuer_url
from azure_emulator.server import ApiError, Context, Request, Response

VM_TYPE = "microsoft.compute/virtualmachines"
SPOT_PRIORITIES = ("Spot", "Low")
PRIORITIES = ("Regular", *SPOT_PRIORITIES)
EVICTION_POLICIES = ("Deallocate", "Delete")
DEFAULT_SPOT_PRICE = 0.02  # USD an hour, the price of a size no test set: a max price has something to be below
NOTICE_S = 30.0  # a Preempt's minimum notice (scheduled-events)
NOTICE_TIMER = "spotEvictionNotice"
WATCHER = "watchScheduledEvents"
DELIVERY_ATTEMPTS = 3
# How Azure fails an allocation for want of capacity: SkuNotAvailable for Spot (error-codes-spot), and for any VM
# AllocationFailed, ZonalAllocationFailed and OverconstrainedAllocationRequest, each failing the create's or start's
# long-running operation ("Troubleshoot allocation failures", https://learn.microsoft.com/troubleshoot/azure/
# virtual-machines/windows/allocation-failure); the page gives no HTTP status for the failed operation's error.
CAPACITY_CODES = ("SkuNotAvailable", "AllocationFailed", "ZonalAllocationFailed", "OverconstrainedAllocationRequest")
CAPACITY, PRICES, EVENTS, DELIVERIES, EVICTIONS = (
    "arm.spot.capacity",
    "arm.spot.price",
    "arm.spot.events",
    "arm.spot.deliveries",
    "arm.spot.evictions",
)
CONTROL = r"/emulator/spot"
SCOPED = CONTROL + r"/(?P<what>capacity|prices)/(?P<region>[^/]+)/(?P<size>[^/]+)"

Doc = dict[str, Any]


def is_spot(vm: Doc) -> bool:
    return vm["resource"]["properties"].get("priority") in SPOT_PRIORITIES


# --- the VM's create ----------------------------------------------------------------------------------------------


def _max_price(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, "MaxPriceValueInvalid", "billingProfile.maxPrice must be -1 or a number above zero.")
    try:
        decimals = -Decimal(str(value)).normalize().as_tuple().exponent  # type: ignore[operator]
    except InvalidOperation:
        decimals = 99
    if value != -1 and (value <= 0 or decimals > 5):
        raise ApiError(
            400,
            "MaxPriceValueInvalid",
            f"billingProfile.maxPrice {value} is not valid: it must be -1 "
            "(up to the on-demand price) or above zero with at most five decimals.",
        )
    return float(value)


def check_create(ctx: Context, props: Doc, size: capacity.VmSku, location: str, tid: str) -> Doc:
    """The priority, eviction policy and billing profile a new VM shows; ApiError for what Azure refuses."""
    priority = props.get("priority") or "Regular"
    if priority not in PRIORITIES:
        raise ApiError(
            400, "InvalidParameter", f"priority '{priority}' is not one of {', '.join(PRIORITIES)}.", target="priority"
        )
    policy = props.get("evictionPolicy")
    max_price = (props.get("billingProfile") or {}).get("maxPrice")
    if priority not in SPOT_PRIORITIES:
        if policy is not None:
            raise ApiError(
                400,
                "EvictionPolicyCanBeSetOnlyOnAzureSpotVirtualMachines",
                f"An eviction policy is only for Azure Spot VMs, and this VM's priority is {priority}.",
            )
        if max_price is not None:
            raise ApiError(
                400,
                "MaxPriceIsSupportedOnlyForAzureSpotVirtualMachines",
                f"A max price is only for Azure Spot VMs, and this VM's priority is {priority}.",
            )
        return {"priority": priority} if "priority" in props else {}
    if policy is not None and policy not in EVICTION_POLICIES:
        raise ApiError(
            400, "InvalidParameter", f"evictionPolicy '{policy}' is not Deallocate or Delete.", target="evictionPolicy"
        )
    if not size.spot:
        # B-series and Promo sizes run no Spot VM (spot-vms, Limitations); the code is error-codes-spot's, its
        # status not given there
        raise ApiError(
            400, "AzureSpotIsNotSupportedForThisVMSize", f"Azure Spot is not supported for the VM size {size.name}."
        )
    price = _max_price(max_price if max_price is not None else -1)
    if (props.get("additionalCapabilities") or {}).get("hibernationEnabled"):
        raise ApiError(409, "OperationNotAllowed", "Hibernation is not supported on an Azure Spot VM.")
    check_price(ctx, size.name, location, tid, price, "create")
    return {"priority": priority, "evictionPolicy": policy or "Deallocate", "billingProfile": {"maxPrice": price}}


def _scoped(ctx: Context, kind: str, region: str, size: str, tid: str) -> Doc | None:
    """What a control set for the tenant's VMs of the size in the region, else for everyone's, else for any size."""
    for scope in (tid, "*"):
        for name in (size, "*"):
            found = ctx.store.get(kind, f"{scope}/{region}/{name}".lower())
            if found is not None:
                return found
    return None


def spot_price(ctx: Context, size: str, region: str, tid: str) -> float:
    found = _scoped(ctx, PRICES, region, size, tid)
    return float(found["price"]) if found else DEFAULT_SPOT_PRICE


def check_price(ctx: Context, size: str, region: str, tid: str, max_price: float, what: str) -> None:
    current = spot_price(ctx, size, region, tid)
    if max_price != -1 and max_price < current:
        raise ApiError(
            409,
            "SpotPriceGreaterThanProvidedMaxPrice",
            f"Unable to {what} the VM: its max price "
            f"{max_price} USD is below the current Spot price {current} USD of size {size}.",
        )


def check_allocation(ctx: Context, vm: Doc) -> None:
    """A VM being allocated (made or started): capacity for its size and priority, and a Spot VM's max price not
    below the price; ApiError fails the operation, as Azure fails an allocation."""
    resource = vm["resource"]
    size, region, tid = resource["properties"]["hardwareProfile"]["vmSize"], resource["location"], vm["meta"]["tid"]
    found = _scoped(ctx, CAPACITY, region, size, tid)
    priority = "Spot" if is_spot(vm) else "Regular"
    if found is not None and not found["available"] and found.get("priority", "Spot") == priority:
        sub, code = resource["id"].split("/")[2], found.get("code", "SkuNotAvailable")
        raise ApiError(
            409,
            code,
            f"Allocation failed ({code}): no {priority} capacity for size {size} of resource "
            f"'{resource['name']}' in location '{region}' for subscription '{sub}' now; try later, or "
            "another size or location.",
        )
    if not is_spot(vm):
        return
    max_price = float((resource["properties"].get("billingProfile") or {}).get("maxPrice", -1))
    check_price(ctx, size, region, tid, max_price, "allocate")


# --- evictions --------------------------------------------------------------------------------------------------


def _http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)  # IMDS gives NotBefore as an RFC 1123 date


def evict(ctx: Context, vm: Doc) -> Doc:
    """The Preempt notice: the VM's Scheduled Events document, its eviction settled at NotBefore."""
    resource = vm["resource"]
    if not is_spot(vm):
        raise ApiError(409, "Conflict", f"{resource['name']} is not an Azure Spot VM: Azure evicts only those.")
    if vm["meta"].get("power") != "running" or resource["properties"]["provisioningState"] != "Succeeded":
        raise ApiError(409, "Conflict", f"{resource['name']} is not running: only a running VM is evicted.")
    key = common.key(resource["id"])
    document = ctx.store.get(EVENTS, key) or {"DocumentIncarnation": 0, "Events": []}
    if any(e["EventType"] == "Preempt" and e["EventStatus"] == "Scheduled" for e in document["Events"]):
        raise ApiError(409, "Conflict", f"{resource['name']} already has an eviction scheduled.")
    ctx.controls.set_request_tenant(vm["meta"]["tid"])  # the notice a test set for the VM's tenant, if any
    not_before = ctx.clock() + ctx.controls.timer(NOTICE_TIMER, NOTICE_S)
    event = {
        "EventId": str(uuid.uuid4()).upper(),
        "EventType": "Preempt",
        "ResourceType": "VirtualMachine",
        "Resources": [resource["name"]],
        "EventStatus": "Scheduled",
        "NotBefore": _http_date(not_before),
        "Description": "The Azure Spot virtual machine is being evicted to give its capacity back.",
        "EventSource": "Platform",
        "DurationInSeconds": -1,
    }
    document = {"DocumentIncarnation": document["DocumentIncarnation"] + 1, "Events": [event]}
    op_id = operations.schedule(ctx, resource["id"], "evict", resource["location"], not_before)
    ctx.store.put(EVENTS, key, {**document, "operationId": op_id})
    watcher = common.get(ctx, f"{resource['id']}/runCommands/{WATCHER}")
    if watcher is not None:
        _deliver_later(ctx, vm, watcher, document)
    return document


def complete_eviction(ctx: Context, vm_id: str) -> None:
    found = ctx.store.get(EVENTS, common.key(vm_id))
    if found is None or not found.get("operationId"):
        raise ApiError(409, "Conflict", f"No eviction of {vm_id} is scheduled.")
    operations.finish_now(ctx, found["operationId"])


def _evicted(ctx: Context, vm_id: str, op: Doc) -> None:
    """NotBefore has come: the VM is evicted under its policy, and its users' sessions are lost."""
    key = common.key(vm_id)
    document = ctx.store.get(EVENTS, key)
    if document is not None:
        for event in document["Events"]:
            event["EventStatus"] = "Started"
        document["DocumentIncarnation"] += 1
        document.pop("operationId", None)
        ctx.store.put(EVENTS, key, document)
    vm = common.get(ctx, vm_id)
    if vm is None or vm["meta"].get("power") != "running":  # deleted or stopped by its owner meanwhile
        return
    users = []
    for host in desktop_virtualization.hosts_of_vm(ctx, vm_id):
        for session in user_sessions.sessions_on(ctx, host["resource"]["id"]):
            users.append(str(session["resource"]["properties"]["userPrincipalName"]))
            user_sessions.end_session(ctx, session, "lostSessions")
    policy = vm["resource"]["properties"].get("evictionPolicy", "Deallocate")
    if policy == "Delete":
        vm["resource"]["properties"]["storageProfile"]["osDisk"]["deleteOption"] = "Delete"  # its disks go with it
        common.put(ctx, vm)
        operations.HOOKS[(VM_TYPE, "delete")](ctx, vm_id, op)  # the VM's own delete (compute.py imports this module)
    else:
        vm["meta"].update(power="deallocated", hibernated=False, evicted=True)
        common.put(ctx, vm)
    record = {
        "vmId": vm["resource"]["id"],
        "vmName": vm["resource"]["name"],
        "time": common.now_iso(ctx.clock),
        "policy": policy,
        "sessionsLost": len(users),
        "users": users,
        "tenantId": vm["meta"]["tid"],
    }
    ctx.store.put(EVICTIONS, f"{ctx.clock():017.6f}/{uuid.uuid4()}", record)


def _identity_token(ctx: Context, vm: Doc, audience: str) -> str:
    """What the VM's system-assigned identity gets for `audience` (an app's API): a token of the VM's tenant, whose
    object is the identity, signed with the keys the tenant publishes. Only a Microsoft resource's token names the VM
    (`xms_mirid`): no Microsoft Learn page found lists which resources Entra adds it for; it is seen in tokens for
    Azure's own services (ARM, Key Vault, Storage, Graph), so a customer's own API never gets it here."""
    resource, tid = vm["resource"], vm["meta"]["tid"]
    principal = (resource.get("identity") or {}).get("principalId")
    if not principal:
        raise ApiError(409, "Conflict", "The VM has no system-assigned identity to sign in with.")
    now = int(ctx.clock())
    client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tid}/{principal}"))
    claims = {
        "aud": audience,
        "iss": issuer_url(ctx.base_url, tid),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tid,
        "oid": principal,
        "sub": principal,
        "azp": client_id,
        "appid": client_id,
        "idtyp": "app",
        "ver": "2.0",
    }
    if _microsoft_resource(audience):
        claims["xms_mirid"] = resource["id"]
    return ctx.users.sign(claims)


def _audience_refused(ctx: Context, vm: Doc, audience: str) -> str | None:
    """Entra's refusal of a managed identity's token for `audience` whose application has no service principal in
    the VM's tenant (AADSTS500011, InvalidResourceServicePrincipalNotFound, error `invalid_resource`:
    https://learn.microsoft.com/entra/identity-platform/reference-error-codes); a customer's API has one once its
    admin consented to the app. None: the token is issued."""
    if _microsoft_resource(audience):
        return None
    tid = vm["meta"]["tid"]
    app_id = audience.lower().removeprefix("api://").rstrip("/")
    if consent.has_service_principal(ctx.store, tid, app_id):
        return None
    return (
        f"invalid_resource: AADSTS500011: The resource principal named {audience} was not found in the tenant "
        f"named {tid}. The application has no service principal there: no administrator has consented to it."
    )


MICROSOFT_HOSTS = (".azure.com", ".azure.net", ".windows.net", ".microsoft.com")


def _microsoft_resource(audience: str) -> bool:
    """An audience of Azure's or Microsoft's own services (by their https host); an app's id or api:// URI is not."""
    scheme, _, rest = audience.lower().partition("://")
    host = rest.split("/", 1)[0]
    return scheme == "https" and any(host.endswith(domain) or host == domain[1:] for domain in MICROSOFT_HOSTS)


def _parameter(command: Doc, name: str) -> str:
    for parameter in command["resource"]["properties"].get("parameters") or []:
        if str(parameter.get("name", "")).lower() == name.lower():
            return str(parameter.get("value") or "")
    return ""


def _deliver_later(ctx: Context, vm: Doc, watcher: Doc, document: Doc) -> None:
    """The watcher's POST of `document`, on a thread of its own (never under the store's lock: the app it calls may
    call the emulator back)."""
    vm_key = common.key(vm["resource"]["id"])
    url, audience = _parameter(watcher, "EventsUrl"), _parameter(watcher, "Audience")
    refused = _audience_refused(ctx, vm, audience) if url and audience else None
    if refused is not None:  # IMDS answers the watcher 400 with Entra's error, and it posts nothing
        _record(ctx, vm_key, {"attempt": 0, "status": None, "error": refused})
        return
    try:
        token = _identity_token(ctx, vm, audience) if url and audience else None
    except ApiError as exc:
        _record(ctx, vm_key, {"attempt": 0, "status": None, "error": exc.message})
        return
    if token is None:
        _record(ctx, vm_key, {"attempt": 0, "status": None, "error": f"{WATCHER} lacks EventsUrl or Audience."})
        return
    body = json.dumps(document).encode()

    def deliver() -> None:
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            status: int | None = None
            error = None
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status = int(answer.status)
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, OSError) as exc:
                error = str(getattr(exc, "reason", exc))
            _record(ctx, vm_key, {"attempt": attempt, "status": status, "error": error})
            if status is not None and status < 500:
                return
            time.sleep(attempt * 0.5)

    threading.Thread(target=deliver, name=f"scheduled-events {vm['resource']['name']}", daemon=True).start()


def _record(ctx: Context, vm_key: str, attempt: Doc) -> None:
    with ctx.store.transaction():
        found = ctx.store.get(DELIVERIES, vm_key) or {"value": []}
        found["value"].append({"time": common.now_iso(ctx.clock), **attempt})
        ctx.store.put(DELIVERIES, vm_key, found)


# --- controls -----------------------------------------------------------------------------------------------------


def _vm_id(request: Request) -> str:
    vm_id = request.json().get("vmId")
    if not isinstance(vm_id, str) or not vm_id:
        raise ApiError(400, "InvalidRequestContent", "'vmId' (a VM's ARM id) is required.")
    return vm_id


def register(ctx: Context) -> None:
    r = ctx.router
    operations.on(VM_TYPE, "evict")(_evicted)

    @r.route("PUT", SCOPED, operation="emulatorControl", api="emulator", auth=False)
    def put_scoped(request: Request) -> Response:
        """`capacity` {available} or `prices` {price} of a size (`*`: any) in a region, for one tenant or all."""
        body, what = request.json(), request.params["what"]
        field = "available" if what == "capacity" else "price"
        value = body.get(field)
        valid = (
            isinstance(value, bool)
            if what == "capacity"
            else (isinstance(value, int | float) and not isinstance(value, bool) and value > 0)
        )
        if not valid:
            raise ApiError(
                400,
                "InvalidRequestContent",
                f"'{field}' must be " + ("true or false." if what == "capacity" else "a price above zero."),
            )
        record: Doc = {field: value}
        if what == "capacity":
            record["code"], record["priority"] = body.get("code", "SkuNotAvailable"), body.get("priority", "Spot")
            if record["code"] not in CAPACITY_CODES or record["priority"] not in ("Spot", "Regular"):
                raise ApiError(
                    400,
                    "InvalidRequestContent",
                    f"'code' must be one of {', '.join(CAPACITY_CODES)}; 'priority' Spot or Regular.",
                )
        tenant = body.get("tenantId") or "*"
        key = f"{tenant}/{request.params['region']}/{request.params['size']}".lower()
        ctx.store.put(CAPACITY if what == "capacity" else PRICES, key, record)
        return Response(
            200,
            {
                "region": request.params["region"],
                "size": request.params["size"],
                **record,
                "tenantId": body.get("tenantId"),
            },
        )

    @r.route("DELETE", SCOPED, operation="emulatorControl", api="emulator", auth=False)
    def delete_scoped(request: Request) -> Response:
        tenant = request.q("tenantId") or "*"
        key = f"{tenant}/{request.params['region']}/{request.params['size']}".lower()
        ctx.store.delete(CAPACITY if request.params["what"] == "capacity" else PRICES, key)
        return Response(204)

    @r.route("POST", CONTROL + r"/evict", operation="emulatorControl", api="emulator", auth=False)
    def post_evict(request: Request) -> Response:
        with ctx.store.transaction():
            operations.settle_due(ctx)
            return Response(202, evict(ctx, common.require(ctx, _vm_id(request), "virtual machine")))

    @r.route("POST", CONTROL + r"/completeEviction", operation="emulatorControl", api="emulator", auth=False)
    def post_complete(request: Request) -> Response:
        with ctx.store.transaction():
            operations.settle_due(ctx)
            vm_id = _vm_id(request)
            complete_eviction(ctx, vm_id)
            return Response(200, {"evicted": vm_id})

    @r.route("GET", CONTROL + r"/scheduledEvents", operation="emulatorControl", api="emulator", auth=False)
    def get_events(request: Request) -> Response:
        with ctx.store.transaction():
            operations.settle_due(ctx)
            vm_id = request.q("vmId") or ""
            found = ctx.store.get(EVENTS, common.key(vm_id)) or {"DocumentIncarnation": 0, "Events": []}
            found.pop("operationId", None)
            return Response(200, found)

    @r.route("GET", CONTROL + r"/deliveries", operation="emulatorControl", api="emulator", auth=False)
    def get_deliveries(request: Request) -> Response:
        found = ctx.store.get(DELIVERIES, common.key(request.q("vmId") or "")) or {"value": []}
        return Response(200, found)

    @r.route("GET", CONTROL + r"/evictions", operation="emulatorControl", api="emulator", auth=False)
    def get_evictions(request: Request) -> Response:
        """Every eviction (of one tenant's VMs: `tenantId`), oldest first, with the sessions it lost."""
        with ctx.store.transaction():
            operations.settle_due(ctx)
            tenant = request.q("tenantId")
            rows = [e for e in ctx.store.scan(EVICTIONS, "") if tenant is None or e["tenantId"] == tenant]
            return Response(200, {"value": rows, "sessionsLost": sum(e["sessionsLost"] for e in rows)})
