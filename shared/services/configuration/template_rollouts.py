"""Applying a template version to tenants: the review of what each would get, the roll-out that applies it tenant by
tenant, and, afterwards, each tenant's drift from it and the overrides it keeps.

A tenant's object is the one its application names, or (before one is on record: a first apply, or one a crash cut
short after the object was made) the one of the template's name. So applying again finds what the last apply made
and changes only the fields that differ: nothing, when nothing does. A roll-out is saved with every tenant pending
and run from a queue message; each tenant's result is saved as it comes, and a run that crashes resumes from the
tenants without one. One tenant's failure is its own result: the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from shared.errors import DomainError, ErrorDetail, NotFound, ValidationFailed
from shared.models.templates import (
    AppliedTemplate,
    FieldChange,
    ObjectResult,
    Override,
    OverrideCreate,
    RolloutItem,
    Template,
    TemplateApplication,
    TemplateApply,
    TemplateReview,
    TemplateRollout,
    TemplateVersion,
    TenantReview,
)
from shared.models.validation import validation_details
from shared.services.configuration.configurable import Configurable, ConfigurationPorts, Work, field_changes
from shared.services.configuration.rollout_transitions import ROLLOUT_ITEMS, ROLLOUTS
from shared.services.configuration.templates import TemplatePorts, credential_problems, kind_of
from shared.services.engine import item_counts

Body = dict[str, Any]


class RolloutPorts(TemplatePorts, ConfigurationPorts, Protocol):
    """The templates, and every kind a template makes."""


def desired_body(version: TemplateVersion, parameters: Body, overrides: list[Override]) -> Body:
    """What a tenant's object should be: the version's fields, the tenant's parameters, then its overrides."""
    return {**version.fields, **parameters, **{override.field: override.value for override in overrides}}


def problems_of(error: Exception) -> list[ErrorDetail]:
    """A refusal in the contract's details: a domain error's own, or each field pydantic refused."""
    if isinstance(error, ValidationError):
        return validation_details(error)
    if isinstance(error, ValidationFailed) and error.details:
        return list(error.details)
    if isinstance(error, DomainError):
        return [ErrorDetail(error.code, error.message, error.target)]
    return [ErrorDetail("internalError", "The tenant's objects could not be read or written; try again.")]


def _shown(details: list[ErrorDetail]) -> list[dict[str, str]]:
    return [{k: v for k, v in (("code", d.code), ("message", d.message), ("target", d.target)) if v} for d in details]


def parameter_problems(version: TemplateVersion, parameters: Body, under: str) -> list[ErrorDetail]:
    """Each parameter the version declares that the tenant leaves out, and each value given for no parameter."""
    missing = [
        ErrorDetail("missingParameter", f"{under}.{name}: this tenant must fill in '{name}'.", f"{under}.{name}")
        for name in version.parameters
        if name not in parameters
    ]
    unknown = [
        ErrorDetail("unknownParameter", f"{under}.{name}: the template has no parameter '{name}'.", f"{under}.{name}")
        for name in parameters
        if name not in version.parameters
    ]
    return missing + unknown


def _object_of(
    ports: RolloutPorts, kind: Configurable[Any], tenant_id: str, application: TemplateApplication | None, name: str
) -> Any | None:
    """The tenant's object the template made: by the id on record, else by the name the template gives it."""
    objects = kind.list_all(ports, tenant_id)
    if application is not None and application.object_id:
        return next((obj for obj in objects if obj.id == application.object_id), None)
    return next((obj for obj in objects if not kind.name_field or kind.name(obj) == name), None)


@dataclass(frozen=True)
class Planned:
    """What applying a version to one tenant would do to its object."""

    kind: Configurable[Any]
    desired: Body
    name: str
    current: Any | None
    changes: list[FieldChange]

    @property
    def result(self) -> ObjectResult:
        action = "create" if self.current is None else ("update" if self.changes else "unchanged")
        object_id = getattr(self.current, "id", None)
        return ObjectResult(
            kind=self.kind.kind, name=self.name, object_id=object_id, action=action, changes=self.changes
        )


