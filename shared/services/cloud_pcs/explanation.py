"""Explaining targeting to a person: which policy serves a user and why, and the Cloud PCs that follow from it.

`explain` is pure: it applies targeting's rule (earliest assignment wins, ties by policy id, one Cloud PC per
Windows 365 license) exactly as the reconcile does, and only adds words. `explain_user` reads its inputs.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import NotFound
from shared.models.cloud_pcs import CloudPc
from shared.models.explanations import (
    ExpectedCloudPc,
    HeldCloudPc,
    LicenseCount,
    PolicyCandidate,
    PolicyChoice,
    ProvisioningExplanation,
)
from shared.models.policies import ProvisioningPolicy
from shared.ports.directory import Directory, DirectoryUser
from shared.ports.stores import CloudPcStore, PolicyStore
from shared.services.configuration.targeting import Slot, Winner, desired_slots, license_slots, winning_policies


class ExplanationPorts(Protocol):
    """What decides whether a user gets a Cloud PC: the directory, the tenant's policies and its Cloud PCs."""

    @property
    def directory(self) -> Directory: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...


def explain_user(ports: ExplanationPorts, tenant_id: str, user_id: str) -> ProvisioningExplanation:
    """Reads the user, the policies, which assigned groups hold the user and the user's Cloud PCs, then explains."""
    user = _find_user(ports, tenant_id, user_id)
    if user is None:
        raise _unknown_user(user_id)
    policies = ports.policies.list_all_policies(tenant_id)
    groups = list(dict.fromkeys(a.group_id for p in policies for a in p.assignments))
    # one checkMemberGroups call instead of listing every assigned group's members, as a user hint does
    member_of = ports.directory.member_groups(tenant_id, user.id, groups)
    named = list(dict.fromkeys([*member_of, *(g.group_id for g in user.group_licenses)]))[:MAX_NAMED_GROUPS]
    found = {group_id: ports.directory.get_group(tenant_id, group_id) for group_id in named}
    names = {group_id: group.display_name for group_id, group in found.items() if group and group.display_name}
    cloud_pcs = ports.cloud_pcs.list_users_cloud_pcs(tenant_id, user.id)
    return explain(user_id, user, policies, member_of, cloud_pcs, names)


# groups named in an explanation, one Graph read each; beyond these (rare: a user in many assigned groups) ids show
MAX_NAMED_GROUPS = 20


def _find_user(ports: ExplanationPorts, tenant_id: str, user_id: str) -> DirectoryUser | None:
    try:
        uuid.UUID(user_id)
    except ValueError:
        return None  # Entra object ids are GUIDs: anything else names no user (and Graph would refuse the filter)
    return next(iter(ports.directory.get_users(tenant_id, [user_id]).values()), None)


def _unknown_user(user_id: str) -> NotFound:
    return NotFound.resource("User", user_id, "userId")


def explain(
    user_id: str,
    user: DirectoryUser | None,
    policies: Iterable[ProvisioningPolicy],
    member_of: Collection[str],
    cloud_pcs: Iterable[CloudPc],
    group_names: Mapping[str, str] | None = None,
) -> ProvisioningExplanation:
    """Why `user` has or would get Cloud PCs; `member_of`: which of the policies' assigned groups hold the user;
    `group_names`: the display names of those groups that have one (the others are shown by id)."""
    if user is None:
        raise _unknown_user(user_id)
    policies = list(policies)
    members = {group_id: [user.id] for group_id in member_of}
    winner = winning_policies(policies, members).get(user.id)
    # each policy's own deciding assignment, found and ordered by the same rule that picks the winner
    standings = sorted(w for p in policies if (w := winning_policies([p], members).get(user.id)) is not None)
    by_id = {p.id: p for p in policies}
    slots = license_slots(user)
    desired = desired_slots({user.id: winner}, {user.id: user}) if winner else {}
    held = sorted(cloud_pcs, key=lambda c: (c.service_plan_id, c.slot_index, c.created_date_time, c.id))
    said = _Words(group_names or {})
    by_slot: dict[Slot, list[CloudPc]] = {}
    for cloud_pc in held:
        by_slot.setdefault(_slot_of(cloud_pc), []).append(cloud_pc)
    return ProvisioningExplanation(
        user_id=user.id,
        user_principal_name=user.user_principal_name,
        display_name=user.display_name,
        winning_policy=said.choice(winner) if winner else None,
        reason=f"{said.reason(winner, standings, slots)}{said.group_licensing(user)}",
        candidates=[
            PolicyCandidate(
                **said.choice(s).model_dump(by_alias=False),
                matching_group_ids=_matching_groups(by_id[s.policy_id], members),
                wins=s == winner,
                reason=said.candidate_reason(s, winner, standings),
            )
            for s in standings
        ],
        licenses=_licenses(slots, user),
        cloud_pcs=[_held(c, user, winner, desired.get(_slot_of(c))) for c in held],
        expected=[_expected(slot, served_by, by_slot.get(slot, [])) for slot, served_by in desired.items()],
    )


