"""The tenant's reclaim rule: a Cloud PC nobody connects to is announced, enters its grace period the rule's days
later unless its user connects first, and its user's license is freed for the next user in line.

Unused counts from the last connection the app saw (the azure backend's use watch, Windows 365's last sign-in), or
from provisioning for a Cloud PC never seen connected. A Cloud PC asleep, or powered off by an admin, is still
provisioned and counts as unused: its user's connection would start it. The license is the one thing that keeps a
reclaimed user from a new Cloud PC at the next reconcile, so only a Cloud PC whose license is assigned to its user
directly is taken back: a group's license only the group can take away (the rule leaves those, and says so in the
log). The license goes when the grace period starts, to the next user in line: a member of the policy's groups whose
group license of the plan found no free unit (CountViolation), the longest waiting first. Entra never retries such a
license by itself, so the rule has it reprocess that user; the license change reaches the reconcile as any directory
change does (Graph's change notification, or the drift reconcile), and their Cloud PC waits for the reclaimed one's
grace period to end, as for any license freed from a Cloud PC in grace.

Every run decides from what it reads and writes each change conditional on the etag read, so a second run in the same
hour finds everything decided and changes nothing more.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Literal, Protocol

from shared.errors import PreconditionFailed
from shared.models.access import AuditActor, AuditChange, AuditRecord
from shared.models.cloud_pcs import PROVISIONED, CloudPc
from shared.models.tenants import ReclaimPreview, ReclaimRule, Tenant
from shared.ports.access_stores import AuditLog
from shared.ports.alerts import NoticeSender
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import GracePorts
from shared.ports.directory import Directory, DirectoryUser, LicenseAssignment
from shared.ports.progress import Progress
from shared.ports.stores import PolicyStore
from shared.services.cloud_pcs import lifecycle
from shared.services.cloud_pcs.timeline import record
from shared.services.engine.mail_senders import refused_sender

log = logging.getLogger(__name__)
ACTOR = AuditActor(principal_id="reclaimUnused", name="The tenant's reclaim rule")

Action = Literal["announce", "cancel", "reclaim", "restore"]
NO_FREE_UNIT = "CountViolation"  # Entra's error on a group license that found no free unit


class ReclaimPorts(GracePorts, Protocol):
    @property
    def directory(self) -> Directory: ...
    @property
    def licenses(self) -> LicenseAssignment: ...
    @property
    def audit_log(self) -> AuditLog: ...
    @property
    def notices(self) -> NoticeSender: ...
    @property
    def policies(self) -> PolicyStore: ...


@dataclass(frozen=True)
class Decision:
    cloud_pc: CloudPc
    action: Action
    unused_days: int  # whole days since its user was last seen connected, or since it was provisioned


def last_use(cloud_pc: CloudPc) -> datetime | None:
    return cloud_pc.last_connected_date_time or cloud_pc.provisioned_date_time


def connected_since_announced(cloud_pc: CloudPc) -> bool:
    seen, announced = cloud_pc.last_connected_date_time, cloud_pc.reclaim_announced_date_time
    return seen is not None and announced is not None and seen > announced


def reclaimed(cloud_pc: CloudPc) -> bool:
    """In its grace period by the reclaim rule: only its user's connection brings it back, not the targeting."""
    return cloud_pc.status == "inGracePeriod" and cloud_pc.reclaim_announced_date_time is not None


def plan_reclaim(rule: ReclaimRule, now: datetime, cloud_pcs: Iterable[CloudPc]) -> list[Decision]:
    """What the rule does to each Cloud PC now; one it leaves as it is has no decision."""
    decisions = []
    for cloud_pc in cloud_pcs:
        used, announced = last_use(cloud_pc), cloud_pc.reclaim_announced_date_time
        if used is None:
            continue
        days = (now - used) // timedelta(days=1)
        if reclaimed(cloud_pc):
            if connected_since_announced(cloud_pc):
                decisions.append(Decision(cloud_pc, "restore", days))
        elif cloud_pc.status not in PROVISIONED:
            continue
        elif announced is not None and connected_since_announced(cloud_pc):
            decisions.append(Decision(cloud_pc, "cancel", days))
        elif announced is not None and now - announced >= timedelta(days=rule.notice_days):
            decisions.append(Decision(cloud_pc, "reclaim", days))
        elif announced is None and now - used >= timedelta(days=rule.unused_days):
            decisions.append(Decision(cloud_pc, "announce", days))
    return decisions


def in_line(members: Iterable[DirectoryUser], plan: str) -> list[DirectoryUser]:
    """The users a group assigns the plan's license that found no free unit, the longest waiting first (a state
    without its time last)."""
    waiting: dict[str, tuple[datetime, DirectoryUser]] = {}
    for user in members:
        since = [
            g.since or datetime.max.replace(tzinfo=UTC)
            for g in user.group_licenses
            if g.service_plan_id == plan and g.error == NO_FREE_UNIT
        ]
        if since:
            waiting[user.id] = (min(since), user)
    return [user for _, user in sorted(waiting.values(), key=lambda waited: (waited[0], waited[1].id))]


