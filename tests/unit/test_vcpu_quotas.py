"""Which vCPU quotas a new VM takes from, by its priority, and a quota without room in an admin's words
(shared/cloud/azure/arm_capacity.py): a Spot VM only the region's Spot pool, a Regular one its family and the
regional total."""

from __future__ import annotations

from shared.cloud.azure.arm_capacity import quota_refusal, vcpu_quotas


def test_a_spot_vm_takes_from_the_spot_pool_only_a_regular_one_from_its_family_and_the_total() -> None:
    assert vcpu_quotas("standardDSv5Family", "Spot") == ("lowPriorityCores",)
    assert vcpu_quotas("standardDSv5Family", "Regular") == ("standardDSv5Family", "cores")
    assert vcpu_quotas("", "Regular") == ("cores",), "a size whose SKU names no family: the total still counts"


def test_a_refusal_names_the_quota_as_the_portal_shows_it_with_its_numbers() -> None:
    name = {"value": "lowPriorityCores", "localizedValue": "Total Regional Low-priority vCPUs"}
    usage = {"currentValue": 10, "limit": 10, "name": name}
    assert quota_refusal(usage, "westeurope", "Standard_D2s_v5", 2) == (
        "Total Regional Low-priority vCPUs in westeurope: 10 of 10 in use, 2 more needed for Standard_D2s_v5."
    )
    unnamed = {"currentValue": 3, "limit": 4, "name": {"value": "standardDSv5Family"}}
    assert quota_refusal(unnamed, "westeurope", "Standard_D4s_v5", 4).startswith("standardDSv5Family in westeurope: ")
