"""Merge-patch updates: present fields change, `null` clears an optional field or resets one the resource always has."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models.policies import ProvisioningPolicy, ProvisioningPolicyCreate, ProvisioningPolicyUpdate
from shared.services.engine.updates import merge_patch

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_null_resets_a_field_the_resource_always_has_and_clears_an_optional_one() -> None:
    policy = ProvisioningPolicy.model_validate(
        {
            "id": "p",
            "tenantId": "t",
            "createdDateTime": T0,
            "lastModifiedDateTime": T0,
            "displayName": "P",
            "description": "old",
            "imageType": "gallery",
            "imageId": "img",
            "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
            "windowsSetting": {"locale": "de-DE"},
            "cloudPcNamingTemplate": "CPC-%USERNAME:5%-%RAND:5%",
        }
    )
    patch = ProvisioningPolicyUpdate.model_validate({"windowsSetting": None, "description": None})
    updated = merge_patch(policy, patch, ProvisioningPolicyCreate, T0)
    assert updated.windows_setting.locale == "en-US"  # the default, never null
    assert updated.description is None
    assert updated.display_name == "P"
