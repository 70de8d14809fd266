"""ProvisioningCompute over ARM, the one port the provisioning steps call: capacity checks, the NIC and VM, Run
Commands, deletes - each call a Progress.

Every write is create-only by its deterministic name: a repeated activity finds its own work done (a VM's second
create is refused by Azure, its new password not taken, and the VM read then; other writes read first), and a
long-running operation is started, never waited for - its status URL goes
back in `Progress.operation` and the next call polls it once. `create_vm` walks the hosted network (where the
Cloud PC uses it) -> the VM, which makes its own NIC; its operation names the phase being waited for, so a poll that
finds the network made goes on to the VM.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import types as compute_json
from azure.mgmt.network import models as network_models

from shared.cloud.azure import arm_lro, arm_vm
from shared.cloud.azure.arm_clients import (
    BUCKET,
    INLINE_WAIT_S,
    NEW_WORK,
    NEW_WORK_RESERVE,
    REFILL_PER_S,
    ArmClients,
    held_for,
    vm_id,
    vnet_id,
)
from shared.cloud.azure.arm_commands import RunCommands
from shared.ports.cloud_errors import CloudError, CloudThrottled
from shared.ports.compute import Placement, VmPriority, VmSpec
from shared.ports.progress import Progress

THROTTLED = "throttled"  # the operation phase of a create that was refused for now (its network is made)
STALE_TURN_S = 600.0  # a line no caller has come to for this long is gone: Azure's bucket has refilled meanwhile
PUNCTUAL_S = 0.01  # a caller this close to its turn has it
FIRST_SPACING = 0.25  # of the first Retry-After: where learning the spacing starts
WIDEN, NARROW = 1.25, 0.99  # the spacing after a refusal at a turn, after a create let through at its turn
MIN_SPACING_S = 0.02
# the widest spacing is this much more than a Retry-After: a bucket refills one token a refill interval after
# the last was taken, so a caller a few milliseconds less late than the one before it would find none yet
TURN_MARGIN_S = 0.05
# A new Cloud PC's VM brings six ARM writes (itself, its join extension, its post-provisioning Run Command, its
# sign-in role, the AVD agent's Run Command and its session host's assignment): once the write bucket's room is
# spent, turns are given about as close as ARM refills those writes, so the line's callers come back when the budget
# can take them, not to be held by it (each hold a durable timer, two episodes and a call more). A little closer than
# six: the writes of a VM trail its create by the minutes of its steps, and a line paced at the very refill lags the
# budget (1.23 times ARM's bound at 200 Cloud PCs, 6.2 calls a Cloud PC); at five the budget holds about one create
# in three and the run keeps its pace (1.14, 6.6 calls; at four, 1.14 and 8.2 calls, docs/benchmarks.md). The room
# leaves the budget as much again as the new-work reserve, for the writes of VMs under way to come in bunches.
WRITES_PER_VM = 5
WRITE_PACE_S = WRITES_PER_VM / REFILL_PER_S
WRITE_ROOM_S = (BUCKET["writes"] - 2 * NEW_WORK_RESERVE) / REFILL_PER_S
SKU_CACHE_S = 600.0  # resource SKUs change rarely
USAGES_CACHE_S = 10.0  # a region's usages, read again after this
PENDING_STATES = {"creating", "updating", "deleting", "accepted", "running", ""}
NIC_RESERVED = "NicReservedForAnotherVm"
PROPERTY_CHANGE_NOT_ALLOWED = "PropertyChangeNotAllowed"
NIC_RESERVED_RETRY_S = 30.0  # a part of Azure's 180 s reservation: the NIC is deleted soon after it ends


class AzureProvisioningCompute:
    """The ProvisioningCompute port (shared.ports.compute) on the Compute and Network resource providers."""

    def __init__(self, clients: ArmClients, clock: Any = time.monotonic) -> None:
        self.clients = clients
        self._commands = RunCommands(clients)
        self._clock = clock
        self._region_reads: dict[tuple[str, ...], tuple[float, dict[str, dict[str, Any]]]] = {}  # SKUs, usages
        self._networks: set[str] = set()  # hosted networks known to exist
        self._turns = Turns(clock)

    # --- capacity ---------------------------------------------------------------------------------------
    @arm_lro.hand_back("allocateCapacity")
    def allocate_capacity(
        self, tenant_id: str, placement: Placement, vm_size: str, priority: VmPriority = "Regular"
    ) -> Progress:
        step = "allocateCapacity"
        region = placement.region_name.lower()
        try:
            offered = self._region_skus(tenant_id, placement.subscription_id, region)
            usages = self._usages(tenant_id, placement.subscription_id, region)
        except HttpResponseError as exc:
            arm_lro.raise_for(exc, step)
        sku = offered.get(vm_size.lower())
        if sku is None or sku_restricted(sku, region):
            raise CloudError(step, "SkuNotAvailable", f"The VM size {vm_size} is not available in {region}.")
        vcpus = int(next((c["value"] for c in sku.get("capabilities", []) if c["name"] == "vCPUs"), "0"))
        for quota in vcpu_quotas(str(sku.get("family") or ""), priority):
            usage = usages.get(quota.lower())
            if usage is not None and int(usage["currentValue"]) + vcpus > int(usage["limit"]):
                raise CloudError(step, "QuotaExceeded", quota_refusal(usage, region, vm_size, vcpus))
        return Progress(done=True)

    def _usages(self, tenant_id: str, subscription_id: str, region: str) -> dict[str, dict[str, Any]]:
        """The region's vCPU usages, read at most once every USAGES_CACHE_S: this check only spares a create Azure
        would refuse anyway (QuotaExceeded, refused for good), and a read per Cloud PC would spend ARM's read budget."""
        compute = self.clients.compute(tenant_id, subscription_id)
        return self._region_read(("usages", tenant_id, subscription_id.lower(), region), USAGES_CACHE_S, lambda: {
            str(u["name"]["value"]).lower(): dict(u) for u in compute.usage.list(region)
        })  # fmt: skip

    def _region_skus(self, tenant_id: str, subscription_id: str, region: str) -> dict[str, dict[str, Any]]:
        compute = self.clients.compute(tenant_id, subscription_id)
        return self._region_read(("skus", tenant_id, subscription_id.lower(), region), SKU_CACHE_S, lambda: {
            str(s["name"]).lower(): dict(s)
            for s in compute.resource_skus.list(filter=f"location eq '{region}'")
            if s.get("resourceType") == "virtualMachines"
        })  # fmt: skip

    def _region_read(
        self, key: tuple[str, ...], max_age_s: float, read: Callable[[], dict[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """What `read` answered for `key` at most `max_age_s` ago, else read now and kept."""
        kept = self._region_reads.get(key)
        if kept is not None and self._clock() - kept[0] < max_age_s:
            return kept[1]
        value = read()
        self._region_reads[key] = (self._clock(), value)
        return value

    # --- VM ---------------------------------------------------------------------------------------------
    @arm_lro.hand_back("createVm")
    def create_vm(self, tenant_id: str, spec: VmSpec, operation: str | None = None) -> Progress:
        step, placement = "createVm", spec.placement
        phase, url = arm_lro.decode(operation)
        if url:
            polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
            if isinstance(polled, arm_lro.Later):
                return arm_lro.progress(polled, phase or "vm")
            made, _, principal = (phase or "").partition(":")
            if made == "vm":
                return Progress(done=True, resource_id=vm_id(placement, spec.name), principal_id=principal or None)
        subnet_id = spec.subnet_id
        if subnet_id is None and phase != THROTTLED:  # a create refused for now had its network made before
            waiting = self.ensure_hosted_network(tenant_id, placement, step)
            if waiting is not None:
                return waiting
        subnet_id = subnet_id or self.hosted_subnet(placement)
        try:
            body = self._vm_body(spec, subnet_id)
            if spec.hibernation and self._hibernation_supported(tenant_id, spec):
                body["properties"]["additionalCapabilities"] = {"hibernationEnabled": True}
            body["properties"].update(arm_vm.priority(spec))
            return self.put_vm(tenant_id, placement, spec.name, body, step)
        except CloudError as exc:
            # the VM exists already (a repeated call whose first PUT went through, or another instance's): its PUT
            # carried a new random password, which Azure refuses for an existing VM, and changed nothing; the VM is
            # read and adopted as it is. Refused this way, a repeat costs a write; read first, every create would
            # cost a read, and ARM's read budget bounds provisioning as much as its write budget does.
            if exc.code != PROPERTY_CHANGE_NOT_ALLOWED:
                raise
            existing = self.vm_state(tenant_id, placement, spec.name, step)
            if existing is None:
                raise
            self._turns.done(_line(placement), spec.name)
            return existing

    @staticmethod
    def hosted_subnet(placement: Placement) -> str:
        """The subnet of the app's own network in the placement's region (the Microsoft-hosted network)."""
        return f"{vnet_id(placement, arm_vm.hosted_vnet_name(placement.region_name))}/subnets/{arm_vm.HOSTED_SUBNET}"

    def _vm_body(self, spec: VmSpec, subnet_id: str) -> dict[str, Any]:
        return arm_vm.vm_body(
            region=spec.placement.region_name, vm_size=spec.vm_size,
            image=arm_vm.image_reference(spec.image_id, "createVm"), os_disk_gb=spec.os_disk_size_gb,
            computer_name=spec.computer_name, network=arm_vm.own_nic(spec.nic_name, subnet_id),
        )  # fmt: skip

    def _hibernation_supported(self, tenant_id: str, spec: VmSpec) -> bool:
        """Azure makes a VM with hibernation enabled only of a size whose SKU says HibernationSupported and, from a
        gallery image, of a definition that says IsHibernateSupported
        (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume, its prerequisites): read from the
        region's SKUs (kept a while) and the image's definition (one read, for these VMs only)."""
        placement = spec.placement
        skus = self._region_skus(tenant_id, placement.subscription_id, placement.region_name.lower())
        sku = skus.get(spec.vm_size.lower()) or {}
        if not _capability(sku, "HibernationSupported"):
            return False
        if "/galleries/" not in spec.image_id.lower():  # hosts come from gallery images; no other image is read
            return False
        _, _, _, _, rg, _, _, _, gallery, _, definition, *_ = spec.image_id.split("/")
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        found = arm_lro.found(lambda: compute.gallery_images.get(rg, gallery, definition), "createVm")
        features = (dict(found).get("properties") or {}).get("features") or [] if found is not None else []
        return any(str(f.get("name")) == "IsHibernateSupported" and str(f.get("value")).lower() == "true"
                   for f in features)  # fmt: skip

    def put_vm(self, tenant_id: str, placement: Placement, vm_name: str, body: dict[str, Any], step: str) -> Progress:
        """PUT the VM (the body's password goes to Azure only); done, or the operation to poll."""
        line = _line(placement)
        wait = held_for(lambda: self._turns.admit(line, vm_name), self.clients.sleep)
        if wait > 0:
            return Progress(done=False, retry_after_s=wait, operation=THROTTLED,
                            reason="its turn among the region's VM creates, which the app paces, is ahead")  # fmt: skip
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        # the body goes as the SDK's JSON: made a model first, it cost 0.16 ms of CPU, only to be serialised back
        machine = cast(compute_json.VirtualMachine, body)
        try:
            new_work: dict[str, Any] = {NEW_WORK: True}  # the request budget's option (arm_clients.BudgetPolicy)
            started = arm_lro.start(
                lambda **kw: compute.virtual_machines.begin_create_or_update(
                    placement.resource_group, vm_name, machine, **new_work, **kw
                ),
                step,
            )
        except (arm_lro.Throttled, CloudThrottled) as refused:  # Azure's 429 teaches the line; the write budget,
            by_azure = isinstance(refused, arm_lro.Throttled)  # keeping its room for work under way, does not
            turn = self._turns.throttled(line, vm_name, refused.retry_after_s or 0.0, by_azure=by_azure)
            return Progress(done=False, retry_after_s=turn, operation=THROTTLED, held=refused.code,
                            reason=refused.reason)  # fmt: skip
        self._turns.done(line, vm_name)
        principal = _principal_of(started.body)
        if isinstance(started, arm_lro.Later):  # the identity, in the PUT's first answer only, rides in the operation
            return arm_lro.progress(started, f"vm:{principal}" if principal else "vm")
        return Progress(done=True, resource_id=vm_id(placement, vm_name), principal_id=principal)

    def vm_state(self, tenant_id: str, placement: Placement, vm_name: str, step: str) -> Progress | None:
        """What a VM that already exists says: done, still being made, or failed (None: there is none)."""
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        vm = arm_lro.found(lambda: compute.virtual_machines.get(placement.resource_group, vm_name), step)
        if vm is None:
            return None
        state = str(vm["properties"].get("provisioningState") or "").lower()
        if state == "succeeded":
            return Progress(done=True, resource_id=str(vm["id"]), principal_id=_principal_of(dict(vm)))
        if state == "failed":
            view = compute.virtual_machines.instance_view(placement.resource_group, vm_name)
            code = arm_lro.failure_code(view.get("statuses"))
            raise CloudError(step, code, f"The VM {vm_name} failed to provision ({code}).")
        return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)

    # --- network ----------------------------------------------------------------------------------------
    def ensure_hosted_network(self, tenant_id: str, placement: Placement, step: str) -> Progress | None:
        """The app's own network in the placement's region, made on first use; None once it is there.

        Once seen, it is remembered for the process: a network outlives its VMs, and its GET grows with them."""
        network = self.clients.network(tenant_id, placement.subscription_id)
        name = arm_vm.hosted_vnet_name(placement.region_name)
        known = vnet_id(placement, name).lower()
        if known in self._networks:
            return None
        try:
            found = network.virtual_networks.get(placement.resource_group, name)
            state = str(found["properties"].get("provisioningState") or "").lower()
            if state != "succeeded":
                return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)
            self._networks.add(known)
            return None
        except HttpResponseError as exc:
            if not arm_lro.is_not_found(exc):
                arm_lro.raise_for(exc, step)
        vnet = network_models.VirtualNetwork(arm_vm.hosted_vnet_body(placement.region_name))
        started = arm_lro.start(
            lambda **kw: network.virtual_networks.begin_create_or_update(placement.resource_group, name, vnet, **kw),
            step,
        )
        return arm_lro.progress(started, "vnet") if isinstance(started, arm_lro.Later) else None

    @arm_lro.hand_back("attachNetwork")
    def attached_nic(self, tenant_id: str, placement: Placement, nic_name: str) -> Progress:
        step = "attachNetwork"
        network = self.clients.network(tenant_id, placement.subscription_id)
        nic = arm_lro.found_json(lambda **kw: network.network_interfaces.get(placement.resource_group, nic_name, **kw),
                                 step)  # fmt: skip
        if nic is None:
            raise CloudError(step, "NetworkInterfaceNotFound", f"The network interface {nic_name} does not exist.")
        props = nic.get("properties") or {}
        addresses = [c.get("properties", {}).get("privateIPAddress") for c in props.get("ipConfigurations") or []]
        if props.get("virtualMachine") and any(addresses):
            return Progress(done=True, resource_id=str(nic["id"]))
        return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)

    # --- run command and deletes ------------------------------------------------------------------------
    @arm_lro.hand_back("runCommand")
    def run_command(
        self, tenant_id: str, placement: Placement, vm_name: str, command: str, script: list[str],
        operation: str | None = None, parameters: Mapping[str, str] | None = None,
    ) -> Progress:  # fmt: skip
        # the post-provisioning scripts are idempotent: a repeated call may run one again rather than every
        # call paying a read first
        return self._commands.run(
            tenant_id, placement, vm_name, command, "\n".join(script), step=command, operation=operation,
            create_only=False, parameters=dict(parameters or {}),
        )  # fmt: skip

    @arm_lro.hand_back("runCommand")
    def run_steps(
        self, tenant_id: str, placement: Placement, vm_name: str, command: str, script: list[str], step: str,
        operation: str | None = None,
    ) -> Progress:  # fmt: skip
        # the command's own state is read at each call (RunCommands.run_step): its operation is not needed
        return self._commands.run_step(tenant_id, placement, vm_name, command, "\n".join(script), step=step)

    @arm_lro.hand_back("deleteVm")
    def delete_vm(self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None = None) -> Progress:
        """The VM goes with its OS disk and NIC (deleteOption Delete) and, in ARM, the role assignments on it."""
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        return self._delete(
            tenant_id, placement, "deleteVm", operation,
            lambda **kw: compute.virtual_machines.begin_delete(placement.resource_group, vm_name, **kw),
        )  # fmt: skip

    @arm_lro.hand_back("deleteNic")
    def delete_nic(self, tenant_id: str, placement: Placement, nic_name: str, operation: str | None = None) -> Progress:
        """Azure keeps a NIC for its VM a while after that VM was deleted or its create refused (400
        NicReservedForAnotherVm, up to 180 s): a delete that comes early is not done yet, not a failure."""
        network = self.clients.network(tenant_id, placement.subscription_id)
        try:
            return self._delete(
                tenant_id, placement, "deleteNic", operation,
                lambda **kw: network.network_interfaces.begin_delete(placement.resource_group, nic_name, **kw),
            )  # fmt: skip
        except CloudError as exc:
            if exc.code != NIC_RESERVED:
                raise
            return Progress(done=False, retry_after_s=NIC_RESERVED_RETRY_S, held=NIC_RESERVED,
                            reason="Azure keeps the NIC reserved for its former VM a while")  # fmt: skip

    def _delete(self, tenant_id: str, placement: Placement, step: str, operation: str | None, call: Any) -> Progress:
        _, url = arm_lro.decode(operation)
        if url:
            polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
            return arm_lro.progress(polled, step) if isinstance(polled, arm_lro.Later) else Progress(done=True)
        try:
            started = arm_lro.start(call, step)
        except CloudError as exc:
            if exc.code in ("ResourceNotFound", "NotFound", "ResourceGroupNotFound"):
                return Progress(done=True)  # gone already, with its resource group
            raise
        return arm_lro.progress(started, step) if isinstance(started, arm_lro.Later) else Progress(done=True)


