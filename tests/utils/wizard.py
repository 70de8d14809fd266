"""One tenant for end-to-end tests: its Azure set up as an admin would (Graph and ARM on the emulator the app is
pointed at), the app's wizard resources over HTTP, and names for its users and groups."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.catalog.app_access import WINDOWS365_ROLES, WINDOWS_365_APP_ID
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS
from tests.utils.admin_sign_in import grant_in_one_step
from tests.utils.api_client import ApiClient, eventually
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.factories import site_body
from tests.utils.graph_admin import GraphAdmin
from tests.utils.onboarding import apply_fixes, grant_app, report

PASSWORD = "Corr3ct-Horse-Battery"
NETWORK_RG, CLOUD_PC_RG, IMAGE_RG = "rg-net", "rg-cloudpcs", "rg-images"
# the form of a managed image id, for input checks that never reach Azure
MANAGED_IMAGE = (
    "/subscriptions/6f9619ff-8b86-d011-b42d-00cf4fc964ff/resourceGroups/rg-images"
    "/providers/Microsoft.Compute/images/win11"
)


def emulator_from_environment() -> EmulatorProcess:
    """The Azure the app is pointed at (the test session's emulator), from the app's own settings."""
    base = os.environ["ARM_ENDPOINT"].removesuffix("/arm")
    return EmulatorProcess(state_dir=Path("."), base_url=base, ca_bundle=os.environ["REQUESTS_CA_BUNDLE"])


class Tenant:
    """A fresh customer: an Entra tenant and a subscription of its own, a site, and shortcuts to the wizards.

    Users and groups are named by the tests; Graph gives them ids, which `uid`, `gid` and `name_of` translate.
    Faults and latency armed here apply to this tenant's calls only.
    """

    def __init__(
        self,
        api: ApiClient,
        onboard: bool = True,
        withhold: tuple[str, ...] = (),
        backend: str = "azure",
        windows365_roles: bool = True,
    ) -> None:
        self.api = api
        self.emulator = emulator = emulator_from_environment()
        self.entra_id = str(uuid.uuid4())
        self.graph = GraphAdmin(emulator, self.entra_id)
        self.arm = ArmAdmin(emulator, self.entra_id).waiting_out_throttles()
        self.controls = Controls(emulator, self.entra_id)
        self.domain = f"corp{uuid.uuid4().hex[:6]}.contoso.com"
        self.users: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        # what the customer's admin already has in Azure: a network, and a resource group for Cloud PCs
        self.subnet_id = self.arm.virtual_network(NETWORK_RG, "vnet-eu")
        self.arm.resource_group(CLOUD_PC_RG)
        self.managed_image_id = self.arm.resource_id(IMAGE_RG, "Microsoft.Compute", "images", "win11-golden")
        self.display_name = f"Tenant {uuid.uuid4().hex[:6]}"
        tenant = {"displayName": self.display_name, "entraTenantId": self.entra_id, "cloudPcBackend": backend}
        self.id = api.created("/tenants", tenant)["id"]
        self.path = f"/tenants/{self.id}"
        self.site = api.created(
            f"{self.path}/sites",
            site_body(subscriptionId=self.arm.subscription_id, resourceGroupName=CLOUD_PC_RG, subnetId=self.subnet_id),
        )
        if withhold:  # consented before the app's first token, without these Graph permissions
            granted = [p.name for p in GRAPH_PERMISSIONS if p.name not in withhold]
            self.controls.app_access(APP_CLIENT_ID, consented=True, graphPermissions=granted)
        self.windows365_roles: dict[str, str] = {}  # role GUID -> its assignment to Windows 365's principal
        if backend == "windows365" and windows365_roles:
            # the admin gives Windows 365 what Microsoft asks for a network it will use, before any connection
            for role in WINDOWS365_ROLES:
                self.grant_windows365(role.role_definition_id)
        if onboard and not withhold:
            self.onboarded(backend)
        elif onboard:
            if backend == "windows365" and windows365_roles:
                grant_in_one_step(self.api, self.path, self.emulator, self.arm)  # as onboarded() has it said
            self.onboard(fix_graph=False)

    def windows365_scope(self, role_definition_id: str) -> str:
        """Where Windows 365 needs the role for this tenant's connections: the subscription, the Cloud PCs' group
        (where a connection's network interfaces go) or the virtual network."""
        scope = next(role.scope for role in WINDOWS365_ROLES if role.role_definition_id == role_definition_id)
        return {
            "subscription": f"/subscriptions/{self.arm.subscription_id}",
            "resourceGroup": self.arm.group_id(CLOUD_PC_RG),
            "virtualNetwork": self.subnet_id.rsplit("/subnets/", 1)[0],
        }[scope]

    def grant_windows365(self, role_definition_id: str) -> str:
        """The built-in role assigned to Windows 365's service principal where it needs it: the assignment's id."""
        principal = self.arm.service_principal(WINDOWS_365_APP_ID)
        assignment = self.arm.assign_built_in(self.windows365_scope(role_definition_id), role_definition_id, principal)
        self.windows365_roles[role_definition_id] = assignment
        return assignment

    def onboarded(self, backend: str) -> dict[str, Any]:
        """Onboarded in one go, as an admin who did what the report asks before reading it (consent, and for the app's
        own Cloud PCs the custom role on the subscription), then the report once (which subscribes the app to the
        tenant's directory changes): the final report. The report's fixes one by one (`onboard`) are what the
        onboarding tests walk; done for every tenant they cost about 0.4 s of the machine's CPU more. A report that is
        not ready yet has its fixes followed one by one."""
        grant_app(self.emulator, self.entra_id, self.arm.subscription_id if backend == "azure" else None)
        if backend == "windows365" and self.windows365_roles:
            # the admin gave them with az: only the one-step grant's word tells the report, as no app can read them
            grant_in_one_step(self.api, self.path, self.emulator, self.arm)
        found = report(self.api, self.path)
        if backend == "windows365" and not self.windows365_roles:
            return found  # nobody gave Windows 365 its roles: the report asks for them until someone does
        return found if found["ready"] else self.onboard()

    def onboard(self, fix_graph: bool = True) -> dict[str, Any]:
        """The customer's admin follows the app's onboarding report (a new tenant grants nothing): the final report."""
        found = apply_fixes(self.api, self.path, self.emulator, self.entra_id, fix_graph=fix_graph)
        assert found["ready"] or not fix_graph, found
        return found

    # --- the directory, by name --------------------------------------------------------------------------
    def user(self, name: str, plans: list[str]) -> str:
        """The user `name`, made once, holding exactly the licenses of `plans`."""
        if name not in self.users:
            self.users[name] = self.graph.create_user(name)
        user_id = self.users[name]
        held = self.graph.licensed_plans(user_id)
        if extra := [p for p in held if p not in plans]:
            self.graph.remove_licenses(user_id, *extra)
        if missing := [p for p in plans if p not in held]:
            self.graph.assign_licenses(user_id, *missing)
        return user_id

    def group(self, name: str, members: list[str]) -> str:
        """The group `name`, made once, with exactly `members` (users made on first mention, unlicensed)."""
        if name not in self.groups:
            self.groups[name] = self.graph.create_group(name)
        group_id = self.groups[name]
        wanted = {self.users.get(m) or self.user(m, []) for m in members}
        current = set(self.graph.members(group_id))
        for member in current - wanted:
            self.graph.remove_member(group_id, member)
        for member in wanted - current:
            self.graph.add_member(group_id, member)
        return group_id

    def uid(self, name: str) -> str:
        return self.users[name]

    def gid(self, name: str) -> str:
        return self.groups[name]

    def name_of(self, object_id: str) -> str:
        """The test's name of a user or group id (the id itself if the test never named it)."""
        names = {v: k for k, v in {**self.users, **self.groups}.items()}
        return names.get(object_id, object_id)

    # --- emulator controls, for this tenant's calls only ----------------------------------------------------
    def fault(self, operation: str, count: int, error_code: str | None = None, status: int = 400) -> None:
        self.controls.fault(operation, count, error_code, status)

    def latency(self, operation: str, seconds: float) -> None:
        self.controls.latency(operation, seconds)

    def resources(self) -> dict[str, list[dict[str, Any]]]:
        """What exists in the tenant's Azure and directory, read through ARM and Graph lists."""
        vms = self.arm.vms(CLOUD_PC_RG)
        run_commands = [
            {
                "vm": vm["name"],
                "name": command["name"],
                "executionState": (command["properties"].get("instanceView") or {}).get("executionState"),
                "output": (command["properties"].get("instanceView") or {}).get("output") or "",
                "script": _script_lines(command["properties"].get("source") or {}),
            }
            for vm in vms
            for command in self.arm.run_commands(CLOUD_PC_RG, vm["name"])
        ]
        return {
            "virtualMachines": vms,
            "networkInterfaces": self.arm.nics(CLOUD_PC_RG),
            # those the app made: not the onboarding's own assignment of the app's role, at the subscription
            "roleAssignments": [
                a
                for a in self.arm.role_assignments(CLOUD_PC_RG)
                if not a["properties"]["scope"].endswith(self.arm.subscription_id)
            ],
            "runCommands": run_commands,
            "entraDevices": self.graph.devices(),
            "intuneDevices": self.graph.managed_devices(),
            "adComputerAccounts": self.graph.computers(self.domain),
        }

    # --- wizards over HTTP --------------------------------------------------------------------------------------
    def assignments(self, *groups: str) -> dict[str, Any]:
        return {"assignments": [{"groupId": self.gid(g)} for g in groups]}

    def assign(self, policy: dict[str, Any], *groups: str) -> None:
        reply = self.api.post(f"{self.path}/provisioningPolicies/{policy['id']}/assign", self.assignments(*groups))
        assert reply.status_code == 200, reply.text

    def connection_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "displayName": "Contoso HQ",
            "siteId": self.site["id"],
            "connectionType": "hybridAzureADJoin",
            "adDomainName": self.domain,
            "adDomainUsername": f"cpc-join@{self.domain}",
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

        return eventually(settled, timeout_s=120)

    def healthy_connection(self, **overrides: Any) -> dict[str, Any]:
        connection = self.settled_connection(self.connection(**overrides)["id"])
        assert connection["healthCheckStatus"] == "passed", connection
        return connection

    def managed_image(self, **rules: Any) -> str:
        """The golden image in the tenant's subscription; each keyword of ArmAdmin.managed_image breaks a rule."""
        return self.arm.managed_image(IMAGE_RG, "win11-golden", **rules)

    def image_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "displayName": "Golden Windows 11",
            "siteId": self.site["id"],
            "version": "1.0.0",
            "sourceImageResourceId": self.managed_image_id,
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


def _script_lines(source: dict[str, Any]) -> list[str]:
    script = source.get("script") or ""
    return list(script) if isinstance(script, list) else str(script).splitlines()
