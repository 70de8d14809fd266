"""Provisioning policies: reference checks, naming template, assignment with its review plan."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Protocol

from pydantic import Field

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.base import ApiModel
from shared.models.policies import (
    Assignment,
    AssignRequest,
    PolicyFields,
    ProvisioningPolicy,
    ProvisioningPolicyCreate,
    ProvisioningPolicyUpdate,
)
from shared.ports.configuration_ports import PolicySyncPorts
from shared.ports.directory import Directory
from shared.ports.new_records import NewRecordPorts
from shared.ports.queues import EventPublisher
from shared.ports.stores import PolicyStore
from shared.services.configuration.device_images import GalleryPorts, gallery
from shared.services.configuration.group_members import GroupsRead
from shared.services.configuration.image_rules import ImageRefused, resolve_image
from shared.services.configuration.naming import DEFAULT_TEMPLATE, parse_template
from shared.services.configuration.targeting import license_slots, winning_policies
from shared.services.engine.updates import merge_patch, update_with_etag

PlanAction = Literal["provision", "servedByEarlierPolicy", "noLicense", "lose"]


class AssignmentPlanPorts(Protocol):
    """Who the tenant's policies serve, and who their groups hold."""

    @property
    def policies(self) -> PolicyStore: ...
    @property
    def directory(self) -> Directory: ...


class PolicyPorts(AssignmentPlanPorts, GalleryPorts, PolicySyncPorts, NewRecordPorts, Protocol):
    """A tenant's provisioning policies: their references checked, the backend told, reconciliation started."""

    @property
    def grace_period(self) -> timedelta: ...
    @property
    def events(self) -> EventPublisher: ...


class PlanEntry(ApiModel):
    user_id: str
    user_principal_name: str
    action: PlanAction
    cloud_pc_count: int = 0
    service_plan_ids: list[str] = []
    winning_policy_id: str | None = None
    winning_policy_name: str | None = None
    reason: str


class PlanSummary(ApiModel):
    provision: int = 0
    cloud_pcs: int = 0
    served_by_earlier_policy: int = 0
    no_license: int = 0
    lose: int = 0
    members_not_found: int = 0


class AssignmentPlan(ApiModel):
    """What assigning these groups would do, user by user (the wizard's Review step)."""

    policy_id: str
    group_ids: list[str]
    summary: PlanSummary
    users: list[PlanEntry] = Field(default_factory=list)


def _check_references(ports: PolicyPorts, tenant_id: str, fields: PolicyFields) -> tuple[str, str]:
    """Every rule that needs a lookup; returns the image's display name and the naming template."""
    problems: list[ErrorDetail] = []
    for index, config in enumerate(fields.domain_join_configurations):
        if not config.on_premises_connection_id:
            continue
        target = f"domainJoinConfigurations[{index}].onPremisesConnectionId"
        connection = ports.connections.find_connection(tenant_id, config.on_premises_connection_id)
        if connection is None:
            problems.append(
                ErrorDetail(
                    "referenceNotFound", f"Connection '{config.on_premises_connection_id}' does not exist.", target
                )
            )
        elif connection.connection_type != config.domain_join_type:
            problems.append(
                ErrorDetail(
                    "joinTypeMismatch",
                    f"Connection '{connection.display_name}' is for {connection.connection_type}, "
                    f"not {config.domain_join_type}.",
                    target,
                )
            )
        elif not connection.usable:
            problems.append(
                ErrorDetail(
                    "connectionNotHealthy",
                    f"Connection '{connection.display_name}' has not passed its health checks "
                    f"(status {connection.health_check_status}); fix it and run the checks again.",
                    target,
                )
            )
    image_name = ""
    try:
        offered = {image.id: image for image in gallery(ports, tenant_id)} if fields.image_type == "gallery" else {}
        image_name = resolve_image(
            ports.images.find_image, tenant_id, fields.image_type, fields.image_id, offered
        ).display_name
    except ImageRefused as refused:
        problems.append(ErrorDetail(refused.code, str(refused), "imageId"))
    template_text = fields.cloud_pc_naming_template or DEFAULT_TEMPLATE
    problems += parse_template(template_text)[1]
    if problems:
        raise ValidationFailed.of(*problems)
    return image_name, template_text


