"""The registry of configurable kinds: each kind's body read back as it was made, patched field by field through the
services with the object's etag, checked without a save on a dry run; field_changes compares by value."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.models.orchestrations import HealthCheckRun
from shared.models.templates import FieldChange
from shared.services.configuration.configurable import (
    ALERT_RULES,
    BY_KIND,
    CONNECTIONS,
    POLICIES,
    RECLAIM,
    REGISTRY,
    SPOT_GROUPS,
    ConfigurationPorts,
    field_changes,
)
from tests.fakes import Fakes, seed
from tests.fakes.seed import GALLERY_IMAGE, TENANT

POLICY = {
    "displayName": "Engineers",
    "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
    "imageType": "gallery",
    "imageId": GALLERY_IMAGE,
    "assignments": [{"groupId": "engineers"}],
}


def world() -> ConfigurationPorts:
    fakes = Fakes()
    seed.tenant(fakes)
    seed.site(fakes)
    fakes.directory.add_group(TENANT, "engineers")
    fakes.directory.add_group(TENANT, "designers")
    ports: ConfigurationPorts = fakes.admin_ports()  # the composition root's bundle has every kind's ports
    return ports


def test_kinds_are_named_once_in_the_order_they_are_made() -> None:
    kinds = [kind.kind for kind in REGISTRY]
    assert len(set(kinds)) == len(kinds) and set(BY_KIND) == set(kinds)
    assert kinds.index("connection") < kinds.index("provisioningPolicy") < kinds.index("spotGroupSchedule")
    assert {"name", "userType", "siteId", "imageSetId", "vmSize"} <= SPOT_GROUPS.fixed
    assert "displayName" not in POLICIES.fixed and "assignments" not in POLICIES.fixed


def test_field_changes_compare_nested_objects_by_value_and_skip_fields_left_out() -> None:
    current = {"a": 1, "nested": {"x": [1, 2]}, "kept": "same", "only": True}
    desired = {"a": 2, "nested": {"x": [1, 2]}, "kept": "same", "new": None}
    assert field_changes(current, desired) == [FieldChange(field="a", current=1, desired=2)]
    assert field_changes(current, {"nested": {"x": [2, 1]}}) == [
        FieldChange(field="nested", current={"x": [1, 2]}, desired={"x": [2, 1]})
    ]


def test_a_policy_made_from_a_body_reads_back_as_that_body_with_its_assignments() -> None:
    ports = world()
    written = POLICIES.create(ports, TENANT, POLICY, False)
    [stored] = POLICIES.list_all(ports, TENANT)
    assert stored.id == written.value.id and POLICIES.name(stored) == "Engineers"
    assert field_changes(POLICIES.fields(stored), POLICIES.normalized(POLICY)) == []
    assert POLICIES.fields(stored)["assignments"] == [{"groupId": "engineers"}]


def test_a_policy_is_patched_by_the_fields_that_differ_and_a_dry_run_saves_nothing() -> None:
    ports = world()
    POLICIES.create(ports, TENANT, POLICY, False)
    [stored] = POLICIES.list_all(ports, TENANT)
    desired = POLICIES.normalized({**POLICY, "localAdminEnabled": True, "assignments": [{"groupId": "designers"}]})
    changes = {c.field: c.desired for c in field_changes(POLICIES.fields(stored), desired)}
    assert set(changes) == {"localAdminEnabled", "assignments"}
    POLICIES.patch(ports, TENANT, stored, changes, True)
    assert POLICIES.list_all(ports, TENANT) == [stored]
    POLICIES.patch(ports, TENANT, stored, changes, False)
    [after] = POLICIES.list_all(ports, TENANT)
    assert field_changes(POLICIES.fields(after), desired) == []


def test_a_policy_naming_an_unknown_group_is_refused_at_its_field_on_a_dry_run() -> None:
    ports = world()
    body = {**POLICY, "assignments": [{"groupId": "engineers"}, {"groupId": "nobody"}]}
    with pytest.raises(ValidationFailed) as caught:
        POLICIES.create(ports, TENANT, body, True)
    assert [d.target for d in caught.value.details] == ["assignments[1].groupId"]
    assert POLICIES.list_all(ports, TENANT) == []


def test_a_connection_reads_back_without_its_password_and_asks_for_its_health_checks() -> None:
    ports = world()
    body = {"displayName": "Hosted", "siteId": "site-westeurope", "connectionType": "azureADJoin"}
    with pytest.raises(ValidationFailed):  # the site names no subnet and the body gives none
        CONNECTIONS.create(ports, TENANT, body, True)
    subnet = (
        f"/subscriptions/{seed.SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/"
        "virtualNetworks/vnet/subnets/cloudpcs"
    )
    written = CONNECTIONS.create(ports, TENANT, {**body, "subnetId": subnet}, False)
    assert [type(work) for work in written.work] == [HealthCheckRun]
    [stored] = CONNECTIONS.list_all(ports, TENANT)
    assert CONNECTIONS.fields(stored) == {**body, "subnetId": subnet}
    assert "subnetId" in CONNECTIONS.fixed and "displayName" not in CONNECTIONS.fixed


def test_an_alert_rule_reads_back_without_a_webhook_secret() -> None:
    ports = world()
    body: dict[str, Any] = {
        "displayName": "Failures",
        "kind": "provisioningFailed",
        "channels": [{"kind": "webhook", "url": "https://hooks.example.com/x", "secret": "s3cret-s3cret-s3cret"}],
    }
    ALERT_RULES.create(ports, TENANT, body, False)
    [rule] = ALERT_RULES.list_all(ports, TENANT)
    fields = ALERT_RULES.fields(rule)
    assert fields["channels"] == [{"kind": "webhook", "url": "https://hooks.example.com/x"}]
    assert "s3cret" not in str(fields)
    assert field_changes(fields, ALERT_RULES.normalized({**body, "channels": fields["channels"]})) == []


def test_the_reclaim_rule_is_always_there_and_is_patched_with_the_tenants_etag() -> None:
    ports = world()
    [tenant] = RECLAIM.list_all(ports, TENANT)
    assert RECLAIM.fields(tenant)["enabled"] is False
    RECLAIM.patch(ports, TENANT, tenant, {"enabled": True, "unusedDays": 45}, False)
    [after] = RECLAIM.list_all(ports, TENANT)
    assert RECLAIM.fields(after) | {"enabled": True, "unusedDays": 45} == RECLAIM.fields(after)