def _slot_of(cloud_pc: CloudPc) -> Slot:
    return Slot(cloud_pc.user_id, cloud_pc.service_plan_id, cloud_pc.slot_index)


def _matching_groups(policy: ProvisioningPolicy, members: Collection[str]) -> list[str]:
    ordered = sorted(policy.assignments, key=lambda a: (a.assigned_date_time, a.group_id))
    return [a.group_id for a in ordered if a.group_id in members]


def _plan_name(plan_id: str) -> str:
    plan = SERVICE_PLANS_BY_ID.get(plan_id)
    return plan.display_name if plan else plan_id


def _licenses(slots: list[Slot], user: DirectoryUser) -> list[LicenseCount]:
    counts: dict[str, int] = {}
    for slot in slots:
        counts[slot.service_plan_id] = counts.get(slot.service_plan_id, 0) + 1
    return [
        LicenseCount(
            service_plan_id=p, service_plan_name=_plan_name(p), count=n, assigned_by_group_ids=user.groups_assigning(p)
        )
        for p, n in counts.items()
    ]


def _when(moment: datetime) -> str:
    # milliseconds: two assignments made in the same second must not read as a tie
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tied_with(winner: Winner, standings: list[Winner]) -> list[Winner]:
    return [s for s in standings if s != winner and s.assigned_date_time == winner.assigned_date_time]


def _names(choices: list[Winner]) -> str:
    return ", ".join(f"'{c.policy_name}'" for c in choices)


