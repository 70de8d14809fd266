"""Reconcile: turn "licensed users in assigned groups" into the Cloud PCs that should exist.

Reads the directory once per group, compares the desired (user, license) slots with the tenant's Cloud PCs
and creates the missing ones as `pendingProvision` with deterministic ids, so a duplicate message or a
concurrent reconcile never makes a second Cloud PC for the same slot. Before it creates or starts any, it
writes a start check that its caller removes once the runs are started: if the reconcile dies in between,
the pending-start sweep (shared/services/cloud_pcs/pending_starts.py) finds the check and starts them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import NotFound
from shared.events import DirectoryEvent
from shared.models.access import AuditActor, AuditChange, AuditRecord
from shared.models.cloud_pc_work import ReconcileOutcome, RunToStart
from shared.models.cloud_pcs import CloudPc, StatusDetail
from shared.models.policies import ProvisioningPolicy
from shared.models.refused_work import RefusedWorkKind
from shared.models.tenants import Tenant
from shared.ports.access_stores import AuditLog
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import DirectoryChangePorts, TimelinePorts
from shared.ports.compute import StartPace
from shared.ports.directory import Directory, DirectoryUser
from shared.ports.queues import EventPublisher
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs import lifecycle
from shared.services.configuration.group_members import GroupsRead
from shared.services.configuration.targeting import Slot, Winner, desired_slots, winning_policies
from shared.services.engine.refused_work import watched

CLOUD_PC_NAMESPACE = uuid.UUID("5b0f2a52-6c8e-4d57-9a53-0c6f3f0e9d11")
# how long a reconcile has to start the Cloud PCs it made before the sweep may start them instead
START_GRACE = timedelta(seconds=30)
# a held directory read with no Retry-After (no answer at all) is read again after this long
HELD_READ_WAIT = timedelta(seconds=30)
DIRECTORY_ACTOR = AuditActor(principal_id="directoryReconcile", name="The app's directory reconcile")


class DirectoryFollowPorts(DirectoryChangePorts, Protocol):
    """A directory change handed to the tenant's backend, which says what it comes to."""

    @property
    def backends(self) -> BackendChoice[CloudPcWork]: ...


class LicenseRoomPorts(TimelinePorts, Protocol):
    """The tenant's licenses of a plan against the Cloud PCs that hold them."""

    @property
    def directory(self) -> Directory: ...


def cloud_pc_id(tenant_id: str, slot: Slot, policy_id: str) -> str:
    """The same slot served by the same policy always maps to the same Cloud PC id (and orchestration id).

    The policy is part of it: when another policy takes the user over, its Cloud PC is a new one, made
    while the old one is still in its grace period.
    """
    key = f"{tenant_id}/{slot.user_id}/{slot.service_plan_id}/{slot.index}/{policy_id}"
    return str(uuid.uuid5(CLOUD_PC_NAMESPACE, key))


def new_cloud_pc(
    tenant_id: str, slot: Slot, winner: Winner, user: DirectoryUser, policy: ProvisioningPolicy, now: datetime
) -> CloudPc:
    plan = SERVICE_PLANS_BY_ID[slot.service_plan_id]
    return CloudPc.model_validate(
        {
            "id": cloud_pc_id(tenant_id, slot, policy.id),
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
            "display_name": f"{policy.display_name} - {user.display_name or user.user_principal_name}",
            "user_id": user.id,
            "user_principal_name": user.user_principal_name,
            "service_plan_id": plan.id,
            "service_plan_name": plan.display_name,
            "slot_index": slot.index,
            "provisioning_policy_id": policy.id,
            "provisioning_policy_name": policy.display_name,
            "target_group_id": winner.group_id,
            "image_display_name": policy.image_display_name,
        }
    )


