"""An organization's templates: a kind's standard fields and the parameters tenants fill in, versioned on change."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import ValidationError

from shared.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from shared.models.templates import Template, TemplateCreate, TemplateUpdate, TemplateVersion
from shared.models.validation import validation_details
from shared.ports.new_records import NewRecordPorts
from shared.ports.template_stores import TemplateStore
from shared.services.configuration.configurable import BY_KIND, Configurable
from shared.services.engine.updates import update_with_etag


class TemplatePorts(NewRecordPorts, Protocol):
    @property
    def templates(self) -> TemplateStore: ...


def kind_of(template: Template | TemplateCreate) -> Configurable[Any]:
    return BY_KIND[template.kind]


def checked(kind: Configurable[Any], fields: dict[str, Any], parameters: list[str]) -> None:
    """A template's fields and parameters make the kind's body once each tenant fills in its parameters: each
    parameter a field of the kind that `fields` leaves to the tenant, every other field valid as the kind reads it.
    Raises ValidationFailed naming each field that is not."""
    known = kind.settable
    problems = [
        ErrorDetail("unknownField", f"parameters[{i}]: '{name}' is not a field of a {kind.kind}.", f"parameters[{i}]")
        for i, name in enumerate(parameters)
        if name not in known
    ]
    problems += [
        ErrorDetail("duplicate", f"parameters[{i}]: '{name}' is named twice.", f"parameters[{i}]")
        for i, name in enumerate(parameters)
        if name in parameters[:i]
    ]
    problems += [
        ErrorDetail(
            "parameterHasValue",
            f"fields.{name}: each tenant fills in the parameter '{name}'; remove it from fields.",
            f"fields.{name}",
        )
        for name in parameters
        if name in fields
    ]
    try:
        kind.normalized(fields)
    except ValidationError as refused:
        left_to_tenants = {(name,) for name in parameters}
        problems += [
            detail
            for detail, error in zip(validation_details(refused, ("fields",)), refused.errors(), strict=True)
            if not (error["type"] == "missing" and tuple(error["loc"]) in left_to_tenants)
        ]
    if problems:
        raise ValidationFailed.of(*problems)


def create_template(ports: TemplatePorts, data: TemplateCreate, *, dry_run: bool = False) -> Template:
    checked(kind_of(data), data.fields, data.parameters)
    now = ports.clock()
    template = Template(
        id=ports.new_id(),
        created_date_time=now,
        last_modified_date_time=now,
        display_name=data.display_name,
        description=data.description,
        kind=data.kind,
        fields=data.fields,
        parameters=data.parameters,
    )
    return template if dry_run else ports.templates.put_template(template, if_none_match=True)


def update_template(
    ports: TemplatePorts, template_id: str, patch: TemplateUpdate, *, if_match: str | None, dry_run: bool = False
) -> Template:
    """A merge patch; new fields or parameters make the next version, which no tenant has until it is applied."""
    given = patch.model_dump(exclude_unset=True)
    for name in ("display_name", "fields", "parameters"):
        if name in given and given[name] is None:
            target = Template.model_fields[name].alias or name
            raise ValidationFailed.of(ErrorDetail("missing", f"{target} cannot be removed.", target))

    def change(current: Template) -> Template:
        changed = current.model_copy(update={**given, "last_modified_date_time": ports.clock()})
        if (changed.fields, changed.parameters) == (current.fields, current.parameters):
            return changed
        checked(kind_of(changed), changed.fields, changed.parameters)
        return changed.model_copy(update={"version": current.version + 1})

    def save(template: Template, etag: str | None) -> Template:
        return ports.templates.put_template(template, if_match=etag)

    return update_with_etag(
        lambda: ports.templates.get_template(template_id), change, save, if_match=if_match, dry_run=dry_run
    )


def delete_template(ports: TemplatePorts, template_id: str, *, if_match: str | None) -> None:
    """Only a template no tenant has applied: an applied one is what their drift is measured against."""
    applied = ports.templates.list_applications_of(template_id)
    if applied:
        tenants = ", ".join(sorted(a.tenant_id for a in applied)[:5])
        message = f"{len(applied)} tenant(s) applied this template ({tenants}); detach it from them first."
        raise Conflict(message, code="templateInUse", target="templateId")
    ports.templates.delete_template(template_id, if_match=if_match)


def version_of(ports: TemplatePorts, template_id: str, version: str) -> TemplateVersion:
    """A version named in a path: a whole number of one the template has had."""
    if not version.isascii() or not version.isdigit():
        raise NotFound.resource("Template version", version, "version")
    return ports.templates.get_version(template_id, int(version))
