"""What a tenant's admin does in Microsoft Graph (users, licenses, groups), against the Azure emulator, for tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID

GRAPH_AUDIENCE = "https://graph.microsoft.com"
MAILBOX_SKU = "05e9a617-0261-4cee-bb44-138d3ef5d965"  # Microsoft 365 E3: its Exchange Online plan makes a mailbox


class GraphAdminError(AssertionError):
    """Graph refused an admin call; the message carries Graph's code and message."""


class GraphAdmin:
    """One Entra tenant seen through Graph with an admin's token; licenses are named by the app's service plan ids."""

    def __init__(self, emulator: EmulatorProcess, entra_tenant_id: str) -> None:
        self.emulator = emulator
        self.tenant_id = entra_tenant_id
        self.graph = f"{emulator.base_url}/graph/v1.0"
        self.beta = f"{emulator.base_url}/graph/beta"
        self.session = emulator.session()
        self._token_expires = 0.0

    # --- plumbing -------------------------------------------------------------------------------------
    def _authorize(self) -> None:
        if time.time() < self._token_expires - 60:
            return
        reply = self.session.post(
            f"{self.emulator.base_url}/emulator/token", json={"tenantId": self.tenant_id, "audience": GRAPH_AUDIENCE}
        )
        reply.raise_for_status()
        body = reply.json()
        self.session.headers["Authorization"] = f"Bearer {body['access_token']}"
        self._token_expires = float(body["expires_on"])

    def call(self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        self._authorize()
        reply = self.session.request(method, url, json=body, params=params)
        if reply.status_code >= 400:
            error = (reply.json() if reply.content else {}).get("error", {})
            raise GraphAdminError(f"{method} {url} -> {reply.status_code} {error.get('code')}: {error.get('message')}")
        return reply.json() if reply.content else None

    def list_all(self, url: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = self.call("GET", url, params=params)
        while True:
            items.extend(page.get("value", []))
            link = page.get("@odata.nextLink")
            if not link:
                return items
            page = self.call("GET", link)

    # --- users and licenses ---------------------------------------------------------------------------
    def create_user(self, name: str | None = None, *, usage_location: str = "US", upn: str | None = None) -> str:
        nickname = name or (upn.split("@")[0] if upn else f"user{uuid.uuid4().hex[:8]}")
        body = {
            "accountEnabled": True,
            "displayName": nickname,
            "mailNickname": nickname,
            "userPrincipalName": upn or f"{nickname}@{self.tenant_id[:8]}.onmicrosoft.example",
            "usageLocation": usage_location,
            "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": uuid.uuid4().hex + "Aa1!"},
        }
        return str(self.call("POST", f"{self.graph}/users", body)["id"])

    def user(self, user_id: str) -> dict[str, Any]:
        params = {"$select": "id,displayName,userPrincipalName,assignedLicenses,usageLocation,accountEnabled"}
        return dict(self.call("GET", f"{self.graph}/users/{user_id}", params=params))

    def delete_user(self, user_id: str) -> None:
        self.call("DELETE", f"{self.graph}/users/{user_id}")

    def assign_licenses(self, user_id: str, *plan_ids: str) -> None:
        """Licenses by service plan id: each grants the plan's SKU (a user holds a SKU at most once)."""
        adds = [{"skuId": SERVICE_PLANS_BY_ID[p].sku_id, "disabledPlans": []} for p in plan_ids]
        self.call("POST", f"{self.graph}/users/{user_id}/assignLicense", {"addLicenses": adds, "removeLicenses": []})

    def remove_licenses(self, user_id: str, *plan_ids: str) -> None:
        removes = [SERVICE_PLANS_BY_ID[p].sku_id for p in plan_ids]
        self.call("POST", f"{self.graph}/users/{user_id}/assignLicense", {"addLicenses": [], "removeLicenses": removes})

    def give_mailbox(self, user_id: str) -> None:
        """An Exchange Online mailbox: the user is licensed for a suite with Exchange Online (and no Cloud PC)."""
        adds = [{"skuId": MAILBOX_SKU, "disabledPlans": []}]
        self.call("POST", f"{self.graph}/users/{user_id}/assignLicense", {"addLicenses": adds, "removeLicenses": []})

    def mailbox_user(self, name: str | None = None, *, upn: str | None = None) -> tuple[str, str]:
        """A new user with a mailbox: its id and userPrincipalName."""
        user_id = self.create_user(name, upn=upn)
        self.give_mailbox(user_id)
        return user_id, str(self.user(user_id)["userPrincipalName"])

    def restrict_app_to(self, app_id: str, group_id: str, access_right: str = "RestrictAccess") -> None:
        """Exchange's New-ApplicationAccessPolicy: the app's mail permissions reach only the group's members (an
        emulator control: Exchange's policies are set in its PowerShell, not through Graph)."""
        url = f"{self.emulator.base_url}/emulator/tenants/{self.tenant_id}/applicationAccessPolicies/{app_id}"
        self.session.put(url, json={"groupId": group_id, "accessRight": access_right}).raise_for_status()

    def set_enabled_units(self, plan_id: str, units: int) -> None:
        """How many licenses of the plan's SKU the tenant has bought (an emulator control)."""
        self.session.put(self._units_url(plan_id), json={"units": units}).raise_for_status()

    def license_units(self, plan_id: str) -> dict[str, Any]:
        """The tenant's units of the plan's SKU and how many users hold one: `{units, consumedUnits, ...}`."""
        reply = self.session.get(self._units_url(plan_id))
        reply.raise_for_status()
        return dict(reply.json())

    def _units_url(self, plan_id: str) -> str:
        sku = SERVICE_PLANS_BY_ID[plan_id].sku_id
        return f"{self.emulator.base_url}/emulator/tenants/{self.tenant_id}/skus/{sku}"

    def licensed_plans(self, user_id: str) -> list[str]:
        by_sku = {plan.sku_id: plan.id for plan in SERVICE_PLANS_BY_ID.values()}
        return sorted(by_sku[lic["skuId"]] for lic in self.user(user_id)["assignedLicenses"] if lic["skuId"] in by_sku)

    # --- groups ------------------------------------------------------------------------------------------
    def create_group(self, name: str | None = None, *, mail_enabled: bool = False) -> str:
        nickname = name or f"group{uuid.uuid4().hex[:8]}"
        body = {"displayName": nickname, "mailEnabled": mail_enabled, "mailNickname": nickname, "securityEnabled": True}
        return str(self.call("POST", f"{self.graph}/groups", body)["id"])

    def delete_group(self, group_id: str) -> None:
        self.call("DELETE", f"{self.graph}/groups/{group_id}")

    def add_member(self, group_id: str, member_id: str) -> None:
        reference = {"@odata.id": f"{self.graph}/directoryObjects/{member_id}"}
        self.call("POST", f"{self.graph}/groups/{group_id}/members/$ref", reference)

    def remove_member(self, group_id: str, member_id: str) -> None:
        self.call("DELETE", f"{self.graph}/groups/{group_id}/members/{member_id}/$ref")

    def assign_group_licenses(self, group_id: str, *plan_ids: str) -> None:
        """Group-based licensing: the group's direct user members inherit the plans' SKUs."""
        adds = [{"skuId": SERVICE_PLANS_BY_ID[p].sku_id, "disabledPlans": []} for p in plan_ids]
        self.call("POST", f"{self.graph}/groups/{group_id}/assignLicense", {"addLicenses": adds, "removeLicenses": []})

    def remove_group_licenses(self, group_id: str, *plan_ids: str) -> None:
        body = {"addLicenses": [], "removeLicenses": [SERVICE_PLANS_BY_ID[p].sku_id for p in plan_ids]}
        self.call("POST", f"{self.graph}/groups/{group_id}/assignLicense", body)

    def license_states(self, user_id: str) -> list[dict[str, Any]]:
        """The user's licenseAssignmentStates: each license's source (`assignedByGroup`), state and error."""
        params = {"$select": "id,licenseAssignmentStates"}
        return list(self.call("GET", f"{self.graph}/users/{user_id}", params=params)["licenseAssignmentStates"])

    def members(self, group_id: str) -> list[str]:
        return [m["id"] for m in self.list_all(f"{self.graph}/groups/{group_id}/members", {"$select": "id"})]

    # --- devices -----------------------------------------------------------------------------------------
    def devices(self, display_name: str | None = None) -> list[dict[str, Any]]:
        params = {"$filter": f"displayName eq '{display_name}'"} if display_name else None
        return self.list_all(f"{self.graph}/devices", params)

    def managed_devices(self, device_name: str | None = None) -> list[dict[str, Any]]:
        params = {"$filter": f"deviceName eq '{device_name}'"} if device_name else None
        return self.list_all(f"{self.graph}/deviceManagement/managedDevices", params)

    def primary_users(self, managed_device_id: str) -> list[str]:
        users = self.call("GET", f"{self.beta}/deviceManagement/managedDevices/{managed_device_id}/users")
        return [u["id"] for u in users["value"]]

    def computers(self, domain: str | None = None) -> list[dict[str, Any]]:
        """On-premises AD computer accounts (every domain's, or one's)."""
        reply = self.session.get(f"{self.emulator.base_url}/emulator/activeDirectory/computers")
        reply.raise_for_status()
        found: list[dict[str, Any]] = reply.json()["value"]
        return [c for c in found if domain is None or c["domain"] == domain.lower()]