def plan_tenant(
    ports: RolloutPorts,
    kind: Configurable[Any],
    version: TemplateVersion,
    tenant_id: str,
    application: TemplateApplication | None,
    parameters: Body,
) -> Planned:
    """The object's fields against the version's with the tenant's parameters and overrides, checked as the kind's
    service checks them (on a dry run); raises ValidationFailed or the service's refusal."""
    overrides = application.overrides if application is not None else []
    desired = kind.normalized(desired_body(version, parameters, overrides))
    name = str(desired.get(kind.name_field, ""))
    current = _object_of(ports, kind, tenant_id, application, name)
    if current is None:
        kind.create(ports, tenant_id, desired, True)
        return Planned(kind, desired, name, None, [FieldChange(field=k, desired=v) for k, v in desired.items()])
    changes = field_changes(kind.fields(current), desired)
    fixed = [
        ErrorDetail("notUpdatable", f"{c.field}: a {kind.kind}'s {c.field} is set when it is made.", c.field)
        for c in changes
        if c.field in kind.fixed
    ]
    if fixed:
        raise ValidationFailed.of(*fixed)
    if changes:
        kind.patch(ports, tenant_id, current, {c.field: c.desired for c in changes}, True)
    return Planned(kind, desired, kind.name(current), current, changes)


def _parameters_of(application: TemplateApplication | None, given: Body | None) -> Body:
    return given if given is not None else (application.parameters if application is not None else {})


def review(ports: RolloutPorts, template: Template, request: TemplateApply) -> TemplateReview:
    """For each tenant: what it would get (created, changed field by field, or left alone), each parameter it still
    has to fill in, and what the kind's service would refuse. Nothing is saved."""
    version = _version(ports, template, request.version)
    kind = kind_of(template)
    reviews = []
    for index, given in enumerate(request.tenants):
        tenant = ports.tenants.find_tenant(given.tenant_id)
        shown = TenantReview(tenant_id=given.tenant_id, tenant_name=tenant.display_name if tenant else "")
        if tenant is None:
            target = f"tenants[{index}].tenantId"
            reviews.append(shown.model_copy(update={"problems": _shown([_no_tenant(given.tenant_id, target)])}))
            continue
        application = ports.templates.find_application(tenant.id, template.id)
        parameters = _parameters_of(application, given.parameters)
        missing = [name for name in version.parameters if name not in parameters]
        problems = [p for p in parameter_problems(version, parameters, "parameters") if p.code != "missingParameter"]
        problems += credential_problems(kind, parameters, "parameters")
        if missing or problems:
            reviews.append(shown.model_copy(update={"missing_parameters": missing, "problems": _shown(problems)}))
            continue
        try:
            planned = plan_tenant(ports, kind, version, tenant.id, application, parameters)
        except (DomainError, ValidationError) as refused:
            reviews.append(shown.model_copy(update={"problems": _shown(problems_of(refused))}))
            continue
        reviews.append(shown.model_copy(update={"objects": [planned.result]}))
    return TemplateReview(template_id=template.id, version=version.version, tenants=reviews)


def _no_tenant(tenant_id: str, target: str) -> ErrorDetail:
    return ErrorDetail("tenantNotFound", f"{target}: no tenant '{tenant_id}'.", target)


def _version(ports: RolloutPorts, template: Template, version: int | None) -> TemplateVersion:
    if version is not None and version > template.version:
        message = f"The template's latest version is {template.version}."
        raise ValidationFailed.of(ErrorDetail("versionNotFound", message, "version"))
    return ports.templates.get_version(template.id, version or template.version)


def checked_request(ports: RolloutPorts, template: Template, request: TemplateApply) -> list[RolloutItem]:
    """The roll-out's tenants, each with its parameters (given, or the ones it applied with last); raises
    ValidationFailed naming each tenant that is unknown, given twice, or short of a parameter, so nothing starts."""
    version = _version(ports, template, request.version)
    problems: list[ErrorDetail] = []
    items = []
    for index, given in enumerate(request.tenants):
        target = f"tenants[{index}]"
        if ports.tenants.find_tenant(given.tenant_id) is None:
            problems.append(_no_tenant(given.tenant_id, f"{target}.tenantId"))
            continue
        if any(earlier.tenant_id == given.tenant_id for earlier in request.tenants[:index]):
            problems.append(ErrorDetail("duplicate", f"{target}.tenantId: named twice.", f"{target}.tenantId"))
            continue
        parameters = _parameters_of(ports.templates.find_application(given.tenant_id, template.id), given.parameters)
        missing = parameter_problems(version, parameters, f"{target}.parameters")
        missing += credential_problems(kind_of(template), parameters, f"{target}.parameters")
        problems += missing or _value_problems(
            kind_of(template), version, parameters, (*TENANTS_AT, index, "parameters")
        )
        items.append(RolloutItem(tenant_id=given.tenant_id, parameters=parameters))
    if problems:
        raise ValidationFailed.of(*problems)
    return items