def affected_users(event: DirectoryEvent, members: dict[str, list[str]], existing: list[CloudPc]) -> set[str]:
    """Whom a message is about: the named users, the groups' members, and whoever holds a Cloud PC through them."""
    if event.full:
        return {u for group in members.values() for u in group} | {c.user_id for c in existing}
    groups = set(event.group_ids)
    users = set(event.user_ids)
    for group_id in groups:
        users |= set(members.get(group_id, []))
    users |= {c.user_id for c in existing if c.target_group_id in groups}
    return users


def group_members(ports: DirectoryChangePorts, event: DirectoryEvent, group_ids: list[str]) -> GroupsRead:
    """The groups' members with their users, or for a hint about users only, which of those users each group holds.

    A user hint must not cost a read of every assigned group: a thousand license changes would read a
    thousand-member group a thousand times.
    """
    read = GroupsRead()
    if event.reads_groups:
        for group_id in group_ids:
            read.read(ports.directory, event.tenant_id, group_id)
        return read
    read.members = {g: [] for g in group_ids}
    for user_id in dict.fromkeys(event.user_ids):
        for group_id in ports.directory.member_groups(event.tenant_id, user_id, group_ids):
            read.members[group_id].append(user_id)
    return read


def reconcile_tenant(ports: DirectoryChangePorts, event: DirectoryEvent) -> ReconcileOutcome:
    tenant_id = event.tenant_id
    # The Cloud PCs are read before the policies and the directory, never after: a row another reconcile made
    # after this one read its inputs could then be judged by inputs older than that reconcile's, and a
    # Cloud PC it just created (and is starting) be deleted as "no longer targeted". Read in this order, any row
    # seen here was made by a reconcile whose reads came before this one's, so this one's view is the newer.
    if event.reads_groups:
        existing = ports.cloud_pcs.list_all_cloud_pcs(tenant_id)
    else:  # a user hint needs only those users' Cloud PCs, not a scan of the tenant
        existing = [
            c
            for user_id in dict.fromkeys(event.user_ids)
            for c in ports.cloud_pcs.list_users_cloud_pcs(tenant_id, user_id)
        ]
    policies = {p.id: p for p in ports.policies.list_all_policies(tenant_id)}
    groups = {a.group_id for p in policies.values() for a in p.assignments}
    extra = [g for g in event.group_ids if g not in groups]  # unassigned groups: their former members matter
    read = group_members(ports, event, [*groups, *extra])
    users_in_scope = affected_users(event, read.members, existing)
    assigned_members = {g: m for g, m in read.members.items() if g in groups}
    winners = {u: w for u, w in winning_policies(policies.values(), assigned_members).items() if u in users_in_scope}
    directory_users = read.users_among(ports.directory, tenant_id, users_in_scope)
    desired = desired_slots(winners, directory_users)
    outcome = ReconcileOutcome(tenant_id=tenant_id, users_considered=len(users_in_scope))

    by_slot: dict[Slot, list[CloudPc]] = {}
    for c in existing:
        if c.user_id in users_in_scope:
            by_slot.setdefault(Slot(c.user_id, c.service_plan_id, c.slot_index), []).append(c)
    now = ports.clock()
    missing, waiting = [], []
    for slot, winner in sorted(desired.items()):
        current = next((c for c in by_slot.get(slot, []) if c.provisioning_policy_id == winner.policy_id), None)
        if current is None:
            missing.append(
                new_cloud_pc(tenant_id, slot, winner, directory_users[slot.user_id], policies[winner.policy_id], now)
            )
        elif current.status == "inGracePeriod" and current.reclaim_announced_date_time is None:
            # a reclaimed one comes back only by its user's connection (reclaim.py), not by the targeting
            lifecycle.restore_from_grace(ports, current)
            outcome.restored.append(current.id)
        elif current.status == "pendingProvision":
            waiting.append(current)
    for slot, currents in by_slot.items():
        serving = desired.get(slot)
        for current in currents:
            if serving is not None and serving.policy_id == current.provisioning_policy_id:
                continue
            # seed 004: a Cloud PC whose policy no longer serves its user enters the grace period, even when
            # another policy serves the user now; that policy's Cloud PC is made beside it
            outcome.untargeted.append(current.id)
            if machine.allows("enterGrace", current.status):
                reason = untargeted_reason(current, directory_users.get(current.user_id), serving)
                lifecycle.enter_grace(ports, current, reason)
                outcome.entered_grace.append(current.id)
            elif current.status == "failed":
                lifecycle.deprovision(ports, tenant_id, current.id, current.run, "No longer targeted")
            elif current.status == "pendingProvision":
                ports.cloud_pcs.delete_cloud_pc(tenant_id, current.id)  # never started: nothing to keep
            elif current.status in ("provisioning", "resizing") and not current.recheck_when_settled:
                # can't enter grace mid-flight: the run looks again when it settles
                ports.cloud_pcs.merge_cloud_pc(
                    current.model_copy(update={"recheck_when_settled": True}), ["recheck_when_settled"]
                )
    if missing or waiting:  # written first: whatever happens after it, the sweep will look
        due = ports.clock() + START_GRACE
        outcome.start_check = ports.cloud_pcs.add_start_check(tenant_id, due, creating=bool(missing))
    created = ports.cloud_pcs.insert_cloud_pcs(missing)
    if missing and outcome.start_check is not None:
        ports.cloud_pcs.clear_creating(outcome.start_check)
    outcome.created = [c.id for c in created]
    for cloud_pc in license_room(ports, tenant_id, [*waiting, *created]):
        outcome.to_provision.append(RunToStart(cloud_pc.id, cloud_pc.run))
    return outcome