def next_in_line(ports: ReclaimPorts, cloud_pc: CloudPc) -> list[DirectoryUser]:
    """Who waits for the Cloud PC's plan among its policy's groups' members: one read of each group."""
    policy = ports.policies.find_policy(cloud_pc.tenant_id, cloud_pc.provisioning_policy_id)
    groups = dict.fromkeys(a.group_id for a in policy.assignments) if policy is not None else {}
    members = [m for g in groups for m in ports.directory.group_members_with_licenses(cloud_pc.tenant_id, g) or []]
    return in_line(members, cloud_pc.service_plan_id)


def considered(ports: ReclaimPorts, tenant_id: str) -> list[CloudPc]:
    statuses = [*sorted(PROVISIONED), "inGracePeriod"]
    return [c for status in statuses for c in ports.cloud_pcs.list_cloud_pcs_in_status(tenant_id, status)]


def licensed_by_group(ports: ReclaimPorts, tenant_id: str, decisions: list[Decision]) -> set[str]:
    """The Cloud PCs about to be announced whose user holds the plan through a group, read in one call."""
    announcing = [d.cloud_pc for d in decisions if d.action == "announce"]
    if not announcing:
        return set()
    users = ports.directory.get_users(tenant_id, sorted({c.user_id for c in announcing}))
    return {c.id for c in announcing if _group_licensed(users.get(c.user_id), c.service_plan_id)}


def _group_licensed(user: DirectoryUser | None, plan: str) -> bool:
    return user is not None and bool(user.groups_assigning(plan))


def preview(ports: ReclaimPorts, tenant_id: str, rule: ReclaimRule) -> ReclaimPreview:
    """How many Cloud PCs the rule would announce and put in their grace period if it ran now."""
    decisions = plan_reclaim(rule, ports.clock(), considered(ports, tenant_id))
    kept = licensed_by_group(ports, tenant_id, decisions)
    return ReclaimPreview(
        to_announce=sum(1 for d in decisions if d.action == "announce" and d.cloud_pc.id not in kept),
        to_reclaim=sum(1 for d in decisions if d.action == "reclaim"),
    )


def reclaim_unused(ports: ReclaimPorts, tenant: Tenant) -> dict[Action, int]:
    """The rule applied to the tenant's Cloud PCs now: how many it moved, by action."""
    rule = tenant.reclaim
    done: dict[Action, int] = {"announce": 0, "cancel": 0, "reclaim": 0, "restore": 0}
    if rule is None or not rule.enabled:
        return done
    decisions = plan_reclaim(rule, ports.clock(), considered(ports, tenant.id))
    kept = licensed_by_group(ports, tenant.id, decisions)
    # Entra reprocesses in the background: a user handed a license this run may still look in line
    steps: dict[Action, Step] = {**STEPS, "reclaim": partial(_reclaim, handed=set())}
    for decision in decisions:
        if decision.cloud_pc.id in kept:
            log.info(
                "Cloud PC %s is unused but a group assigns its license: only the group can take it back",
                decision.cloud_pc.id,
            )
            continue
        try:
            steps[decision.action](ports, rule, decision)
        except (PreconditionFailed, CloudError) as exc:  # it moved meanwhile, or Graph refused: the next run decides
            log.warning("Reclaim %s of Cloud PC %s not done now: %s", decision.action, decision.cloud_pc.id, exc)
            continue
        done[decision.action] += 1
    return done


def _announce(ports: ReclaimPorts, rule: ReclaimRule, decision: Decision) -> None:
    """Saved first, then the user e-mailed, then the line, which says whether the e-mail went: a run that fails
    between finds it announced and never e-mails twice."""
    cloud_pc, now = decision.cloud_pc, ports.clock()
    grace_on = now + timedelta(days=rule.notice_days)
    saved = ports.cloud_pcs.upsert_cloud_pc(
        cloud_pc.model_copy(update={"reclaim_announced_date_time": now}), if_match=cloud_pc.etag
    )
    message = (
        f"Not connected to for {decision.unused_days} days: it enters its grace period on {grace_on:%Y-%m-%d} "
        f"unless its user connects before (the tenant's rule: {rule.unused_days} days unused, "
        f"{rule.notice_days} days' notice)"
    )
    if rule.email_user and rule.mailbox:
        message += "; " + _email(ports, rule.mailbox, cloud_pc, message)
    record(ports, saved, "reclaimAnnounced", message=message, repeatable=True, key=f"{now:%Y%m%dT%H%M%S}")


