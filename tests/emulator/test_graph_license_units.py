"""License capacity in the emulator's Graph: each SKU's units per Entra tenant, consumed by the users holding it,
and `assignLicense` refused once none is free; the units set by an emulator control. Plain HTTP requests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azure_emulator.graph.skus import DEFAULT_UNITS
from azure_emulator.launcher import EmulatorProcess
from shared.catalog.service_plans import SERVICE_PLANS, SERVICE_PLANS_BY_ID
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

PLAN, OTHER_PLAN = SERVICE_PLANS[0].id, SERVICE_PLANS[5].id


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


def subscribed(admin: GraphAdmin, plan_id: str) -> dict[str, Any]:
    skus = admin.call("GET", f"{admin.graph}/subscribedSkus")["value"]
    return dict(next(s for s in skus if s["skuId"] == SERVICE_PLANS_BY_ID[plan_id].sku_id))


def units(admin: GraphAdmin, plan_id: str) -> tuple[int, int]:
    """(prepaidUnits.enabled, consumedUnits) as Graph shows them."""
    sku = subscribed(admin, plan_id)
    return sku["prepaidUnits"]["enabled"], sku["consumedUnits"]


def test_a_tenant_starts_with_generous_units_of_every_sku_and_none_consumed(admin: GraphAdmin) -> None:
    assert units(admin, PLAN) == (DEFAULT_UNITS, 0)
    control = admin.license_units(PLAN)
    assert (control["units"], control["consumedUnits"]) == (DEFAULT_UNITS, 0)
    assert control["skuPartNumber"] == SERVICE_PLANS_BY_ID[PLAN].sku_part_number


def test_each_holder_consumes_a_unit_and_assign_license_is_refused_when_none_is_free(admin: GraphAdmin) -> None:
    admin.set_enabled_units(PLAN, 2)
    first, second, third = (admin.create_user() for _ in range(3))
    admin.assign_licenses(first, PLAN)
    admin.assign_licenses(second, PLAN)
    assert units(admin, PLAN) == (2, 2)
    assert admin.license_units(PLAN)["consumedUnits"] == 2
    with pytest.raises(GraphAdminError) as refused:
        admin.assign_licenses(third, PLAN)
    assert "400 Request_BadRequest" in str(refused.value)
    assert "does not have any available licenses" in str(refused.value)
    assert admin.licensed_plans(third) == [] and units(admin, PLAN) == (2, 2)
    admin.remove_licenses(first, PLAN)  # a unit freed is a unit to give
    admin.assign_licenses(third, PLAN)
    admin.delete_user(second)  # so is a deleted holder's
    assert units(admin, PLAN) == (2, 1)
    admin.set_enabled_units(PLAN, 3)  # one more bought
    admin.assign_licenses(first, PLAN)
    assert units(admin, PLAN) == (3, 2)


def test_a_refused_request_changes_nothing_and_other_skus_and_tenants_are_untouched(
    admin: GraphAdmin, azure_emulator: EmulatorProcess
) -> None:
    holder, mover = admin.create_user(), admin.create_user()
    admin.assign_licenses(holder, PLAN)
    admin.assign_licenses(mover, OTHER_PLAN)
    admin.set_enabled_units(PLAN, 0)  # fewer than are held: the holder keeps it, nobody else gets one
    assert units(admin, PLAN) == (0, 1) and admin.licensed_plans(holder) == [PLAN]
    switch = {
        "addLicenses": [{"skuId": SERVICE_PLANS_BY_ID[PLAN].sku_id}],
        "removeLicenses": [SERVICE_PLANS_BY_ID[OTHER_PLAN].sku_id],
    }
    with pytest.raises(GraphAdminError, match="does not have any available licenses"):
        admin.call("POST", f"{admin.graph}/users/{mover}/assignLicense", switch)
    assert admin.licensed_plans(mover) == [OTHER_PLAN]  # the removal did not happen either
    assert units(admin, OTHER_PLAN) == (DEFAULT_UNITS, 1)
    other = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    other.assign_licenses(other.create_user(), PLAN)
    assert units(other, PLAN) == (DEFAULT_UNITS, 1)


def test_the_units_control_refuses_what_it_cannot_set(admin: GraphAdmin) -> None:
    sku = SERVICE_PLANS_BY_ID[PLAN].sku_id
    base = f"{admin.emulator.base_url}/emulator/tenants/{admin.tenant_id}/skus"
    for body in ({"units": -1}, {"units": "2"}, {"units": True}, {}, [1]):
        assert admin.session.put(f"{base}/{sku}", json=body).status_code == 400, body
    assert admin.session.put(f"{base}/{uuid.uuid4()}", json={"units": 1}).status_code == 404
    assert admin.session.get(f"{base}/{uuid.uuid4()}").status_code == 404
    answered = admin.session.put(f"{base}/{sku.upper()}", json={"units": 5}).json()
    assert (answered["skuId"], answered["units"], answered["tenantId"]) == (sku, 5, admin.tenant_id)
    assert units(admin, PLAN) == (5, 0)
