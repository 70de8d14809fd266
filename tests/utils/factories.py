"""Valid request bodies for each wizard, to be varied by the tests."""

from __future__ import annotations

import uuid
from typing import Any

SUBSCRIPTION = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
VNET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-eu"


def tenant_body(**overrides: Any) -> dict[str, Any]:
    return {"displayName": "Contoso", **overrides}


def site_body(**overrides: Any) -> dict[str, Any]:
    return {
        "displayName": "West Europe",
        "regionName": "westeurope",
        "subscriptionId": SUBSCRIPTION,
        "resourceGroupName": "rg-cloudpcs",
        **overrides,
    }


def unique_table_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]
