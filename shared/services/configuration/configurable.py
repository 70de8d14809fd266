"""The kinds of a tenant's configuration, one registry: how each is listed, named, read as a body, made and patched.

Windows 365's user settings are made, changed and assigned through the tenant's backend (`ports.backends`), whose
windows365 adapter holds them: the backends import this package, so it cannot call their service itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.alerts import AlertRule, AlertRuleCreate, AlertRuleUpdate
from shared.models.connections import Connection, ConnectionCreate, ConnectionUpdate
from shared.models.images import DeviceImage, DeviceImageCreate
from shared.models.orchestrations import HealthCheckRun, ImageImport, SpotGroupRun
from shared.models.policies import AssignRequest, ProvisioningPolicy, ProvisioningPolicyCreate, ProvisioningPolicyUpdate
from shared.models.spot_group_records import SavedSchedule
from shared.models.spot_groups import SpotGroup, SpotGroupCreate, SpotGroupUpdate
from shared.models.spot_schedules import SpotGroupSchedule
from shared.models.templates import FieldChange
from shared.models.tenants import ReclaimRule, Tenant, TenantUpdate
from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
from shared.ports.configuration_ports import UserSettingSyncPorts
from shared.services.access.tenants import TenantPorts, update_tenant
from shared.services.configuration import connections, device_images, policies
from shared.services.configuration.naming import parse_template
from shared.services.monitoring import alert_rules
from shared.services.spot_pc import group_schedules, spot_groups

Obj = TypeVar("Obj")


@dataclass(frozen=True)
class AccessFollows:
    """A Spot Group whose license count changed while its hosts stay: who holds its desktop follows now."""

    group: SpotGroup


Work = HealthCheckRun | ImageImport | SpotGroupRun | AccessFollows  # for the Functions side, once an object is saved


class ConfigurationPorts(
    connections.ConnectionPorts,
    device_images.DeviceImagePorts,
    policies.PolicyPorts,
    spot_groups.SpotGroupAdminPorts,
    group_schedules.GroupSchedulePorts,
    alert_rules.RulePorts,
    TenantPorts,
    UserSettingSyncPorts,
    Protocol,
):
    """Every configurable kind's ports together."""


@dataclass(frozen=True)
class Written:
    """An object saved (or, on a dry run, checked), and the background work its save asks for."""

    value: Any
    work: tuple[Work, ...] = ()


@dataclass(frozen=True)
class GroupSchedule:
    """A pooled Spot Group's saved schedule, with the group that names it."""

    group: SpotGroup
    schedule: SavedSchedule

    @property
    def etag(self) -> str | None:
        return self.schedule.etag


Body = dict[str, Any]


@dataclass(frozen=True)
class Configurable(Generic[Obj]):
    """One kind: `fields(obj)` is its create body as it stands (camelCase, ids as stored); `create` makes one from a
    body, `patch` changes one by the fields given (If-Match: the object's etag); both only check on `dry_run`."""

    kind: str
    create_model: type[BaseModel]
    update_model: type[BaseModel] | None
    list_all: Callable[[ConfigurationPorts, str], list[Obj]]
    name: Callable[[Obj], str]
    fields: Callable[[Obj], Body]
    create: Callable[[ConfigurationPorts, str, Body, bool], Written]
    patch: Callable[[ConfigurationPorts, str, Obj, Body, bool], Written]
    extra: frozenset[str] = field(default=frozenset())  # body fields outside the create model (assignments)
    # `body` as `fields` reads it back: without its write-only values (a password, a webhook's secret), which are
    # sent along when their object is made or their field changes, and are never a change by themselves
    readable: Callable[[Body], Body] = field(default=lambda body: body)
    # the body's field `name` reads (a template finds its object by it); empty: the tenant has one, always
    name_field: str = "displayName"
    # the kind's rules its service checks that need nothing of a tenant, on the fields a body has
    rules: Callable[[Body], list[ErrorDetail]] = field(default=lambda body: [])
    # where a body holds a credential (paths such as `channels[1]`): a template and its tenants' parameters are kept
    # in Table Storage, so they never hold one; the kind's service keeps it in Key Vault when it is given directly
    credentials: Callable[[Body], list[str]] = field(default=lambda body: [])

    @property
    def settable(self) -> frozenset[str]:
        """Every field of the kind's body."""
        return frozenset(_aliases(self.create_model) | self.extra)

    @property
    def fixed(self) -> frozenset[str]:
        """The fields set when one is made and never changed after (the create model's, not the update model's)."""
        settable = _aliases(self.update_model) | self.extra if self.update_model else self.extra
        return frozenset(_aliases(self.create_model) - settable)

    def normalized(self, body: Body) -> Body:
        """`body` as its models read it (defaults of nested objects filled, text trimmed), keeping only its fields;
        raises ValidationFailed at each bad field."""
        own = {k: v for k, v in body.items() if k not in self.extra}
        checked = self.create_model.model_validate(own).model_dump(mode="json", by_alias=True, exclude_none=True)
        return {k: checked.get(k, v) for k, v in body.items()}

    def shown_changes(self, current: Body, desired: Body) -> list[FieldChange]:
        """The changes a plan shows of an object: each field `desired` changes."""
        return field_changes(current, desired)