def paced_starts(outcome: ReconcileOutcome, pace: StartPace, now: datetime) -> ReconcileOutcome:
    """The runs to start, the first `pace.at_once` now and each next one `pace.seconds_apart` later: a burst of a
    thousand would otherwise put a thousand first steps on the host at once, ahead of the VM creates ARM can take
    meanwhile, while its write budget goes unused. The VM creates still take their turns (a late run is no harm)."""

    def start_of(index: int) -> datetime | None:
        later = (index + 1 - pace.at_once) * pace.seconds_apart
        return now + timedelta(seconds=later) if later > 0 else None

    outcome.to_provision = [replace(run, not_before=start_of(i)) for i, run in enumerate(outcome.to_provision)]
    return outcome


def drift_reconcile(tenants: Iterable[Tenant], events: EventPublisher) -> int:
    """Notifications can be late or lost: each tenant linked to its Entra tenant gets a full reconcile through the
    directory events' queue. One not linked yet has no directory to read: its message could only fail five times
    and rest in the poison queue, every hour. How many were queued."""
    linked = [tenant.id for tenant in tenants if tenant.entra_tenant_id]
    for tenant_id in linked:
        events.publish_directory_event(tenant_id, full=True)
    return len(linked)


def directory_changed(ports: DirectoryFollowPorts, event: DirectoryEvent) -> ReconcileOutcome:
    """What a change of the tenant's users or groups comes to, the tenant's backend says; nothing for a tenant
    removed since."""
    try:
        backend = ports.backends.of(event.tenant_id)
    except NotFound:
        return ReconcileOutcome(tenant_id=event.tenant_id)
    return backend.directory_changed(ports, event)


def reconcile_watched(ports: DirectoryChangePorts, event: DirectoryEvent) -> ReconcileOutcome:
    """`reconcile_tenant`, with a refusal for want of a Graph permission kept for the admin rather than raised: the
    message's retries cannot help, and the drift reconcile (or the admin's next onboarding check) comes back.

    A hint about users alone reads other things (each user's memberships) than a full or group reconcile (the
    groups' members), so each kind is kept apart: the success of one says nothing of the other."""
    work: RefusedWorkKind = "directoryReconcile" if event.reads_groups else "userReconcile"
    outcome = watched(ports.refusals, event.tenant_id, work, ports.clock, lambda: reconcile_tenant(ports, event))
    return ReconcileOutcome(tenant_id=event.tenant_id) if isinstance(outcome, CloudError) else outcome


