"""An organization's templates: a kind's standard fields and the parameters tenants fill in, versioned on change."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import ValidationError

from shared.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from shared.models.templates import FIELDS_OF, Template, TemplateCreate, TemplateUpdate, TemplateVersion
from shared.models.validation import validation_details
from shared.ports.new_records import NewRecordPorts
from shared.ports.template_stores import TemplateStore
from shared.services.configuration.configurable import Configurable
from shared.services.configuration.template_kinds import TEMPLATE_KINDS
from shared.services.engine.updates import update_with_etag


class TemplatePorts(NewRecordPorts, Protocol):
    @property
    def templates(self) -> TemplateStore: ...


def kind_of(template: Template) -> Configurable[Any]:
    return TEMPLATE_KINDS[template.kind]


def checked(template: Template) -> Template:
    """`template` with its fields as the kind reads them, once they and its parameters make the kind's body when
    each tenant fills in its parameters: each parameter a field of the kind that `fields` leaves to the tenant, every
    other field valid as the kind reads it. Raises ValidationFailed naming each field that is not."""
    problems: list[ErrorDetail] = []
    fields = template.fields
    try:
        shape = FIELDS_OF[template.kind].model_validate(fields)
        fields = shape.model_dump(mode="json", by_alias=True, exclude_unset=True)
    except ValidationError as refused:
        problems += validation_details(refused, ("fields",))
    parameters = template.parameters
    known = kind_of(template).settable
    problems += credential_problems(kind_of(template), fields, "fields")
    problems += [
        ErrorDetail("unknownField", f"parameters[{i}]: a {template.kind} has no field '{name}'.", f"parameters[{i}]")
        for i, name in enumerate(parameters)
        if name not in known
    ]
    problems += [
        ErrorDetail("duplicateParameter", f"parameters[{i}]: '{name}' is named twice.", f"parameters[{i}]")
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
    if not problems:
        problems = _whole_body_problems(kind_of(template), fields, parameters) + [
            ErrorDetail(rule.code, rule.message, f"fields.{rule.target}") for rule in kind_of(template).rules(fields)
        ]
    if problems:
        raise ValidationFailed.of(*problems)
    return template.model_copy(update={"fields": fields})


def credential_problems(kind: Configurable[Any], body: dict[str, Any], under: str) -> list[ErrorDetail]:
    """Each credential in a template's fields or a tenant's parameters, which are kept as they are given."""
    message = (
        "holds a credential, which a template and its parameters never keep (its object keeps it in Key Vault): "
        f"set it on the tenant's {kind.kind} itself, and keep it there as an override."
    )
    return [
        ErrorDetail("credentialInTemplate", f"{under}.{path}: {message}", f"{under}.{path}")
        for path in kind.credentials(body)
    ]


def _whole_body_problems(kind: Configurable[Any], fields: dict[str, Any], parameters: list[str]) -> list[ErrorDetail]:
    """What the kind refuses of the fields together, a field it needs neither set nor left to tenants among it."""
    try:
        kind.normalized(fields)
    except ValidationError as refused:
        problems = []
        for detail, error in zip(validation_details(refused, ("fields",)), refused.errors(), strict=True):
            if error["type"] != "missing":
                problems.append(detail)
            elif tuple(error["loc"])[:1] not in {(name,) for name in parameters}:
                message = f"{detail.target}: set it, or name it a parameter each tenant fills in."
                problems.append(ErrorDetail("fieldNotSet", message, detail.target))
        return problems
    return []


def create_template(ports: TemplatePorts, data: TemplateCreate, *, dry_run: bool = False) -> Template:
    given = data.root
    now = ports.clock()
    template = Template(
        id=ports.new_id(),
        created_date_time=now,
        last_modified_date_time=now,
        display_name=given.display_name,
        description=given.description,
        kind=given.kind,
        fields=given.fields.model_dump(mode="json", by_alias=True, exclude_unset=True),
        parameters=list(given.parameters),
    )
    template = checked(template)
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
        return checked(changed).model_copy(update={"version": current.version + 1})

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
