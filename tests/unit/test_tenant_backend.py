"""A tenant's Cloud PC backend: chosen when it is registered, changed only while nothing was made with it."""

from __future__ import annotations

import pytest

from shared.errors import Conflict
from shared.models.tenants import TenantUpdate
from shared.services.access.tenants import update_tenant
from tests.fakes import Fakes, seed

TO_WINDOWS_365 = TenantUpdate.model_validate({"cloudPcBackend": "windows365"})


def test_an_unused_tenant_moves_to_windows_365_and_back() -> None:
    fakes = Fakes()
    ports = fakes.admin_ports()
    seed.tenant(fakes)
    assert update_tenant(ports, seed.TENANT, TO_WINDOWS_365, if_match=None).cloud_pc_backend == "windows365"
    back = TenantUpdate.model_validate({"cloudPcBackend": "azure"})
    assert update_tenant(ports, seed.TENANT, back, if_match=None).cloud_pc_backend == "azure"


@pytest.mark.parametrize("holder", ["Cloud PCs", "provisioning policies"])
def test_a_tenant_holding_anything_made_with_its_backend_keeps_it(holder: str) -> None:
    fakes = Fakes()
    ports = fakes.admin_ports()
    seed.tenant(fakes)
    if holder == "Cloud PCs":
        seed.cloud_pc(fakes, "adele", status="provisioned")
    else:
        seed.policy(fakes, "finance")
    with pytest.raises(Conflict) as refused:
        update_tenant(ports, seed.TENANT, TO_WINDOWS_365, if_match=None)
    assert refused.value.code == "backendInUse" and refused.value.target == "cloudPcBackend"
    assert holder in str(refused.value) and "'azure'" in str(refused.value)
    assert fakes.tenants.get_tenant(seed.TENANT).cloud_pc_backend == "azure"  # nothing saved


def test_a_patch_that_keeps_the_backend_is_not_held_back() -> None:
    fakes = Fakes()
    ports = fakes.admin_ports()
    seed.tenant(fakes)
    seed.cloud_pc(fakes, "adele", status="provisioned")
    same = TenantUpdate.model_validate({"displayName": "Contoso Ltd", "cloudPcBackend": "azure"})
    assert update_tenant(ports, seed.TENANT, same, if_match=None).display_name == "Contoso Ltd"