class Turns:
    """Client-side pacing of VM creates per subscription and region, once Azure (or the write budget) has held one.

    Azure's 429 says when the next create may go, not whose it is: every caller told "in 1 s" would come back
    at once, and all but one be throttled again. So while a line exists every caller is given a turn of its own,
    a moment the spacing after the one before it and never while a 429's Retry-After runs (a 429 is waited out,
    never retried early), and sends its create only once its turn has come. A caller whose turn has come is
    given a moment to send of its own, in the order they came, the spacing after the one before, and never sends
    within the spacing of the create sent before it: callers late for their turns (a busy host) go one by one, not
    as a herd, and none is passed over by those that came after it. Turns are given as close as the line can take
    them, so late callers push every caller after them: once they fill the line for longer than a call sleeps
    (INLINE_WAIT_S), a further late caller is given a new turn at the end of the line instead, and the callers on
    time keep theirs rather than each be handed back a call later. A caller refused by Azure at its turn is given
    a new turn at the end of the line, after the wait it was told; one held by the app's write budget keeps its
    place, and comes back when the budget said. A line no one has come to for STALE_TURN_S is forgotten.

    The spacing is learned, since Compute refills its buckets several tokens a second while Retry-After comes in
    whole seconds: it starts at FIRST_SPACING of the first Retry-After, widens by WIDEN when a caller let go after
    the last widening is refused at its turn, and narrows by NARROW with each create that goes through at its turn,
    never wider than the longest Retry-After: it settles just above the interval at which creates can go, with a
    refusal in every few dozen creates. Turns are also given no closer than ARM's write budget carries new VMs
    through (WRITE_PACE_S, after WRITE_ROOM_S of them at once): a turn is given once and cannot be moved, so it
    must be one the budget will keep. The line is the process's own: on several instances at most one caller per
    instance meets Azure at a turn.
    """

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, caller: str) -> float:
        """0 when `caller` may send its create now; else how long until its turn."""
        key = key.lower()
        with self._lock:
            now = self._clock()
            line = self._lines.get(key)
            if line is None or now - line.used > STALE_TURN_S:
                self._lines.pop(key, None)
                return 0.0  # no line: go ahead
            line.used = now
            turn = line.turns.get(caller)
            if turn is None:
                turn = line.turns[caller] = line.next_turn(now)
            if turn - now < PUNCTUAL_S and caller not in line.sending:  # its turn has come: a moment to send of its
                moment = line.moment(now)  # own, in order (callers
                if moment - now > INLINE_WAIT_S:  # late for their turns go one by one, none passed over), unless
                    turn = line.turns[caller] = line.next_turn(now)  # those before it fill the line for longer than
                    return turn - now  # a call sleeps: then a new turn at the end, and the turns given keep theirs
                turn = line.turns[caller] = line.reserved = moment
                line.sending.add(caller)
            if line.sent + line.spacing - turn >= PUNCTUAL_S:  # never within the spacing of the create sent before:
                turn = line.turns[caller] = line.reserved = max(line.sent, line.reserved) + line.spacing  # pushed, a
                line.sending.add(caller)  # moment of its own after those given, or the callers pushed alike would
            if turn - now >= PUNCTUAL_S:  # come back together, again and again (a herd of short waits)
                return turn - now
            del line.turns[caller]
            line.sending.discard(caller)
            line.paced[caller] = line.sent = now
            return 0.0

    def throttled(self, key: str, caller: str, retry_after_s: float, *, by_azure: bool = True) -> float:
        """Azure (or the write budget) refused `caller`'s create; how long until the caller's new turn. Azure's
        refusal is waited out by the whole line, teaches the spacing, and sends the caller to the end of the line;
        the write budget's hold says how much room ARM has left, not how fast Compute takes creates: the caller
        keeps its place and comes back after the wait."""
        key = key.lower()
        with self._lock:
            now = self._clock()
            line = self._lines.get(key)
            if line is None:
                line = self._lines[key] = _Line(spacing=retry_after_s * FIRST_SPACING, budget_at=now)
            line.used = now
            let_go = line.paced.pop(caller, None)
            if not by_azure:  # its moment to send is the budget's now, one of its own: it goes then, before those
                moment = line.moment(now + retry_after_s)  # that came
                line.turns[caller] = line.reserved = moment  # after, and callers held alike do not come back together
                line.sending.add(caller)  # only to be pushed apart, past a call's sleep, and handed back once more
                return moment - now
            line.sending.discard(caller)
            line.widest = max(line.widest, retry_after_s + TURN_MARGIN_S)
            if let_go is not None and let_go > line.widened:  # refused at its turn: turns too close (once: those
                line.spacing = min(line.spacing * WIDEN, line.widest)  # let go before it were closer still)
                line.widened = now
            line.paused_until = max(line.paused_until, now + retry_after_s)
            turn = line.turns[caller] = line.next_turn(now)
            return turn - now

    def done(self, key: str, caller: str) -> None:
        with self._lock:
            line = self._lines.get(key.lower())
            if line is None:
                return
            line.turns.pop(caller, None)
            line.sending.discard(caller)
            if line.paced.pop(caller, None) is not None:  # through at its turn: the turns may come a little closer
                line.spacing = max(line.spacing * NARROW, MIN_SPACING_S)