class _Words:
    """The explanation's sentences, naming each group by its display name where it has one."""

    def __init__(self, group_names: Mapping[str, str]) -> None:
        self.group_names = group_names

    def group(self, group_id: str) -> str:
        name = self.group_names.get(group_id)
        return f"'{name}'" if name else group_id

    def choice(self, winner: Winner) -> PolicyChoice:
        return PolicyChoice(
            policy_id=winner.policy_id,
            policy_name=winner.policy_name,
            group_id=winner.group_id,
            group_display_name=self.group_names.get(winner.group_id),
            assigned_date_time=winner.assigned_date_time,
        )

    def _via(self, choice: Winner) -> str:
        return f"group {self.group(choice.group_id)} at {_when(choice.assigned_date_time)}"

    def reason(self, winner: Winner | None, standings: list[Winner], slots: list[Slot]) -> str:
        if winner is None:
            targeting = (
                "No provisioning policy applies: the user is not a direct member of any group a policy is assigned to."
            )
        elif tied := _tied_with(winner, standings):
            targeting = (
                f"'{winner.policy_name}' serves the user: it and {_names(tied)} were assigned at the same moment "
                f"({self._via(winner)}), and ties go to the lowest policy id."
            )
        elif len(standings) > 1:
            targeting = (
                f"'{winner.policy_name}' serves the user: of the {len(standings)} policies assigned to groups the user "
                f"is in, it was assigned first ({self._via(winner)}), and the earliest assignment wins."
            )
        else:
            targeting = (
                f"'{winner.policy_name}' serves the user: it is the only policy assigned to a group the user is in "
                f"({self._via(winner)})."
            )
        if not slots:
            licensing = "The user has no Windows 365 license, so no Cloud PC is provisioned."
        elif winner is None:
            licensing = f"The user holds {len(slots)} Windows 365 license(s), but without a policy none is used."
        else:
            licensing = f"The user holds {len(slots)} Windows 365 license(s): one Cloud PC each, from this policy."
        return f"{targeting} {licensing}"

    def candidate_reason(self, candidate: Winner, winner: Winner | None, standings: list[Winner]) -> str:
        assert winner is not None  # a candidate exists only when some policy targets the user
        via = self._via(candidate)
        if candidate == winner:
            if tied := _tied_with(winner, standings):
                return (
                    f"Assigned at the same moment as {_names(tied)} ({via}); ties go to the lowest policy id, which "
                    "is this one's, so it provisions the user's Cloud PCs."
                )
            if len(standings) > 1:
                return f"Assigned first ({via}): the earliest assignment wins, so it provisions the user's Cloud PCs."
            return f"The only policy targeting the user ({via}), so it provisions the user's Cloud PCs."
        if candidate.assigned_date_time == winner.assigned_date_time:
            return (
                f"Assigned at the same moment as '{winner.policy_name}' ({via}); ties go to the lowest policy id, "
                f"so '{winner.policy_name}' wins."
            )
        return (
            f"Assigned later ({via}) than '{winner.policy_name}' ({self._via(winner)}): the earliest assignment wins."
        )

    def group_licensing(self, user: DirectoryUser) -> str:
        """What groups do to the user's licenses (Entra group-based licensing, from licenseAssignmentStates)."""
        said = []
        for plan_id in dict.fromkeys(g.service_plan_id for g in user.group_licenses if g.error is None):
            groups = ", ".join(self.group(g) for g in user.groups_assigning(plan_id))
            said.append(
                f" The {_plan_name(plan_id)} license comes from group {groups} (group-based licensing): only the "
                "group's license assignment can change or remove it."
            )
        for failed in (g for g in user.group_licenses if g.error is not None):
            said.append(
                f" Group {self.group(failed.group_id)} assigns a {_plan_name(failed.service_plan_id)} license that "
                f"Entra ID could not apply ({failed.error}), so the user does not hold it through that group."
            )
        return "".join(said)


def _expected(slot: Slot, served_by: Winner, on_slot: list[CloudPc]) -> ExpectedCloudPc:
    # as the reconcile matches them: a license's Cloud PC is the one made from the policy serving it now
    current = next((c for c in on_slot if c.provisioning_policy_id == served_by.policy_id), None)
    others = [c for c in on_slot if c is not current]
    return ExpectedCloudPc(
        service_plan_id=slot.service_plan_id,
        service_plan_name=_plan_name(slot.service_plan_id),
        slot_index=slot.index,
        provisioning_policy_id=served_by.policy_id,
        provisioning_policy_name=served_by.policy_name,
        existing_cloud_pc_id=current.id if current else None,
        other_policy_cloud_pc_ids=[c.id for c in others],
        note=_expected_note(served_by, current, others),
    )


def _expected_note(served_by: Winner, current: CloudPc | None, others: list[CloudPc]) -> str:
    if current is not None:
        status = _targeted_status(current)
    elif others:
        status = (
            f"The Cloud PC from '{served_by.policy_name}' is made beside it and starts when a license of this plan "
            "is free (end the grace period to free it now)."
        )
    else:
        return (
            f"No Cloud PC yet: the next reconcile creates one from '{served_by.policy_name}' (it waits for a free "
            "license while Cloud PCs in their grace period hold all of this plan's licenses)."
        )
    if not others:
        return status
    # the reconcile keeps a former policy's Cloud PC through its grace period, and license_room counts it as held
    return (
        f"A Cloud PC from another policy still holds this license ({'; '.join(_holder(c) for c in others)}): "
        f"its policy no longer serves the user, so it keeps the license until its grace period ends. {status}"
    )


