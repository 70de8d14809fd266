"""The Cloud PCs Windows 365 provisions, mirrored: the app's records and timelines follow what Windows 365 reports.

On a windows365 tenant the app never provisions: Windows 365 does, from the policies and assignments the app sent
it. Each read of Windows 365's Cloud PCs makes the app's records match them, one timeline line per change of status
(with Windows 365's status detail), and says whether Windows 365 is still working on any, so the reads go on until
it is not.

A status this app does not know yet (Graph's cloudPcStatus grows) is in progress until Windows 365 reports one it
knows: the Cloud PC keeps the status it had, its line says so, and the reads go on. The line is written before the
status, under an id made of what Windows 365 reported, so that a reader never sees a status without its reason and a
write refused and made again writes the same line, never a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, TypeGuard

from shared.catalog.service_plans import SERVICE_PLANS_BY_WINDOWS365_ID
from shared.errors import PreconditionFailed
from shared.models.cloud_pcs import PROVISIONED, UNDER_WAY, CloudPc, CloudPcStatus, StatusDetail
from shared.models.orchestrations import PhasedStep, Windows365MirrorRun
from shared.models.policies import ProvisioningPolicy
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import Directory
from shared.ports.progress import Progress
from shared.ports.stores import RefusedWorkStore
from shared.ports.windows365 import Windows365CloudPc
from shared.services.backends.windows365_audit import AuditImportPorts, graph_time, import_audit_events
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.timeline import save
from shared.services.engine import phased
from shared.services.engine.refused_work import watched
from shared.services.engine.updates import ATTEMPTS

NAMING_WINDOW = timedelta(minutes=10)
FOLLOWED_FOR = timedelta(hours=12)  # then the run ends; the hourly reconcile starts another while work goes on
READ = ("read",)  # following is one phase, read again while Windows 365 works


class MirrorPorts(AuditImportPorts, Protocol):
    """A windows365 tenant's Cloud PCs followed: Windows 365's read into the app's, their users found by name."""

    @property
    def directory(self) -> Directory: ...
    @property
    def refusals(self) -> RefusedWorkStore: ...  # a read refused for want of a permission, for the admin

    @property
    def windows365_poll(self) -> timedelta: ...


@dataclass(frozen=True)
class Mirrored:
    changed: int  # Cloud PCs whose record changed
    in_flight: bool  # Windows 365 is still working on one: read again after the poll interval
    refused: CloudError | None = None  # Graph refused the app for want of a permission (kept as refused work)
    audit_since: datetime | None = None  # where the next read of Windows 365's audit log starts


def _users_by_upn(ports: MirrorPorts, tenant_id: str, policies: list[ProvisioningPolicy]) -> dict[str, str]:
    """The ids of the users the policies target, by user principal name (Windows 365 names a Cloud PC's user so):
    read with the groups' members, a page of them a request, never a user at a time."""
    groups = dict.fromkeys(assignment.group_id for policy in policies for assignment in policy.assignments)
    return {
        user.user_principal_name.lower(): user.id
        for group_id in groups
        for user in ports.directory.group_members_with_licenses(tenant_id, group_id) or []
    }


def _known(status: str) -> TypeGuard[CloudPcStatus]:
    return status in machine.STATUSES


def _line(pc: Windows365CloudPc) -> str:
    said = f"Windows 365 reports {pc.status}"
    if not _known(pc.status):
        said += (
            ", a status this app does not know yet: taken as in progress, and followed until Windows 365 reports"
            " one it knows"
        )
    return f"{said}: {pc.status_message or pc.status_code}" if pc.status_code or pc.status_message else said


def _last_connected(pc: Windows365CloudPc, current: CloudPc | None) -> datetime | None:
    """When Windows 365 last saw its user sign in to it; a time the app saw once stays when Graph has none."""
    seen = graph_time(pc.last_login_date_time) if pc.last_login_date_time else None
    known = current.last_connected_date_time if current is not None else None
    return max(filter(None, (seen, known)), default=None)


