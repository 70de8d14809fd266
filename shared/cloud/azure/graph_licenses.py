"""Windows 365 licenses in Graph: how many of a plan's SKU are free, moving a user from one plan's to another's, and
a user's group licenses applied again."""

from __future__ import annotations

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.cloud.azure.graph_client import GraphClients, GraphError
from shared.ports.cloud_errors import CloudError
from shared.ports.progress import Progress

STEP = "switchLicense"


class GraphLicenses:
    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients

    def free_licenses(self, tenant_id: str, service_plan_id: str) -> int:
        """Units bought and enabled that no user holds (subscribedSkus)."""
        sku_id = SERVICE_PLANS_BY_ID[service_plan_id].sku_id
        for sku in self._clients.client(tenant_id).pages("subscribedSkus", step=STEP):
            if str(sku.get("skuId", "")).lower() == sku_id:
                enabled = int((sku.get("prepaidUnits") or {}).get("enabled") or 0)
                return max(enabled - int(sku.get("consumedUnits") or 0), 0)
        return 0

    def switch_license(self, tenant_id: str, user_id: str, add_plan: str | None, remove_plan: str | None) -> Progress:
        """The user holds `add_plan`'s license and not `remove_plan`'s; done at once when so already."""
        client = self._clients.client(tenant_id)
        add = SERVICE_PLANS_BY_ID[add_plan].sku_id if add_plan else None
        remove = SERVICE_PLANS_BY_ID[remove_plan].sku_id if remove_plan else None
        try:
            user = client.call("GET", f"users/{user_id}", step=STEP, params={"$select": "id,assignedLicenses"})
            held = {str(lic.get("skuId", "")).lower() for lic in user.get("assignedLicenses") or []}
            adds = [{"skuId": add, "disabledPlans": []}] if add and add not in held else []
            removes = [remove] if remove and remove in held else []
            if adds or removes:
                body = {"addLicenses": adds, "removeLicenses": removes}
                client.call("POST", f"users/{user_id}/assignLicense", step=STEP, body=body)
        except GraphError as exc:
            if exc.status == 429:
                return Progress(done=False, retry_after_s=exc.retry_after_s or 1.0, held=exc.code, reason=exc.reason)
            # Graph words a sold-out SKU as a plain 400: the count, not the wording, says whether that was it
            if exc.status == 400 and add_plan and self.free_licenses(tenant_id, add_plan) < 1:
                raise CloudError(STEP, "noFreeLicense", "The tenant has no free license of the target plan.") from exc
            raise
        return Progress(done=True)

    def reprocess_group_licenses(self, tenant_id: str, user_id: str) -> None:
        # https://learn.microsoft.com/graph/api/user-reprocesslicenseassignment (User.ReadWrite.All)
        self._clients.client(tenant_id).call("POST", f"users/{user_id}/reprocessLicenseAssignment", step=STEP)