def create_policy(
    ports: PolicyPorts, tenant_id: str, data: ProvisioningPolicyCreate, *, dry_run: bool = False
) -> ProvisioningPolicy:
    backend = ports.backends.of(tenant_id)
    backend.check_policy(data, None)
    image_name, template = _check_references(ports, tenant_id, data)
    now = ports.clock()
    policy = ProvisioningPolicy.model_validate(
        {
            **data.model_dump(exclude={"cloud_pc_naming_template", "windows_setting"}),
            **({"windows_setting": data.windows_setting.model_dump()} if data.windows_setting else {}),
            "id": ports.new_id(),
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
            "image_display_name": image_name,
            "cloud_pc_naming_template": template,
            "grace_period_in_hours": int(ports.grace_period.total_seconds() // 3600),
        }
    )
    if dry_run:
        return policy
    return ports.policies.upsert_policy(backend.policy_made(ports, policy), if_none_match=True)


def update_policy(
    ports: PolicyPorts,
    tenant_id: str,
    policy_id: str,
    patch: ProvisioningPolicyUpdate,
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> ProvisioningPolicy:
    """Not retroactive: Cloud PCs already provisioned keep the settings they were built with."""

    backend = ports.backends.of(tenant_id)

    def change(current: ProvisioningPolicy) -> ProvisioningPolicy:
        updated = merge_patch(current, patch, ProvisioningPolicyCreate, ports.clock())
        image_name, template = _check_references(ports, tenant_id, updated_fields(updated))
        updated = updated.model_copy(update={"image_display_name": image_name, "cloud_pc_naming_template": template})
        backend.check_policy(updated_fields(updated), current)
        return updated

    def save(policy: ProvisioningPolicy, etag: str | None) -> ProvisioningPolicy:
        backend.policy_changed(ports, policy)
        return ports.policies.upsert_policy(policy, if_match=etag)

    return update_with_etag(
        lambda: ports.policies.get_policy(tenant_id, policy_id), change, save, if_match=if_match, dry_run=dry_run
    )


def updated_fields(policy: ProvisioningPolicy) -> PolicyFields:
    return PolicyFields.model_validate(policy.model_dump(by_alias=True, include=set(PolicyFields.model_fields)))


def delete_policy(ports: PolicyPorts, tenant_id: str, policy_id: str, *, if_match: str | None) -> None:
    policy = ports.policies.get_policy(tenant_id, policy_id)
    if policy.assignments:
        groups = ", ".join(a.group_id for a in policy.assignments)
        raise Conflict(
            f"Policy '{policy.display_name}' is assigned to {groups}; remove its assignments first.",
            code="policyAssigned",
            target="assignments",
        )
    ports.backends.of(tenant_id).policy_deleted(ports, policy)
    ports.policies.delete_policy(tenant_id, policy_id, if_match=if_match or policy.etag)


def assign_policy(
    ports: PolicyPorts, tenant_id: str, policy_id: str, request: AssignRequest, *, dry_run: bool = False
) -> tuple[ProvisioningPolicy, AssignmentPlan]:
    """Replace the policy's assignments; groups that stay keep their original assignment time."""
    ports.policies.get_policy(tenant_id, policy_id)  # an unknown policy is a 404 before the directory is asked
    group_ids = list(dict.fromkeys(a.group_id for a in request.assignments))
    members = GroupsRead()
    problems = [
        ErrorDetail("groupNotFound", f"Group '{group_id}' does not exist.", f"assignments[{index}].groupId")
        for index, group_id in enumerate(group_ids)
        if not members.read(ports.directory, tenant_id, group_id)
    ]
    if problems:
        raise ValidationFailed.of(*problems)
    now = ports.clock()
    plan: AssignmentPlan | None = None

    def change(current: ProvisioningPolicy) -> ProvisioningPolicy:
        nonlocal plan
        kept = {a.group_id: a for a in current.assignments}
        assignments = [
            kept.get(group_id) or Assignment(id=ports.new_id(), group_id=group_id, assigned_date_time=now)
            for group_id in group_ids
        ]
        updated = current.model_copy(update={"assignments": assignments, "last_modified_date_time": now})
        plan = plan_assignment(ports, tenant_id, current, updated, members)
        return updated

    before_groups: list[str] = []

    def load() -> ProvisioningPolicy:
        current = ports.policies.get_policy(tenant_id, policy_id)
        before_groups[:] = [a.group_id for a in current.assignments]
        return current

    backend = ports.backends.of(tenant_id)

    def save(updated: ProvisioningPolicy, etag: str | None) -> ProvisioningPolicy:
        backend.policy_assigned(ports, updated)
        return ports.policies.upsert_policy(updated, if_match=etag)

    policy = update_with_etag(load, change, save, if_match=None, dry_run=dry_run)
    assert plan is not None
    if not dry_run:
        # reconciliation starts from the same hint a directory change would give
        ports.events.publish_directory_event(tenant_id, group_ids=list(dict.fromkeys(before_groups + group_ids)))
    return policy, plan


def plan_assignment(
    ports: AssignmentPlanPorts,
    tenant_id: str,
    before: ProvisioningPolicy,
    after: ProvisioningPolicy,
    read: GroupsRead,
) -> AssignmentPlan:
    """Who gets, keeps out of, or loses a Cloud PC from this policy if `after` replaces `before` (`read`: the groups
    read so far, and read into)."""
    others = [p for p in ports.policies.list_all_policies(tenant_id) if p.id != after.id]
    for policy in [*others, before]:
        for assignment in policy.assignments:
            read.read(ports.directory, tenant_id, assignment.group_id)
    members = read.members
    winners_before = winning_policies([*others, before], members)
    winners_after = winning_policies([*others, after], members)
    targeted = {u for a in after.assignments for u in members.get(a.group_id, [])}
    losing = {u for u, w in winners_before.items() if w.policy_id == after.id} - {
        u for u, w in winners_after.items() if w.policy_id == after.id
    }
    users = read.users_among(ports.directory, tenant_id, targeted | losing)
    summary = PlanSummary(members_not_found=len((targeted | losing) - set(users)))
    entries: list[PlanEntry] = []
    for user_id in sorted(targeted | losing):
        user = users.get(user_id)
        if user is None:
            continue
        slots = license_slots(user)
        winner = winners_after.get(user_id)
        action: PlanAction
        if user_id in losing:
            action, count = "lose", len(slots)
            reason = "No longer targeted by this policy: its Cloud PCs enter the grace period" + (
                f"; '{winner.policy_name}' serves the user instead." if winner else "."
            )
            summary.lose += 1
        elif winner is not None and winner.policy_id != after.id:
            action, count = "servedByEarlierPolicy", 0
            reason = (
                f"Policy '{winner.policy_name}' was assigned first "
                f"(group {winner.group_id} at {winner.assigned_date_time:%Y-%m-%dT%H:%M:%S}Z)."
            )
            summary.served_by_earlier_policy += 1
        elif not slots:
            action, count, reason = "noLicense", 0, "The user has no Windows 365 license."
            summary.no_license += 1
        else:
            action, count, reason = "provision", len(slots), f"{len(slots)} license(s): one Cloud PC each."
            summary.provision += 1
            summary.cloud_pcs += len(slots)
        entries.append(
            PlanEntry(
                user_id=user_id,
                user_principal_name=user.user_principal_name,
                action=action,
                cloud_pc_count=count,
                service_plan_ids=[slot.service_plan_id for slot in slots],
                winning_policy_id=winner.policy_id if winner else None,
                winning_policy_name=winner.policy_name if winner else None,
                reason=reason,
            )
        )
    return AssignmentPlan(
        policy_id=after.id, group_ids=[a.group_id for a in after.assignments], summary=summary, users=entries
    )
