"""The organization's configuration as one document: its alert rules, as a tenant's document holds them, and its
templates by display name; exported, planned and applied by documents.py. An apply makes a missing template and
changes one as PATCH /templates does (its next version); it never deletes a template nor rolls one out to tenants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import Field

from shared.models.alerts import ORGANIZATION
from shared.models.base import InputModel
from shared.models.templates import FieldChange, Template, TemplateCreate, TemplateUpdate
from shared.services.configuration import documents, templates
from shared.services.configuration.configurable import (
    ALERT_RULES,
    Body,
    Configurable,
    ConfigurationPorts,
    Written,
    all_pages,
    field_changes,
)
from shared.services.configuration.documents import MAX_OBJECTS, Applied, ConfigurationPlan, Section


class OrganizationDocument(InputModel):
    """The organization's configuration: its alert rules, in the shape of a tenant document's, and its templates,
    each as its create body (kind, description, fields, parameters) named by its display name, with no id, version
    number or date. `version` is the export's; a plan or apply ignores it (apply takes If-Match)."""

    version: str | None = Field(default=None, max_length=128)
    alert_rules: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    templates: Section = Field(default_factory=list, max_length=MAX_OBJECTS)


@dataclass(frozen=True)
class TemplateKind(Configurable[Template]):
    """Templates, whose body is read as POST /templates reads it: `fields` as given (a null there is a value of the
    template's kind, kept), and the kind set once."""

    @property
    def fixed(self) -> frozenset[str]:
        # the create model is a union of the kinds' bodies (one `root`), which the base cannot compare field by field
        return frozenset({"kind"})

    def normalized(self, body: Body) -> Body:
        checked = TemplateCreate.model_validate(body).model_dump(mode="json", by_alias=True, exclude_unset=True)
        return {k: checked.get(k, v) for k, v in body.items()}

    def shown_changes(self, current: Body, desired: Body) -> list[FieldChange]:
        """Each field of the template's `fields` that changes by its own path (`fields.vmSize`): the patch replaces
        them whole, so one left out is a change too."""
        shown: list[FieldChange] = []
        for change in field_changes(current, desired):
            before, after = change.current, change.desired
            if change.field != "fields" or not isinstance(before, dict) or not isinstance(after, dict):
                shown.append(change)
                continue
            for name in [*after, *(name for name in before if name not in after)]:
                if before.get(name) != after.get(name) or (name in before) != (name in after):
                    shown.append(FieldChange(field=f"fields.{name}", current=before.get(name), desired=after.get(name)))
        return shown


def _template_body(template: Template) -> Body:
    body = {
        "displayName": template.display_name,
        "description": template.description,
        "kind": template.kind,
        "fields": template.fields,
        "parameters": template.parameters,
    }
    return {name: value for name, value in body.items() if value is not None}


class OrganizationPorts(ConfigurationPorts, templates.TemplatePorts, Protocol):
    """The organization's alert rules and templates."""


def _templates(ports: OrganizationPorts) -> TemplateKind:
    """The organization's templates, read and written through its ports (the ports a kind is given are a tenant's,
    which hold no templates)."""
    return TemplateKind(
        kind="template",
        create_model=TemplateCreate,
        update_model=TemplateUpdate,
        list_all=lambda _, owner: list(
            all_pages(lambda token: ports.templates.list_templates(top=100, skip_token=token))
        ),
        name=lambda template: template.display_name,
        fields=_template_body,
        create=lambda _, owner, body, dry_run: Written(
            templates.create_template(ports, TemplateCreate.model_validate(body), dry_run=dry_run)
        ),
        patch=lambda _, owner, template, body, dry_run: Written(
            templates.update_template(
                ports, template.id, TemplateUpdate.model_validate(body), if_match=template.etag, dry_run=dry_run
            )
        ),
    )


def kinds(ports: OrganizationPorts) -> documents.Kinds:
    """The organization document's kinds, in the order of its sections."""
    return (ALERT_RULES, _templates(ports))


def export(ports: OrganizationPorts) -> Body:
    return documents.export(ports, ORGANIZATION, kinds(ports))


def plan(ports: OrganizationPorts, document: OrganizationDocument) -> ConfigurationPlan:
    return documents.plan(ports, ORGANIZATION, document, kinds(ports))


def apply(ports: OrganizationPorts, document: OrganizationDocument, *, if_match: str | None) -> Applied:
    return documents.apply(ports, ORGANIZATION, document, kinds(ports), if_match=if_match)
