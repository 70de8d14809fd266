"""The organization's configuration document over the fakes: its alert rules and templates exported by name without
ids, versions or dates; a template's changed fields planned one by one (one left out too) and applied as its next
version; a template's kind, a name given twice and an unfilled parameter refused at their paths, nothing saved."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.models.alerts import ORGANIZATION
from shared.services.configuration import organization_document as organization
from shared.services.configuration.organization_document import OrganizationDocument
from tests.fakes import Fakes, seed

GROUP_FIELDS = {
    "name": "task-workers",
    "friendlyName": "Task workers",
    "profilePath": r"\\files.contoso.com\profiles",
    "userType": "pooled",
    "licenseCount": 2,
    "imageVersion": "0.0.0",
    "maxSessionsPerHost": 2,
    "vmSize": "Standard_D4s_v5",
}
TEMPLATE = {
    "displayName": "Task workers",
    "kind": "spotGroup",
    "fields": GROUP_FIELDS,
    "parameters": ["siteId", "groupIds", "imageSetId"],
}
RULE = {"displayName": "Failures", "kind": "provisioningFailed", "severity": "critical"}


def configured() -> tuple[organization.OrganizationPorts, Fakes, dict[str, Any]]:
    fakes = Fakes()
    seed.tenant(fakes)
    ports = fakes.admin_ports()
    document = OrganizationDocument.model_validate({"alertRules": [RULE], "templates": [TEMPLATE]})
    organization.apply(ports, document, if_match=organization.export(ports)["version"])
    return ports, fakes, organization.export(ports)


def test_the_export_names_templates_without_ids_versions_or_dates_and_plans_nothing_unchanged() -> None:
    ports, fakes, exported = configured()
    assert exported["templates"] == [TEMPLATE]
    assert [rule["displayName"] for rule in exported["alertRules"]] == ["Failures"]
    assert [r.tenant_id for r in fakes.alerts.list_all_alert_rules(ORGANIZATION)] == [ORGANIZATION]
    plan = organization.plan(ports, OrganizationDocument.model_validate(exported))
    assert (plan.creates, plan.updates, plan.unchanged, plan.problems) == (0, 0, 2, [])


def test_a_templates_fields_are_planned_one_by_one_and_applied_as_its_next_version() -> None:
    ports, fakes, exported = configured()
    fields = exported["templates"][0]["fields"]
    fields["licenseCount"] = 4
    del fields["vmSize"]  # the fields are replaced whole, as PATCH /templates replaces them
    document = OrganizationDocument.model_validate(exported)
    [update] = [o for o in organization.plan(ports, document).objects if o.action == "update"]
    assert [(c.field, c.current, c.desired) for c in update.changes] == [
        ("fields.licenseCount", 2, 4),
        ("fields.vmSize", "Standard_D4s_v5", None),
    ]
    organization.apply(ports, document, if_match=exported["version"])
    [template] = fakes.templates.list_templates()[0]
    assert (template.version, template.fields) == (2, fields)
    assert fakes.templates.get_version(template.id, 1).fields == GROUP_FIELDS


def test_a_kind_a_name_twice_and_an_unfilled_field_are_refused_at_their_paths_and_nothing_is_saved() -> None:
    ports, fakes, exported = configured()
    before = organization.export(ports)
    exported["templates"][0]["kind"] = "reclaimSettings"
    exported["templates"][0].update(fields={"enabled": True}, parameters=["unusedDays"])
    exported["templates"] += [TEMPLATE, {**TEMPLATE, "displayName": "Unfilled", "parameters": ["siteId"]}]
    exported["alertRules"].append({**RULE, "severity": "dire"})
    with pytest.raises(ValidationFailed) as caught:
        organization.apply(ports, OrganizationDocument.model_validate(exported), if_match=exported["version"])
    assert {(d.code, d.target) for d in caught.value.details} >= {
        ("notUpdatable", "templates[0].kind"),
        ("duplicateName", "templates[1]"),
        ("fieldNotSet", "templates[2].fields.groupIds"),
        ("duplicateName", "alertRules[1]"),
    }
    [template] = fakes.templates.list_templates()[0]
    assert (template.kind, template.version) == ("spotGroup", 1)
    assert organization.export(ports) == before