def _holder(cloud_pc: CloudPc) -> str:
    until = cloud_pc.grace_period_end_date_time
    state = f"in its grace period until {_when(until)}" if cloud_pc.status == "inGracePeriod" and until else None
    return f"'{cloud_pc.display_name}' from '{cloud_pc.provisioning_policy_name}', {state or cloud_pc.status}"


def _targeted_status(cloud_pc: CloudPc) -> str:
    detail = cloud_pc.status_detail
    if cloud_pc.status == "pendingProvision" and detail is not None and detail.code == "waitingForLicense":
        return f"Waiting for a license: {detail.message}"
    if cloud_pc.status == "failed":
        why = f": {detail.summary or detail.message}" if detail else ""
        return f"Provisioning failed{why.rstrip('.')}. Retry it for a fresh set of attempts."
    if cloud_pc.status == "inGracePeriod":
        return "In its grace period, but the user is targeted and licensed again: the next reconcile restores it."
    return {
        "provisioned": "Provisioned.",
        "provisionedWithWarnings": "Provisioned with warnings.",
        "pendingProvision": "Waiting to start provisioning.",
        "provisioning": "Provisioning now.",
    }.get(cloud_pc.status, f"Status {cloud_pc.status}.")


def _held(cloud_pc: CloudPc, user: DirectoryUser, winner: Winner | None, served_by: Winner | None) -> HeldCloudPc:
    expected = served_by is not None and served_by.policy_id == cloud_pc.provisioning_policy_id
    return HeldCloudPc(
        id=cloud_pc.id,
        display_name=cloud_pc.display_name,
        managed_device_name=cloud_pc.managed_device_name,
        status=cloud_pc.status,
        status_detail=cloud_pc.status_detail,
        service_plan_id=cloud_pc.service_plan_id,
        service_plan_name=cloud_pc.service_plan_name,
        slot_index=cloud_pc.slot_index,
        provisioning_policy_id=cloud_pc.provisioning_policy_id,
        provisioning_policy_name=cloud_pc.provisioning_policy_name,
        grace_period_end_date_time=cloud_pc.grace_period_end_date_time,
        expected=expected,
        note=_targeted_status(cloud_pc) if expected else _untargeted_note(cloud_pc, user, winner, served_by),
    )


def _untargeted_note(cloud_pc: CloudPc, user: DirectoryUser, winner: Winner | None, served_by: Winner | None) -> str:
    """What becomes of a Cloud PC the rule no longer wants (the reconcile's untargeted branch), and why."""
    if winner is None:
        why = "The user is in no group a policy is assigned to"
    elif cloud_pc.service_plan_id not in user.licenses:
        why = "The user no longer holds a license of this plan"
    elif served_by is None:
        count = user.licenses.count(cloud_pc.service_plan_id)
        why = f"The user holds {count} license(s) of this plan; this Cloud PC served license #{cloud_pc.slot_index + 1}"
    else:
        why = f"'{cloud_pc.provisioning_policy_name}' no longer serves the user; '{served_by.policy_name}' does"
    if cloud_pc.status == "inGracePeriod":
        until = cloud_pc.grace_period_end_date_time
        return (
            f"{why}: in its grace period{f' until {_when(until)}' if until else ''}, keeping its license until "
            "then; if its policy serves the licensed user again in time, it comes back."
        )
    return why + {
        "provisioned": ": the next reconcile starts its grace period.",
        "provisionedWithWarnings": ": the next reconcile starts its grace period.",
        "provisioning": ": it enters its grace period once provisioning settles.",
        "pendingProvision": ": it never started, so the next reconcile removes it.",
        "failed": ": the next reconcile deprovisions it.",
    }.get(cloud_pc.status, f" (status {cloud_pc.status}).")