TENANTS_AT = ("tenants",)


def _value_problems(
    kind: Configurable[Any], version: TemplateVersion, parameters: Body, under: tuple[str | int, ...]
) -> list[ErrorDetail]:
    """Each parameter value the kind refuses, named where the caller gave it (the version's own fields were checked
    when it was saved)."""
    try:
        kind.normalized(desired_body(version, parameters, []))
    except ValidationError as refused:
        return validation_details(refused, under)
    return []


def new_rollout(ports: RolloutPorts, template: Template, request: TemplateApply, by: str) -> TemplateRollout:
    now = ports.clock()
    return TemplateRollout(
        id=ports.new_id(),
        created_date_time=now,
        last_modified_date_time=now,
        template_id=template.id,
        version=request.version or template.version,
        requested_by=by,
    )


def apply_tenant(ports: RolloutPorts, template: Template, version: TemplateVersion, item: RolloutItem) -> Applied:
    """One tenant: its object made or changed as the plan says, then its application recorded (the object first,
    so an application on record always names an object the template made)."""
    kind = kind_of(template)
    tenant_id = item.tenant_id
    application = ports.templates.find_application(tenant_id, template.id)
    planned = plan_tenant(ports, kind, version, tenant_id, application, item.parameters)
    work: tuple[Work, ...] = ()
    current = planned.current
    if current is None:
        written = kind.create(ports, tenant_id, planned.desired, False)
        current, work = written.value, written.work
    elif planned.changes:
        written = kind.patch(ports, tenant_id, current, {c.field: c.desired for c in planned.changes}, False)
        current, work = written.value, written.work
    recorded = TemplateApplication(
        tenant_id=tenant_id,
        template_id=template.id,
        template_name=template.display_name,
        kind=template.kind,
        version=version.version,
        object_id=current.id,
        object_name=kind.name(current),
        parameters=item.parameters,
        overrides=application.overrides if application is not None else [],
        applied_date_time=ports.clock(),
    )
    same = application is not None and _unchanged(application, recorded)
    if not same:
        ports.templates.put_application(recorded, if_match=application.etag if application else None)
    result = planned.result.model_copy(update={"object_id": current.id})
    return Applied(result, work)


def _unchanged(before: TemplateApplication, after: TemplateApplication) -> bool:
    keys = {"version", "object_id", "parameters", "overrides", "template_name"}
    return before.model_dump(include=keys) == after.model_dump(include=keys)


@dataclass(frozen=True)
class Applied:
    result: ObjectResult
    work: tuple[Work, ...] = ()


def summarized(rollout: TemplateRollout, items: list[RolloutItem]) -> TemplateRollout:
    """The roll-out with its counts, its status from them, and each tenant's result."""
    counts = item_counts.counts_of(items)
    return ROLLOUTS.move(rollout, "summarize", item_counts.status_of(counts), counts=counts, results=items)


def run(ports: RolloutPorts, template_id: str, rollout_id: str, start: Callable[[list[Work]], None]) -> TemplateRollout:
    """Each tenant without a result: saved running, applied, the work its objects ask for given to `start`, its
    result saved; then the summary."""
    rollout = ports.templates.get_rollout(template_id, rollout_id)
    template = ports.templates.get_template(template_id)
    version = ports.templates.get_version(template_id, rollout.version)
    for item in ports.templates.list_rollout_items(rollout_id):
        if not ROLLOUT_ITEMS.allows("start", item.status):
            continue
        running = ROLLOUT_ITEMS.move(item, "start", started_date_time=ports.clock())
        ports.templates.save_rollout_item(rollout_id, running)
        try:
            applied = apply_tenant(ports, template, version, running)
            start(list(applied.work))
            done = ROLLOUT_ITEMS.move(running, "succeed", objects=[applied.result], error=None)
        except Exception as refused:  # each tenant answers for itself; the others go on
            [first, *_] = problems_of(refused)
            error = {"code": first.code, "message": first.message, **({"target": first.target} if first.target else {})}
            done = ROLLOUT_ITEMS.move(running, "fail", error=error)
        ports.templates.save_rollout_item(rollout_id, done.model_copy(update={"finished_date_time": ports.clock()}))
    summary = summarized(rollout, ports.templates.list_rollout_items(rollout_id))
    ports.templates.update_rollout(summary.model_copy(update={"last_modified_date_time": ports.clock()}))
    return summary


# -- drift and overrides ---------------------------------------------------------------------------------------