class DirectoryHoldPorts(Protocol):
    """Where a held directory read is told to the tenant's admin."""

    @property
    def audit_log(self) -> AuditLog: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def directory_held(ports: DirectoryHoldPorts, event: DirectoryEvent, exc: CloudError) -> float:
    """A directory read the service held (a throttle, or no answer): the seconds to wait before reading again (the
    service's Retry-After, else HELD_READ_WAIT), said on the tenant's activity (its audit log) in words."""
    wait = max(exc.retry_after_s or HELD_READ_WAIT.total_seconds(), 1.0)
    now = ports.clock()
    held = exc.reason or f"{exc.step}: {exc.code}"
    reason = f"{held}: the directory change is read again in {wait:.0f} s"
    ports.audit_log.insert_event(
        AuditRecord(
            id=f"readDirectory-{now:%Y%m%dT%H%M%S%f}",
            tenant_id=event.tenant_id,
            activity_date_time=now,
            actor=DIRECTORY_ACTOR,
            actor_id=DIRECTORY_ACTOR.principal_id,
            activity="readDirectory",
            resource_type="tenant",
            resource_id=event.tenant_id,
            result="failure",
            error_code=exc.code,
            changes=[AuditChange(field="reason", new_value=reason)],
        )
    )
    return wait


def started(ports: TimelinePorts, outcome: ReconcileOutcome) -> None:
    """Every run of `outcome.to_provision` is started (or under way): its start check has nothing left to watch."""
    if outcome.start_check is not None:
        ports.cloud_pcs.delete_start_check(outcome.start_check)


def untargeted_reason(cloud_pc: CloudPc, user: DirectoryUser | None, winner: Winner | None) -> str:
    if user is None:
        return "The user no longer exists"
    if cloud_pc.service_plan_id not in user.licenses:
        return "The user's license was removed"
    if winner is not None:
        return (
            f"Policy '{cloud_pc.provisioning_policy_name}' no longer serves the user; "
            f"'{winner.policy_name}' does, and provisions a Cloud PC when a license is free"
        )
    return "The user is no longer in a group the policy is assigned to"


def license_room(ports: LicenseRoomPorts, tenant_id: str, candidates: list[CloudPc]) -> list[CloudPc]:
    """The Cloud PCs that may start now: a Cloud PC in grace keeps its license until the grace period ends."""
    if not candidates:
        return []
    in_grace = ports.cloud_pcs.list_cloud_pcs_in_status(tenant_id, "inGracePeriod")
    grace_plans = {c.service_plan_id for c in in_grace}
    allowed = [c for c in candidates if c.service_plan_id not in grace_plans]
    if not grace_plans:
        return allowed
    licenses = ports.directory.count_licenses(tenant_id)
    for plan in sorted(grace_plans):
        holders = ports.cloud_pcs.list_cloud_pcs_of_plan(tenant_id, plan)
        busy = sum(1 for c in holders if c.status not in ("pendingProvision", "inGracePeriod"))
        held = sum(1 for c in holders if c.status == "inGracePeriod")
        room = max(licenses.get(plan, 0) - busy - held, 0)
        waiting = sorted(
            (c for c in candidates if c.service_plan_id == plan), key=lambda c: (c.created_date_time, c.id)
        )
        allowed += waiting[:room]
        for cloud_pc in waiting[room:]:
            note_waiting_for_license(ports, cloud_pc, held)
    return allowed


def note_waiting_for_license(ports: TimelinePorts, cloud_pc: CloudPc, held: int) -> None:
    if cloud_pc.status_detail is not None and cloud_pc.status_detail.code == "waitingForLicense":
        return
    detail = StatusDetail(
        code="waitingForLicense",
        message=f"{held} Cloud PC(s) in their grace period still hold this plan's licenses; "
        "provisioning starts when one is free (end a grace period to free it now).",
    )
    ports.cloud_pcs.merge_cloud_pc(cloud_pc.model_copy(update={"status_detail": detail}), ["status_detail"])