@dataclass
class _Line:
    """One subscription and region's line of VM creates (Turns)."""

    spacing: float  # the time between two turns
    budget_at: float  # when ARM's write budget has refilled the writes of the new VMs given turns so far
    widest: float = 0.0  # the widest spacing: the longest Retry-After the line was told, and a margin
    last: float = float("-inf")  # the latest turn given
    sent: float = float("-inf")  # when the latest caller was let go
    reserved: float = float("-inf")  # the latest moment to send given to a caller whose turn had come
    paused_until: float = 0.0  # a 429's Retry-After, waited out by every caller
    widened: float = float("-inf")  # when the spacing last widened
    used: float = 0.0
    turns: dict[str, float] = field(default_factory=dict)  # caller -> its turn
    paced: dict[str, float] = field(default_factory=dict)  # caller let go at its turn -> when, until Azure answered
    sending: set[str] = field(default_factory=set)  # callers whose turn has come, each with its moment to send

    def moment(self, at: float) -> float:
        """A moment to send, from `at` on: the spacing after the moment given last and after the create sent last."""
        return max(at, self.reserved + self.spacing, self.sent + self.spacing)

    def next_turn(self, now: float) -> float:
        """A new turn at the end of the line: the spacing after the last turn and the last moment given, and within
        what the write budget refills (its room spent first: a turn up to WRITE_ROOM_S before the budget has refilled
        the turns before it)."""
        self.last = max(now, self.last + self.spacing, self.reserved + self.spacing, self.paused_until,
                        self.budget_at - WRITE_ROOM_S)  # fmt: skip
        self.budget_at = max(self.budget_at, self.last - WRITE_ROOM_S) + WRITE_PACE_S
        return self.last