def applied_template(ports: RolloutPorts, application: TemplateApplication) -> AppliedTemplate:
    """An application with its drift: each field whose value is not the applied version's (with the tenant's
    parameters and overrides), and whether a newer version waits to be applied."""
    [applied] = applied_list(ports, [application])
    return applied


def applied_list(ports: RolloutPorts, applications: list[TemplateApplication]) -> list[AppliedTemplate]:
    """applied_template of each, every template and version they name read once."""
    templates: dict[str, Template] = {}
    versions: dict[tuple[str, int], TemplateVersion] = {}
    shown = []
    for application in applications:
        template_id, number = application.template_id, application.version
        if template_id not in templates:
            templates[template_id] = ports.templates.get_template(template_id)
        if (template_id, number) not in versions:
            versions[template_id, number] = ports.templates.get_version(template_id, number)
        template, version = templates[template_id], versions[template_id, number]
        shown.append(_with_drift(ports, application, template, version))
    return shown


def _with_drift(
    ports: RolloutPorts, application: TemplateApplication, template: Template, version: TemplateVersion
) -> AppliedTemplate:
    kind = kind_of(template)
    shown = AppliedTemplate(**dict(application), latest_version=template.version)
    current = _object_of(ports, kind, application.tenant_id, application, application.object_name)
    if current is None:
        return shown.model_copy(update={"object_missing": True})
    desired = kind.normalized(desired_body(version, application.parameters, application.overrides))
    drift = field_changes(kind.fields(current), desired)
    drifted_fields = [change.field for change in drift]
    if drifted_fields != application.drifted_fields:
        ports.templates.save_drift(application, drifted_fields)
    return shown.model_copy(update={"drift": drift, "drifted_fields": drifted_fields})


def applied_templates(ports: RolloutPorts, tenant_id: str) -> list[AppliedTemplate]:
    return applied_list(ports, ports.templates.list_applications(tenant_id))


def application_of(ports: RolloutPorts, tenant_id: str, template_id: str) -> TemplateApplication:
    application = ports.templates.find_application(tenant_id, template_id)
    if application is None:
        raise NotFound.resource("Template application", template_id, "templateId")
    return application


def detach(ports: RolloutPorts, tenant_id: str, template_id: str) -> None:
    """The tenant's object stays as it is, no longer the template's: no drift, and no apply changes it unless the
    template is applied to the tenant again (which finds it by its name)."""
    application_of(ports, tenant_id, template_id)
    ports.templates.delete_application(tenant_id, template_id)


def keep_override(ports: RolloutPorts, tenant_id: str, template_id: str, data: OverrideCreate) -> AppliedTemplate:
    """Keep the object's present value of one field as a named override: listed, and kept by every apply."""
    application = application_of(ports, tenant_id, template_id)
    template = ports.templates.get_template(template_id)
    kind = kind_of(template)
    if data.field not in kind.settable:
        raise ValidationFailed.of(ErrorDetail("unknownField", f"A {kind.kind} has no field '{data.field}'.", "field"))
    if any(o.name == data.name for o in application.overrides):
        raise ValidationFailed.of(ErrorDetail("duplicate", f"An override is already named '{data.name}'.", "name"))
    current = _object_of(ports, kind, tenant_id, application, application.object_name)
    if current is None:
        raise NotFound.resource(kind.kind, application.object_id or application.object_name, "objectId")
    present = kind.fields(current).get(data.field)
    # a parameter is the tenant's own already, unless its value holds a credential, which no parameter may carry
    if data.field in application.parameters and not kind.credentials({data.field: present}):
        message = f"'{data.field}' is a parameter: its value is already this tenant's own."
        raise ValidationFailed.of(ErrorDetail("isParameter", message, "field"))
    kept = Override(name=data.name, field=data.field, value=present)
    overrides = [o for o in application.overrides if o.field != data.field] + [kept]
    saved = ports.templates.put_application(
        application.model_copy(update={"overrides": overrides}), if_match=application.etag
    )
    return applied_template(ports, saved)


def remove_override(ports: RolloutPorts, tenant_id: str, template_id: str, name: str) -> AppliedTemplate:
    """The field goes back to the template's value at the next apply."""
    application = application_of(ports, tenant_id, template_id)
    kept = [o for o in application.overrides if o.name != name]
    if len(kept) == len(application.overrides):
        raise NotFound.resource("Override", name, "overrideName")
    saved = ports.templates.put_application(
        application.model_copy(update={"overrides": kept}), if_match=application.etag
    )
    return applied_template(ports, saved)
