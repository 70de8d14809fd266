"""Contract test of Spot VMs in the Compute adapter against the emulator: a Spot VmSpec makes a Spot VM with its
eviction policy and max price, a Regular one sends none of them, and a Spot create Azure refuses for want of Spot
capacity fails with a code the app tells apart (SPOT_CAPACITY_REFUSED), to make the host on demand instead."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from shared.ports.cloud_errors import SPOT_CAPACITY_REFUSED, CloudError
from shared.ports.compute import VmSpec
from tests.integration.test_azure_cloud_pc_operations import APP_TENANT, GALLERY_IMAGE, REGION, RG, Cloud, cloud
from tests.utils.progress import until_done

__all__ = ["cloud"]  # the fixture, from the Cloud PC operations' contract tests
SIZE = "Standard_D2s_v5"


def spec(cloud: Cloud, **spot: object) -> VmSpec:
    name = f"spot-{uuid.uuid4().hex[:8]}"
    made = VmSpec(
        name=name,
        nic_name=f"{name}-nic",
        computer_name=name.upper(),
        placement=cloud.placement,
        vm_size=SIZE,
        image_type="gallery",
        image_id=GALLERY_IMAGE,
        os_disk_size_gb=128,
        subnet_id=None,
    )
    return dataclasses.replace(made, **spot)  # type: ignore[arg-type]


def shown(cloud: Cloud, name: str) -> dict[str, object]:
    vm = cloud.admin.vm(RG, name)
    assert vm is not None
    return {k: vm["properties"].get(k) for k in ("priority", "evictionPolicy", "billingProfile")}


def test_a_spot_spec_makes_a_spot_vm_and_a_refused_spot_capacity_is_told_apart(cloud: Cloud) -> None:
    spot = spec(cloud, priority="Spot", eviction_policy="Delete", max_price=0.5)
    assert until_done(lambda op: cloud.compute.create_vm(APP_TENANT, spot, op)).done
    assert shown(cloud, spot.name) == {
        "priority": "Spot",
        "evictionPolicy": "Delete",
        "billingProfile": {"maxPrice": 0.5},
    }
    uncapped = spec(cloud, priority="Spot")
    assert until_done(lambda op: cloud.compute.create_vm(APP_TENANT, uncapped, op)).done
    assert shown(cloud, uncapped.name) == {
        "priority": "Spot",
        "evictionPolicy": "Deallocate",
        "billingProfile": {"maxPrice": -1},
    }
    regular = spec(cloud)
    assert until_done(lambda op: cloud.compute.create_vm(APP_TENANT, regular, op)).done
    assert shown(cloud, regular.name) == {"priority": None, "evictionPolicy": None, "billingProfile": None}

    emulator = cloud.admin.emulator.base_url
    body: dict[str, Any] = {"available": False, "tenantId": cloud.admin.tenant_id}
    reply = cloud.admin.session.put(f"{emulator}/emulator/spot/capacity/{REGION}/{SIZE}", json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    with pytest.raises(CloudError) as refused:
        until_done(lambda op: cloud.compute.create_vm(APP_TENANT, spec(cloud, priority="Spot"), op))
    assert refused.value.code in SPOT_CAPACITY_REFUSED