def _report_key(pc: Windows365CloudPc, before: CloudPc) -> str:
    """What makes one report of Windows 365 one line: the status left and the one reported, and when Windows 365
    changed the Cloud PC (the app's own record's time where Graph gives none)."""
    changed = graph_time(pc.last_modified_date_time) if pc.last_modified_date_time else before.last_modified_date_time
    return f"{before.windows365_status or before.status}.{pc.status}.{changed:%Y%m%dT%H%M%S%f}"


def _new_record(
    tenant_id: str, pc: Windows365CloudPc, policy: ProvisioningPolicy | None, user_id: str, now: datetime
) -> CloudPc:
    plan = SERVICE_PLANS_BY_WINDOWS365_ID.get(pc.service_plan_id.lower())
    return CloudPc.model_validate(
        {
            "id": pc.id,
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
            "display_name": pc.display_name,
            "managed_device_name": pc.managed_device_name,
            "user_id": user_id,
            "user_principal_name": pc.user_principal_name,
            "service_plan_id": plan.id if plan else pc.service_plan_id,
            "service_plan_name": plan.display_name if plan else pc.service_plan_name,
            "provisioning_policy_id": policy.id if policy else pc.provisioning_policy_id or "",
            "provisioning_policy_name": policy.display_name if policy else "",
            "image_display_name": policy.image_display_name if policy else None,
            "windows365_id": pc.id,
        }
    )


def follow(ports: MirrorPorts, run: Windows365MirrorRun) -> PhasedStep[Windows365MirrorRun]:
    """Phased work of one phase: read, `settled` once Windows 365 works on none of the tenant's Cloud PCs, else read
    again after the poll interval, its audit log read on from where this read ended."""

    def take(now: Windows365MirrorRun, phase: str) -> tuple[Windows365MirrorRun, Progress]:
        mirrored = mirror(ports, now.tenant_id, now.audit_since)
        read_on = now.model_copy(update={"audit_since": mirrored.audit_since})
        wait = ports.windows365_poll.total_seconds()
        return read_on, Progress(done=not mirrored.in_flight, retry_after_s=wait)

    def ended(now: Windows365MirrorRun, phase: str, exc: CloudError) -> PhasedStep[Windows365MirrorRun]:
        if exc.code != phased.TIMED_OUT:
            raise exc  # Graph out of reach: the activity's retries
        return PhasedStep(outcome="settled", run=now)

    return phased.drive(
        run,
        READ,
        take,
        clock=ports.clock,
        limit=FOLLOWED_FOR,
        on_fail=ended,
        finish=lambda done: PhasedStep(outcome="settled", run=done),
    )


def mirror(ports: MirrorPorts, tenant_id: str, audit_since: datetime | None = None) -> Mirrored:
    """One read of Windows 365's Cloud PCs, written on the app's records, and of its audit log since `audit_since`."""

    def read() -> Mirrored:
        mirrored = _mirror(ports, tenant_id)
        return replace(mirrored, audit_since=import_audit_events(ports, tenant_id, audit_since))

    outcome = watched(ports.refusals, tenant_id, "windows365CloudPcs", ports.clock, read)
    return Mirrored(0, False, outcome, audit_since) if isinstance(outcome, CloudError) else outcome