def field_changes(current: Mapping[str, Any], desired: Mapping[str, Any]) -> list[FieldChange]:
    """The fields `desired` sets to something other than `current` has; nested objects compare by value, and a field
    `desired` leaves out is no change."""
    return [
        FieldChange(field=name, current=current.get(name), desired=value)
        for name, value in desired.items()
        if current.get(name) != value
    ]


def _aliases(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def all_pages(read: Callable[[str | None], tuple[list[Obj], str | None]]) -> Iterator[Obj]:
    token: str | None = None
    while True:
        items, token = read(token)
        yield from items
        if not token:
            return


def _body(obj: BaseModel, model: type[BaseModel]) -> Body:
    """`obj`'s values of `model`'s fields, as `model` reads them; None left out (no field of a body needs it)."""
    names = set(model.model_fields) & set(type(obj).model_fields)
    dumped = obj.model_dump(mode="json", by_alias=True, include=names, exclude_none=True)
    return model.model_validate(dumped).model_dump(mode="json", by_alias=True, exclude_none=True)


def _assignments(obj: ProvisioningPolicy | UserSetting) -> list[Body]:
    return [{"groupId": a.group_id} for a in obj.assignments]


def _groups_missing(ports: ConfigurationPorts, tenant_id: str, body: Body) -> None:
    request = _assign_request(body)
    problems = [
        ErrorDetail("groupNotFound", f"Group '{a.group_id}' does not exist.", f"assignments[{index}].groupId")
        for index, a in enumerate(request.assignments)
        if ports.directory.list_group_members(tenant_id, a.group_id) is None
    ]
    if problems:
        raise ValidationFailed.of(*problems)


def _without(body: Body, *names: str) -> Body:
    return {k: v for k, v in body.items() if k not in names}


# connections: a password is write-only, so a body may carry one but `fields` never does


def _create_connection(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    made = connections.create_connection(ports, tenant_id, ConnectionCreate.model_validate(body), dry_run=dry_run)
    return Written(made, () if dry_run else (HealthCheckRun.of(made),))


def _patch_connection(ports: ConfigurationPorts, tenant_id: str, obj: Connection, body: Body, dry_run: bool) -> Written:
    patch = ConnectionUpdate.model_validate(body)
    changed = connections.update_connection(ports, tenant_id, obj.id, patch, if_match=obj.etag, dry_run=dry_run)
    rerun = not dry_run and changed.health_check_run != obj.health_check_run
    return Written(changed, (HealthCheckRun.of(changed),) if rerun else ())


CONNECTIONS = Configurable[Connection](
    kind="connection",
    create_model=ConnectionCreate,
    update_model=ConnectionUpdate,
    list_all=lambda ports, t: list(
        all_pages(lambda token: ports.connections.list_connections(t, top=100, skip_token=token))
    ),
    name=lambda c: c.display_name,
    fields=lambda c: _body(c, ConnectionCreate),
    create=_create_connection,
    patch=_patch_connection,
    readable=lambda body: _without(body, "adDomainPassword"),
)


# device images: made once per name and version, never changed (a new version is a new image)


def _create_image(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    made = device_images.create_image(ports, tenant_id, DeviceImageCreate.model_validate(body), dry_run=dry_run)
    return Written(made, () if dry_run else (ImageImport(tenant_id=tenant_id, image_id=made.id),))


def _no_patch(kind: str) -> Callable[[ConfigurationPorts, str, Any, Body, bool], Written]:
    def refuse(ports: ConfigurationPorts, tenant_id: str, obj: Any, body: Body, dry_run: bool) -> Written:
        raise ValidationFailed.of(
            *(ErrorDetail("notUpdatable", f"A {kind}'s {name} is set when it is made.", name) for name in body)
        )

    return refuse


DEVICE_IMAGES = Configurable[DeviceImage](
    kind="deviceImage",
    create_model=DeviceImageCreate,
    update_model=None,
    list_all=lambda ports, t: ports.images.list_all_images(t),
    name=lambda i: f"{i.display_name}@{i.version}",
    fields=lambda i: _body(i, DeviceImageCreate),
    create=_create_image,
    patch=_no_patch("device image"),
)


# a kind assigned to groups (policies, user settings): its settings saved, then its assignments, each by its service

Made = Callable[[Body, bool], Any]  # the settings and dry_run: the object made or changed
Assign = Callable[[str, AssignRequest, bool], Any]  # its id, the groups and dry_run: the object assigned


def _assign_request(body: Body) -> AssignRequest:
    return AssignRequest.model_validate({"assignments": body.get("assignments", [])})


def _create_assigned(
    ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool, *, make: Made, assign: Assign
) -> Written:
    """Made, then assigned to the body's groups; a dry run checks the groups exist instead of assigning."""
    settings = _without(body, "assignments")
    if dry_run:
        _groups_missing(ports, tenant_id, body)
        return Written(make(settings, True))
    made = make(settings, False)
    if body.get("assignments"):
        made = assign(made.id, _assign_request(body), False)
    return Written(made)


def _patch_assigned(obj: Any, body: Body, dry_run: bool, *, update: Made, assign: Assign) -> Written:
    """The settings the body changes, then its assignments when it names them."""
    changed = obj
    settings = _without(body, "assignments")
    if settings:
        changed = update(settings, dry_run)
    if "assignments" in body:
        changed = assign(obj.id, _assign_request(body), dry_run)
    return Written(changed)


# provisioning policies, with the groups they are assigned to


def _create_policy(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    return _create_assigned(
        ports,
        tenant_id,
        body,
        dry_run,
        make=lambda settings, dry: policies.create_policy(
            ports, tenant_id, ProvisioningPolicyCreate.model_validate(settings), dry_run=dry
        ),
        assign=lambda made_id, request, dry: policies.assign_policy(ports, tenant_id, made_id, request, dry_run=dry)[0],
    )


def _patch_policy(
    ports: ConfigurationPorts, tenant_id: str, obj: ProvisioningPolicy, body: Body, dry_run: bool
) -> Written:
    return _patch_assigned(
        obj,
        body,
        dry_run,
        update=lambda settings, dry: policies.update_policy(
            ports, tenant_id, obj.id, ProvisioningPolicyUpdate.model_validate(settings), if_match=obj.etag, dry_run=dry
        ),
        assign=lambda made_id, request, dry: policies.assign_policy(ports, tenant_id, made_id, request, dry_run=dry)[0],
    )


POLICIES = Configurable[ProvisioningPolicy](
    kind="provisioningPolicy",
    create_model=ProvisioningPolicyCreate,
    update_model=ProvisioningPolicyUpdate,
    list_all=lambda ports, t: ports.policies.list_all_policies(t),
    name=lambda p: p.display_name,
    fields=lambda p: {**_body(p, ProvisioningPolicyCreate), "assignments": _assignments(p)},
    create=_create_policy,
    patch=_patch_policy,
    extra=frozenset({"assignments"}),
    rules=lambda body: parse_template(body["cloudPcNamingTemplate"])[1] if body.get("cloudPcNamingTemplate") else [],
)


# Windows 365 user settings (windows365 tenants), with the groups they apply to


def _create_user_setting(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    backend = ports.backends.of(tenant_id)
    return _create_assigned(
        ports,
        tenant_id,
        body,
        dry_run,
        make=lambda settings, dry: backend.create_user_setting(
            ports, tenant_id, UserSettingCreate.model_validate(settings), dry_run=dry
        ),
        assign=lambda made_id, request, dry: backend.assign_user_setting(
            ports, tenant_id, made_id, request, dry_run=dry
        ),
    )


def _patch_user_setting(
    ports: ConfigurationPorts, tenant_id: str, obj: UserSetting, body: Body, dry_run: bool
) -> Written:
    backend = ports.backends.of(tenant_id)
    return _patch_assigned(
        obj,
        body,
        dry_run,
        update=lambda settings, dry: backend.update_user_setting(
            ports, tenant_id, obj.id, UserSettingUpdate.model_validate(settings), if_match=obj.etag, dry_run=dry
        ),
        assign=lambda made_id, request, dry: backend.assign_user_setting(
            ports, tenant_id, made_id, request, dry_run=dry
        ),
    )


USER_SETTINGS = Configurable[UserSetting](
    kind="userSetting",
    create_model=UserSettingCreate,
    update_model=UserSettingUpdate,
    list_all=lambda ports, t: list(
        all_pages(lambda token: ports.user_settings.list_user_settings(t, top=100, skip_token=token))
    ),
    name=lambda s: s.display_name,
    fields=lambda s: {**_body(s, UserSettingCreate), "assignments": _assignments(s)},
    create=_create_user_setting,
    patch=_patch_user_setting,
    extra=frozenset({"assignments"}),
)


# Spot Groups: Azure follows a save through a run the Functions side starts


def _create_spot_group(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    data = SpotGroupCreate.model_validate(body)
    if dry_run:
        return Written(spot_groups.plan(ports, tenant_id, data)[0])
    group, run = spot_groups.create_spot_group(ports, tenant_id, data)
    return Written(group, (run,))


def _patch_spot_group(ports: ConfigurationPorts, tenant_id: str, obj: SpotGroup, body: Body, dry_run: bool) -> Written:
    patch = SpotGroupUpdate.model_validate(body)
    group, run = spot_groups.update_spot_group(ports, tenant_id, obj.id, patch, if_match=obj.etag, dry_run=dry_run)
    if dry_run:
        return Written(group)
    if run is None and "license_count" in patch.model_fields_set:
        return Written(group, (AccessFollows(group),))
    return Written(group, (run,) if run else ())


def _spot_group_fields(group: SpotGroup) -> Body:
    return _body(group, SpotGroupCreate)


def _all_spot_groups(ports: ConfigurationPorts, tenant_id: str) -> list[SpotGroup]:
    return list(all_pages(lambda token: ports.spot_groups.list_spot_groups(tenant_id, top=100, skip_token=token)))


SPOT_GROUPS = Configurable[SpotGroup](
    kind="spotGroup",
    create_model=SpotGroupCreate,
    update_model=SpotGroupUpdate,
    list_all=_all_spot_groups,
    name=lambda g: g.name,
    name_field="name",
    fields=_spot_group_fields,
    create=_create_spot_group,
    patch=_patch_spot_group,
)


# a pooled Spot Group's schedule (one saved in place of the default); its body names the group by id


def _schedules(ports: ConfigurationPorts, tenant_id: str) -> list[GroupSchedule]:
    found = []
    for group in _all_spot_groups(ports, tenant_id):
        saved = ports.schedules.find_schedule(tenant_id, group.id) if group.user_type == "pooled" else None
        if saved is not None:
            found.append(GroupSchedule(group, saved))
    return found


def _schedule_fields(item: GroupSchedule) -> Body:
    return {"spotGroupId": item.group.id, **_body(item.schedule, SpotGroupSchedule)}


def _save_schedule(
    ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool, if_match: str | None
) -> Written:
    group = group_schedules.pooled_group(ports, tenant_id, str(body.get("spotGroupId", "")))
    schedule = SpotGroupSchedule.model_validate(_without(body, "spotGroupId"))
    if dry_run:
        return Written(schedule)
    return Written(group_schedules.save_schedule(ports, group, schedule, if_match=if_match))


SCHEDULES = Configurable[GroupSchedule](
    kind="spotGroupSchedule",
    create_model=SpotGroupSchedule,
    update_model=SpotGroupSchedule,
    list_all=_schedules,
    name=lambda item: item.group.name,
    fields=_schedule_fields,
    create=lambda ports, t, body, dry_run: _save_schedule(ports, t, body, dry_run, None),
    # a schedule is saved whole: the patch's fields over the current ones
    patch=lambda ports, t, item, body, dry_run: _save_schedule(
        ports, t, {**_schedule_fields(item), **body}, dry_run, item.etag
    ),
    extra=frozenset({"spotGroupId"}),
)


# alert rules: a webhook's secret is write-only, and a Teams address is kept masked, as the rules' GET shows them


def _rule_fields(rule: AlertRule) -> Body:
    channels = [
        channel.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"secret_set", "secret_name"})
        for channel in rule.channels
    ]
    for channel in channels:
        if not channel.get("to"):
            channel.pop("to", None)
    plain = rule.model_dump(mode="json", by_alias=True, include=set(AlertRuleCreate.model_fields) - {"channels"})
    return {**{k: v for k, v in plain.items() if v is not None}, "channels": channels}


def _rule_without_secrets(body: Body) -> Body:
    channels = body.get("channels")
    if not isinstance(channels, list):
        return body
    return {**body, "channels": [_without(c, "secret") if isinstance(c, dict) else c for c in channels]}


def _rule_credentials(body: Body) -> list[str]:
    """A webhook (signed with its secret) and a Teams channel (its address is the key to post) each hold one."""
    channels = body.get("channels")
    if not isinstance(channels, list):
        return []
    return [
        f"channels[{i}]"
        for i, channel in enumerate(channels)
        if isinstance(channel, dict) and channel.get("kind") in {"webhook", "teams"}
    ]


ALERT_RULES = Configurable[AlertRule](
    kind="alertRule",
    create_model=AlertRuleCreate,
    update_model=AlertRuleUpdate,
    list_all=lambda ports, t: ports.alerts.list_all_alert_rules(t),
    name=lambda r: r.display_name,
    fields=_rule_fields,
    create=lambda ports, t, body, dry_run: Written(
        alert_rules.create_alert_rule(ports, t, AlertRuleCreate.model_validate(body), dry_run=dry_run)
    ),
    patch=lambda ports, t, rule, body, dry_run: Written(
        alert_rules.update_alert_rule(
            ports, t, rule.id, AlertRuleUpdate.model_validate(body), if_match=rule.etag, dry_run=dry_run
        )
    ),
    readable=_rule_without_secrets,
    credentials=_rule_credentials,
)


# the reclaim rule: one per tenant, always there (off until set), so it is only ever patched


def _patch_reclaim(ports: ConfigurationPorts, tenant_id: str, tenant: Tenant, body: Body, dry_run: bool) -> Written:
    rule = ReclaimRule.model_validate({**_reclaim_fields(tenant), **body})
    patch = TenantUpdate(reclaim=rule)
    return Written(update_tenant(ports, tenant_id, patch, if_match=tenant.etag, dry_run=dry_run))


def _reclaim_fields(tenant: Tenant) -> Body:
    return (tenant.reclaim or ReclaimRule()).model_dump(mode="json", by_alias=True, exclude_none=True)


RECLAIM = Configurable[Tenant](
    kind="reclaimSettings",
    create_model=ReclaimRule,
    update_model=ReclaimRule,
    list_all=lambda ports, t: [ports.tenants.get_tenant(t)],
    name=lambda tenant: "reclaim",
    name_field="",
    fields=_reclaim_fields,
    create=lambda ports, t, body, dry_run: _patch_reclaim(ports, t, ports.tenants.get_tenant(t), body, dry_run),
    patch=_patch_reclaim,
)

# in the order a document is applied: what an object names is made before it
REGISTRY: tuple[Configurable[Any], ...] = (
    RECLAIM,
    CONNECTIONS,
    DEVICE_IMAGES,
    POLICIES,
    USER_SETTINGS,
    SPOT_GROUPS,
    SCHEDULES,
    ALERT_RULES,
)
BY_KIND: dict[str, Configurable[Any]] = {kind.kind: kind for kind in REGISTRY}