def _email(ports: ReclaimPorts, mailbox: str, cloud_pc: CloudPc, why: str) -> str:
    """The user told from the tenant's mailbox: what became of it, in words for the timeline."""
    name = html.escape(cloud_pc.display_name)
    body = (
        f"<p>Your Cloud PC <b>{name}</b> has not been used for a while. {html.escape(why)}.</p>"
        "<p>Connect to it to keep it.</p>"
    )
    subject = f"Your Cloud PC {cloud_pc.display_name} will be removed"
    try:
        ports.notices.send_mail(cloud_pc.tenant_id, mailbox, [cloud_pc.user_principal_name], subject, body)
    except CloudError as exc:
        refused = refused_sender(exc, mailbox)  # the admin's to fix: said in words
        return (
            f"the e-mail to its user was not sent: {refused}"
            if refused
            else f"the e-mail to its user from {mailbox} failed ({exc.code})"
        )
    return f"its user was e-mailed from {mailbox}"


def _cancel(ports: ReclaimPorts, rule: ReclaimRule, decision: Decision) -> None:
    cloud_pc = decision.cloud_pc
    saved = ports.cloud_pcs.upsert_cloud_pc(
        cloud_pc.model_copy(update={"reclaim_announced_date_time": None}), if_match=cloud_pc.etag
    )
    seen = cloud_pc.last_connected_date_time
    assert seen is not None  # a cancel is decided on a connection
    record(
        ports,
        saved,
        "reclaimCancelled",
        message=f"Its user connected at {seen:%Y-%m-%dT%H:%M:%SZ}: it is kept",
        repeatable=True,
        key=f"{seen:%Y%m%dT%H%M%S}",
    )


def _reclaim(ports: ReclaimPorts, rule: ReclaimRule, decision: Decision, *, handed: set[str]) -> None:
    cloud_pc = decision.cloud_pc
    _done(ports.licenses.switch_license(cloud_pc.tenant_id, cloud_pc.user_id, None, cloud_pc.service_plan_id))
    reason = (
        f"Not connected to for {decision.unused_days} days: reclaimed by the tenant's rule; "
        f"{_hand_on(ports, cloud_pc, handed)}"
    )
    moved = lifecycle.enter_grace(ports, cloud_pc, reason, reclaim=True)
    ports.audit_log.insert_event(_audit(ports, moved, "reclaimCloudPc", reason))


def _hand_on(ports: ReclaimPorts, cloud_pc: CloudPc, handed: set[str]) -> str:
    """The freed license to the next user in line not handed one already, in words for the timeline and audit. The
    Cloud PC is reclaimed whatever becomes of it: the license is free, and an admin can hand it on."""
    try:
        line = [user for user in next_in_line(ports, cloud_pc) if user.id not in handed]
        if not line:
            return "its user's license is freed: nobody was waiting for one"
        ports.licenses.reprocess_group_licenses(cloud_pc.tenant_id, line[0].id)
    except CloudError as exc:
        log.warning("The license of reclaimed Cloud PC %s not handed on: %s", cloud_pc.id, exc)
        return f"its user's license is freed, but not handed on to the next user in line: {exc}"
    handed.add(line[0].id)
    return f"its license went to {line[0].user_principal_name}: Entra's group license for them is reprocessed"


def _restore(ports: ReclaimPorts, rule: ReclaimRule, decision: Decision) -> None:
    """Its user connected in its grace period: the license back (while one is free), and the Cloud PC with it."""
    cloud_pc = decision.cloud_pc
    _done(ports.licenses.switch_license(cloud_pc.tenant_id, cloud_pc.user_id, cloud_pc.service_plan_id, None))
    seen = cloud_pc.last_connected_date_time
    assert seen is not None  # a restore is decided on a connection
    why = f"Its user connected at {seen:%Y-%m-%dT%H:%M:%SZ}: the reclaim is cancelled and the license given back"
    restored = lifecycle.restore_from_grace(ports, cloud_pc, why)
    ports.audit_log.insert_event(_audit(ports, restored, "restoreReclaimedCloudPc", why))


def _done(progress: Progress) -> None:
    if not progress.done:  # Graph throttled the change: the next run makes it
        raise CloudError("reclaim", progress.held or "throttled", progress.reason or "Graph holds the license change")


Step = Callable[[ReclaimPorts, ReclaimRule, Decision], None]
STEPS: dict[Action, Step] = {"announce": _announce, "cancel": _cancel, "restore": _restore}


def _audit(ports: ReclaimPorts, cloud_pc: CloudPc, activity: str, reason: str) -> AuditRecord:
    now = ports.clock()
    return AuditRecord(
        id=f"{activity}-{cloud_pc.id}-{now:%Y%m%dT%H%M%S}",
        tenant_id=cloud_pc.tenant_id,
        activity_date_time=now,
        actor=ACTOR,
        actor_id=ACTOR.principal_id,
        activity=activity,
        resource_type="cloudPc",
        resource_id=cloud_pc.id,
        resource_display_name=cloud_pc.display_name,
        result="success",
        changes=[AuditChange(field="status", new_value=cloud_pc.status), AuditChange(field="reason", new_value=reason)],
    )