def _mirror(ports: MirrorPorts, tenant_id: str) -> Mirrored:
    reported = ports.windows365.list_cloud_pcs(tenant_id)
    policies = ports.policies.list_all_policies(tenant_id)
    by_remote_id = {policy.windows365_id: policy for policy in policies if policy.windows365_id}
    mine = {pc.windows365_id: pc for pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id) if pc.windows365_id}
    # a Cloud PC whose user was not known yet (Windows 365 can be quicker than the app's own record of the
    # assignment) is named by its UPN until a later read finds the user's id
    unnamed = any(pc.id not in mine or "@" in mine[pc.id].user_id for pc in reported)
    upns = _users_by_upn(ports, tenant_id, policies) if unnamed else {}
    now = ports.clock()

    def write(pc: Windows365CloudPc, current: CloudPc | None) -> bool:
        """Make the app's record of one Cloud PC match Windows 365's report; whether it changed."""
        status = pc.status if _known(pc.status) else None  # one this app does not know yet: the status stays
        code = pc.status_code
        detail = StatusDetail(code=code, message=pc.status_message or code) if code else None
        plan = SERVICE_PLANS_BY_WINDOWS365_ID.get(pc.service_plan_id.lower())
        grace = pc.grace_period_end_date_time
        changes = {
            "status_detail": detail,
            "grace_period_end_date_time": graph_time(grace) if grace else None,
            "display_name": pc.display_name,
            "managed_device_name": pc.managed_device_name,
            "windows365_status": pc.status,
            "last_connected_date_time": _last_connected(pc, current),
        }
        if plan is not None:  # a resize moves it to another plan
            changes |= {"service_plan_id": plan.id, "service_plan_name": plan.display_name}
        found_user = current is not None and "@" in current.user_id and pc.user_principal_name.lower() in upns
        if current is not None and found_user:
            current = current.model_copy(update={"user_id": upns[pc.user_principal_name.lower()]})
        if current is None:
            record = _new_record(
                tenant_id,
                pc,
                by_remote_id.get(pc.provisioning_policy_id or ""),
                upns.get(pc.user_principal_name.lower(), pc.user_principal_name),
                now,
            )
            moved = machine.follow(
                record, status, now, _line(pc), pc.status_code, key=_report_key(pc, record), **changes
            )
            if moved.event is not None:  # the line first: a reader never finds the status without it
                ports.cloud_pcs.upsert_event(tenant_id, moved.event)
            return bool(ports.cloud_pcs.insert_cloud_pcs([moved.cloud_pc]))
        if (
            (current.windows365_status or current.status) != pc.status
            or current.status_detail != detail
            or (plan is not None and plan.id != current.service_plan_id)
        ):
            if status in PROVISIONED and current.provisioned_date_time is None:
                changes["provisioned_date_time"] = now
            moved = machine.follow(
                current, status, now, _line(pc), pc.status_code, key=_report_key(pc, current), **changes
            )
            save(ports, moved, if_match=current.etag, line_first=True)
            return True
        if found_user or current.last_connected_date_time != changes["last_connected_date_time"]:
            seen = current.model_copy(update={"last_connected_date_time": changes["last_connected_date_time"]})
            ports.cloud_pcs.upsert_cloud_pc(seen, if_match=current.etag)  # no line: a sign-in is no change of status
            return True
        return False

    changed, contended = 0, False
    for pc in reported:
        current = mine.pop(pc.id, None)
        # another read may write the record first (the timer's beside a run that follows Windows 365's work): the
        # record is read again and the report applied to it as it is now; one that keeps changing waits for the next
        for _ in range(ATTEMPTS):
            try:
                changed += write(pc, current)
                break
            except PreconditionFailed:
                current = ports.cloud_pcs.find_cloud_pc(tenant_id, current.id) if current else None
        else:
            contended = True
    for gone in mine.values():  # Windows 365 has it no more: deprovisioned there
        try:
            ports.cloud_pcs.delete_cloud_pc(tenant_id, gone.id, if_match=gone.etag)
            changed += 1
        except PreconditionFailed:
            contended = True  # written since it was read: the next read sees whether it is still gone
    # a Cloud PC named by its UPN only is read again for a while: the app's record of its assignment is on its way
    naming = unnamed and any(
        "@" in pc.user_id and now - pc.created_date_time < NAMING_WINDOW
        for pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id)
    )
    working = any(pc.status in UNDER_WAY or not _known(pc.status) for pc in reported)
    return Mirrored(changed, contended or naming or working)