def _line(placement: Placement) -> str:
    """Azure throttles VM creates per subscription and region: one line of turns for each."""
    return f"{placement.subscription_id}/{placement.region_name}"


def _capability(sku: dict[str, Any], name: str) -> bool:
    return any(c.get("name") == name and str(c.get("value")).lower() == "true" for c in sku.get("capabilities") or [])


def sku_restricted(sku: dict[str, Any], region: str) -> bool:
    """The SKU may not be deployed in the region by this subscription (NotAvailableForSubscription, and the like)."""
    for restriction in sku.get("restrictions") or []:
        if restriction.get("type") == "Location" and region in [v.lower() for v in restriction.get("values") or []]:
            return True
    return False


# A Spot VM's vCPUs come from the region's Spot vCPU quota, across all families, not its family's nor the regional
# total (https://learn.microsoft.com/azure/quotas/spot-quota); the usage's name is Azure's as a refusal quotes it
# (azure_emulator/arm/capacity.py).
SPOT_QUOTA = "lowPriorityCores"
REGIONAL_QUOTA = "cores"


def vcpu_quotas(family: str, priority: VmPriority) -> tuple[str, ...]:
    """The usages (by name) a new VM of the size's `family` and `priority` takes vCPUs from."""
    return (SPOT_QUOTA,) if priority == "Spot" else tuple(q for q in (family, REGIONAL_QUOTA) if q)


def quota_refusal(usage: Mapping[str, Any], region: str, vm_size: str, vcpus: int) -> str:
    """A quota that has no room for `vcpus` more, in the admin's words with its numbers: its name as the portal
    shows it (e.g. "Total Regional Low-priority vCPUs in westeurope: 10 of 10 in use, 2 more needed for ...")."""
    name = usage.get("name") or {}
    shown = name.get("localizedValue") or name.get("value")
    return (f"{shown} in {region}: {usage['currentValue']} of {usage['limit']} in use, {vcpus} more needed for "
            f"{vm_size}.")  # fmt: skip


def _principal_of(vm: dict[str, Any]) -> str | None:
    """The VM's system-assigned identity's object id, as its PUT or GET answers it (`identity.principalId`)."""
    principal = (vm.get("identity") or {}).get("principalId")
    return str(principal).lower() if principal else None
