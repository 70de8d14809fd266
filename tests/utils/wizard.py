"""Builds wizard resources over HTTP for end-to-end tests (tenant, site, connection, image, policy)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import SUBSCRIPTION, VNET, site_body

PASSWORD = "Corr3ct-Horse-Battery"
MANAGED_IMAGE = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden"
)


class Tenant:
    """One fresh tenant with a site, and shortcuts to its wizard routes."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.id = api.created("/tenants", {"displayName": f"Tenant {uuid.uuid4().hex[:6]}"})["id"]
        self.path = f"/tenants/{self.id}"
        self.sim = f"/sim/tenants/{self.id}"
        self.site = api.created(f"{self.path}/sites", site_body(subnetId=f"{VNET}/subnets/cloudpcs"))

    def connection_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "displayName": "Contoso HQ",
            "siteId": self.site["id"],
            "connectionType": "hybridAzureADJoin",
            "adDomainName": "corp.contoso.com",
            "adDomainUsername": "cpc-join@corp.contoso.com",
            "adDomainPassword": PASSWORD,
            "organizationalUnit": "OU=CloudPCs,DC=corp,DC=contoso,DC=com",
            **overrides,
        }

    def connection(self, **overrides: Any) -> dict[str, Any]:
        return self.api.created(f"{self.path}/connections", self.connection_body(**overrides))

    def settled_connection(self, connection_id: str) -> dict[str, Any]:
        def settled() -> dict[str, Any]:
            body: dict[str, Any] = self.api.get(f"{self.path}/connections/{connection_id}").json()
            assert body["healthCheckStatus"] not in ("pending", "running"), body["healthCheckStatus"]
            return body

        return eventually(settled)

    def healthy_connection(self, **overrides: Any) -> dict[str, Any]:
        connection = self.settled_connection(self.connection(**overrides)["id"])
        assert connection["healthCheckStatus"] == "passed", connection
        return connection

    def managed_image(self, **overrides: Any) -> str:
        body = {"resourceId": MANAGED_IMAGE, **overrides}
        reply = self.api.put(f"{self.sim}/managedImages", body)
        assert reply.status_code == 200, reply.text
        return str(body["resourceId"])

    def image_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "displayName": "Golden Windows 11",
            "siteId": self.site["id"],
            "version": "1.0.0",
            "sourceImageResourceId": MANAGED_IMAGE,
            **overrides,
        }

    def settled_image(self, image_id: str) -> dict[str, Any]:
        def settled() -> dict[str, Any]:
            body: dict[str, Any] = self.api.get(f"{self.path}/deviceImages/{image_id}").json()
            assert body["status"] != "pending"
            return body

        return eventually(settled)

    def ready_image(self, **overrides: Any) -> dict[str, Any]:
        self.managed_image()
        image = self.settled_image(self.api.created(f"{self.path}/deviceImages", self.image_body(**overrides))["id"])
        assert image["status"] == "ready", image
        return image

    def policy_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "displayName": "Finance Cloud PCs",
            "description": "Standard desktops",
            "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
            "imageType": "gallery",
            "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
            "cloudPcNamingTemplate": "FIN-%USERNAME:4%-%RAND:5%",
            **overrides,
        }

    def policy(self, **overrides: Any) -> dict[str, Any]:
        return self.api.created(f"{self.path}/provisioningPolicies", self.policy_body(**overrides))

    def user(self, user_id: str, licenses: list[str]) -> None:
        body = {"userPrincipalName": f"{user_id}@contoso.com", "displayName": user_id, "licenses": licenses}
        assert self.api.put(f"{self.sim}/users/{user_id}", body).status_code == 200

    def group(self, group_id: str, members: list[str]) -> None:
        body = {"displayName": group_id, "members": members}
        assert self.api.put(f"{self.sim}/groups/{group_id}", body).status_code == 200

    def fault(self, step: str, count: int, error_code: str | None = None) -> None:
        reply = self.api.put(f"{self.sim}/faults/{step}", {"count": count, "errorCode": error_code})
        assert reply.status_code == 200, reply.text
