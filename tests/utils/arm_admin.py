"""What an admin does in Azure, with plain ARM calls to the emulator: resource groups, networks, images, quotas;
and the lists tests assert on (VMs, NICs, disks, role assignments, run commands, extensions)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests
from azure.core.credentials import AccessToken
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from azure_emulator.launcher import EmulatorProcess

API = {
    "Microsoft.Resources": "2021-04-01",
    "Microsoft.Network": "2024-05-01",
    "Microsoft.Compute": "2024-07-01",
    "Microsoft.Authorization": "2022-04-01",
    "Microsoft.Quota": "2023-02-01",
    "Microsoft.DesktopVirtualization": "2024-04-03",
    "Microsoft.ManagedServices": "2022-10-01",
}
# Types of a namespace that ARM serves under other api-versions than the namespace's default above
# (azure_emulator/arm/resource_types.py): Compute's galleries (GalleryRP) and disks (DiskRP)
TYPE_API = {"/microsoft.compute/galleries/": "2024-03-03", "/microsoft.compute/disks": "2024-03-02"}
ARM_AUDIENCE = "https://management.azure.com"


def emulator_token(emulator: EmulatorProcess, tenant_id: str, audience: str = ARM_AUDIENCE) -> tuple[str, int]:
    reply = emulator.session().post(
        f"{emulator.base_url}/emulator/token", json={"tenantId": tenant_id, "audience": audience}, timeout=30
    )
    reply.raise_for_status()
    body = reply.json()
    return str(body["access_token"]), int(body["expires_on"])


class StaticCredential:
    """A TokenCredential with one emulator token (tests only; the app uses real credentials)."""

    def __init__(self, emulator: EmulatorProcess, tenant_id: str) -> None:
        self.token, self.expires_on = emulator_token(emulator, tenant_id)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, self.expires_on)


class EmulatorCredentials:
    """`for_tenant(app tenant id)` as shared.cloud.azure.credentials has it, mapping app tenants to Entra tenants."""

    def __init__(self, emulator: EmulatorProcess, entra_tenants: dict[str, str]) -> None:
        self._emulator, self._entra = emulator, entra_tenants

    def for_tenant(self, tenant_id: str) -> StaticCredential:
        return StaticCredential(self._emulator, self._entra[tenant_id])

    def for_arm(self, tenant_id: str) -> StaticCredential:
        return self.for_tenant(tenant_id)

    def azure_access(self, tenant_id: str) -> str:
        return "consent"

    def entra_tenant_id(self, tenant_id: str) -> str:
        return self._entra[tenant_id]


class ArmAdmin:
    """One Entra tenant's admin in one subscription."""

    def __init__(self, emulator: EmulatorProcess, tenant_id: str, subscription_id: str | None = None) -> None:
        self.emulator = emulator
        self.tenant_id = tenant_id
        self.subscription_id = subscription_id or str(uuid.uuid4())
        self.session: requests.Session = emulator.session()
        self.session.headers["Authorization"] = f"Bearer {emulator_token(emulator, tenant_id)[0]}"

    def waiting_out_throttles(self) -> ArmAdmin:
        """Every request of this admin answered 429 is sent again after its Retry-After, as `az` does: a test that
        reads hundreds of resources meets ARM's read budget as a script would."""
        retry = Retry(
            total=30,
            status_forcelist=[429],
            respect_retry_after_header=True,
            allowed_methods=None,
            raise_on_status=False,
            backoff_factor=0,
        )
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        return self

    # --- plain ARM ------------------------------------------------------------------------------------
    def url(self, resource_id: str, api_version: str | None = None) -> str:
        namespace = resource_id.split("/providers/")[-1].split("/")[0] if "/providers/" in resource_id else ""
        by_type = next((v for t, v in TYPE_API.items() if t in resource_id.lower() + "/"), None)
        version = api_version or by_type or API.get(namespace, API["Microsoft.Resources"])
        separator = "&" if "?" in resource_id else "?"
        return f"{self.emulator.base_url}/arm{resource_id}{separator}api-version={version}"

    def call(
        self, method: str, resource_id: str, body: Any = None, api_version: str | None = None
    ) -> requests.Response:
        return self.session.request(method, self.url(resource_id, api_version), json=body, timeout=60)

    def ok(self, method: str, resource_id: str, body: Any = None) -> dict[str, Any]:
        """The request's answer once Azure has finished it, as `az` waits unless told --no-wait: a long-running
        write is followed to its end (Azure-AsyncOperation), and a PUT answers the resource as it then is."""
        reply = self.call(method, resource_id, body)
        assert reply.status_code < 300, f"{method} {resource_id}: {reply.status_code} {reply.text}"
        self.finished(reply)
        if method == "PUT" and reply.headers.get("Azure-AsyncOperation"):
            return self.ok("GET", resource_id)
        return reply.json() if reply.content else {}

    def finished(self, reply: requests.Response, timeout_s: float = 120) -> dict[str, Any]:
        """Follow a long-running operation's status URL until it ends: its last status (Succeeded, Failed or
        Canceled with its error); {} for an answer that was not long-running."""
        status_url = reply.headers.get("Azure-AsyncOperation")
        if reply.status_code >= 300 or not status_url:  # an update answers 200 with one, a create 201
            return {}
        deadline = time.monotonic() + timeout_s
        while True:
            status: dict[str, Any] = self.session.get(status_url, timeout=60).json()
            if status.get("status") in ("Succeeded", "Failed", "Canceled"):
                return status
            assert time.monotonic() < deadline, f"{status_url} still {status.get('status')}"
            time.sleep(0.1)  # Azure says when to ask again (Retry-After); the emulator's operations are short

    def group_id(self, rg: str) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{rg}"

    def resource_id(self, rg: str, namespace: str, *type_and_names: str) -> str:
        return f"{self.group_id(rg)}/providers/{namespace}/" + "/".join(type_and_names)

    # --- what an admin sets up ------------------------------------------------------------------------
    def resource_group(self, rg: str, location: str = "westeurope") -> str:
        return str(self.ok("PUT", self.group_id(rg), {"location": location})["id"])

    def virtual_network(
        self,
        rg: str,
        name: str,
        location: str = "westeurope",
        address_space: str = "10.0.0.0/16",
        subnets: dict[str, str] | None = None,
        dns_servers: list[str] | None = None,
    ) -> str:
        """Creates the vnet (and the resource group if needed); the id of its first subnet."""
        if self.call("GET", self.group_id(rg)).status_code == 404:
            self.resource_group(rg, location)
        subnets = subnets or {"cloudpcs": "10.0.1.0/24"}
        body = {
            "location": location,
            "properties": {
                "addressSpace": {"addressPrefixes": [address_space]},
                "dhcpOptions": {"dnsServers": dns_servers or []},
                "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets.items()],
            },
        }
        vnet = self.ok("PUT", self.resource_id(rg, "Microsoft.Network", "virtualNetworks", name), body)
        return str(vnet["properties"]["subnets"][0]["id"])

    def managed_image(
        self,
        rg: str,
        name: str,
        location: str = "westeurope",
        *,
        generation: str = "V2",
        os_state: str = "Generalized",
        os_type: str = "Windows",
        disk_gb: int = 64,
        data_disks: int = 0,
    ) -> str:
        """A managed image like a golden Windows 11 image; each keyword breaks one rule when changed."""
        if self.call("GET", self.group_id(rg)).status_code == 404:
            self.resource_group(rg, location)
        body = {
            "location": location,
            "properties": {
                "hyperVGeneration": generation,
                "storageProfile": {
                    "osDisk": {
                        "osType": os_type,
                        "osState": os_state,
                        "diskSizeGB": disk_gb,
                        "blobUri": f"https://golden.blob.core.windows.net/vhds/{name}.vhd",
                    },
                    "dataDisks": [{"lun": i, "diskSizeGB": 32} for i in range(data_disks)],
                },
            },
        }
        return str(self.ok("PUT", self.resource_id(rg, "Microsoft.Compute", "images", name), body)["id"])

    def virtual_machine(self, rg: str, name: str, subnet_id: str, location: str = "westeurope") -> dict[str, Any]:
        """A VM of the admin's own (not a Cloud PC) with a NIC `{name}-nic` in the subnet; the VM as ARM answers."""
        nic = self.ok(
            "PUT",
            self.resource_id(rg, "Microsoft.Network", "networkInterfaces", f"{name}-nic"),
            {
                "location": location,
                "properties": {
                    "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}]
                },
            },
        )
        image = {"publisher": "microsoftwindowsserver", "offer": "windowsserver", "sku": "2022-datacenter-g2"}
        return self.ok(
            "PUT",
            self.resource_id(rg, "Microsoft.Compute", "virtualMachines", name),
            {
                "location": location,
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {"imageReference": image},
                    "osProfile": {
                        "computerName": name[:15],
                        "adminUsername": "opsadmin",
                        "adminPassword": "Pa55w0rd!Pa55w0rd!",
                    },
                    "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
                },
            },
        )

    def quota(self, region: str, name: str, limit: int) -> None:
        """Microsoft.Quota: the vCPU limit of a family (e.g. standardDSv5Family) or `cores` in a region."""
        path = (
            f"/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/locations/{region}"
            f"/providers/Microsoft.Quota/quotas/{name}"
        )
        reply = self.session.put(
            self.url(path, API["Microsoft.Quota"]),
            json={"properties": {"limit": {"limitObjectType": "LimitValue", "value": limit}}},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text

    # --- what tests look at ---------------------------------------------------------------------------
    def _list(self, resource_id: str, query: str = "") -> list[dict[str, Any]]:
        return [item for page in self.pages(resource_id, query) for item in page]

    def pages(self, resource_id: str, query: str = "") -> list[list[dict[str, Any]]]:
        """A list's pages, following ARM's nextLink; none when the list's scope does not exist."""
        found: list[list[dict[str, Any]]] = []
        url: str | None = self.url(resource_id) + query
        while url:
            reply = self.session.get(url, timeout=60)
            if reply.status_code == 404 and not found:
                return []
            assert reply.status_code == 200, reply.text
            found.append(list(reply.json()["value"]))
            url = reply.json().get("nextLink")
        return found

    def vms(self, rg: str) -> list[dict[str, Any]]:
        return self._list(self.resource_id(rg, "Microsoft.Compute", "virtualMachines"), "&$expand=instanceView")

    def vm(self, rg: str, name: str) -> dict[str, Any] | None:
        reply = self.session.get(
            self.url(self.resource_id(rg, "Microsoft.Compute", "virtualMachines", name)) + "&$expand=instanceView",
            timeout=60,
        )
        return reply.json() if reply.status_code == 200 else None

    def nics(self, rg: str) -> list[dict[str, Any]]:
        return self._list(self.resource_id(rg, "Microsoft.Network", "networkInterfaces"))

    def disks(self, rg: str) -> list[dict[str, Any]]:
        return self._list(self.resource_id(rg, "Microsoft.Compute", "disks"))

    def host_pools(self, rg: str) -> list[dict[str, Any]]:
        return self._list(self.resource_id(rg, "Microsoft.DesktopVirtualization", "hostPools"))

    def virtual_networks(self, rg: str) -> list[dict[str, Any]]:
        return self._list(self.resource_id(rg, "Microsoft.Network", "virtualNetworks"))

    def role_assignments_at(self, scope: str) -> list[dict[str, Any]]:
        """The role assignments made at exactly `scope` (ARM's atScope() filter)."""
        return self._list(f"{scope}/providers/Microsoft.Authorization/roleAssignments", "&$filter=atScope()")

    def role_definition_id(self, role_name: str, scope: str) -> str:
        found = self._list(
            f"{scope}/providers/Microsoft.Authorization/roleDefinitions", f"&$filter=roleName eq '{role_name}'"
        )
        return str(found[0]["id"])

    def service_principal(self, app_id: str) -> str:
        """The app's service principal id in this tenant, as Graph answers `az` (servicePrincipals(appId=...))."""
        token, _ = emulator_token(self.emulator, self.tenant_id, "https://graph.microsoft.com")
        reply = self.session.get(
            f"{self.emulator.base_url}/graph/v1.0/servicePrincipals(appId='{app_id}')",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["id"])

    def assign(self, scope: str, role_definition_id: str, principal_id: str) -> dict[str, Any]:
        body = {
            "properties": {
                "roleDefinitionId": role_definition_id,
                "principalId": principal_id,
                "principalType": "ServicePrincipal",
            }
        }
        return self.ok("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)

    def assign_built_in(self, scope: str, role_guid: str, principal_id: str) -> str:
        """A built-in role (by its GUID) assigned at `scope`, as `az role assignment create --role <id>`: its id."""
        definitions = f"/subscriptions/{self.subscription_id}/providers/Microsoft.Authorization/roleDefinitions"
        return str(self.assign(scope, f"{definitions}/{role_guid}", principal_id)["id"])

    def role_assignments(self, rg: str) -> list[dict[str, Any]]:
        """Every role assignment at, above or below the resource group (e.g. the ones on its VMs)."""
        return self._list(f"{self.group_id(rg)}/providers/Microsoft.Authorization/roleAssignments")

    def run_commands(self, rg: str, vm: str) -> list[dict[str, Any]]:
        vm_id = self.resource_id(rg, "Microsoft.Compute", "virtualMachines", vm)
        return self._list(f"{vm_id}/runCommands", "&$expand=instanceView")

    def run_commands_in(self, rg: str) -> dict[str, list[dict[str, Any]]]:
        """Every VM's run commands in the resource group, by VM name."""
        return {vm["name"]: self.run_commands(rg, vm["name"]) for vm in self.vms(rg)}

    def extensions(self, rg: str, vm: str) -> list[dict[str, Any]]:
        return self._list(f"{self.resource_id(rg, 'Microsoft.Compute', 'virtualMachines', vm)}/extensions")


class Sdk:
    """The real SDK clients against the emulator, as one tenant's admin (for tests of the emulator itself)."""

    def __init__(self, emulator: EmulatorProcess, tenant_id: str, subscription_id: str) -> None:
        from azure.mgmt.authorization import AuthorizationManagementClient
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.network import NetworkManagementClient

        credential = StaticCredential(emulator, tenant_id)
        base = f"{emulator.base_url}/arm"
        options: dict[str, Any] = {"base_url": base, "polling_interval": 0.2}
        # typed loosely: tests send ARM's JSON as plain dicts, which the SDKs accept at run time
        self.compute: Any = ComputeManagementClient(credential, subscription_id, **options)
        self.network: Any = NetworkManagementClient(credential, subscription_id, **options)
        self.authorization: Any = AuthorizationManagementClient(credential, subscription_id, **options)


class Controls:
    """The emulator's own controls (not Azure's), scoped to one Entra tenant where they can be."""

    def __init__(self, emulator: EmulatorProcess, tenant_id: str | None = None) -> None:
        self.base = f"{emulator.base_url}/emulator"
        self.session = emulator.session()
        self.tenant_id = tenant_id

    def fault(self, operation: str, count: int = 1, error_code: str | None = None, status: int = 400) -> None:
        body = {"count": count, "errorCode": error_code, "status": status, "tenantId": self.tenant_id}
        assert self.session.put(f"{self.base}/faults/{operation}", json=body, timeout=30).status_code == 200

    def throttle_next(self, operation: str, retry_after_s: int) -> None:
        """The next `operation` of this tenant is answered 429 with that Retry-After."""
        body: dict[str, Any] = {
            "count": 1,
            "status": 429,
            "errorCode": "TooManyRequests",
            "retryAfter": retry_after_s,
            "tenantId": self.tenant_id,
        }
        assert self.session.put(f"{self.base}/faults/{operation}", json=body, timeout=30).status_code == 200

    def latency(self, operation: str, seconds: float) -> None:
        body = {"seconds": seconds, "tenantId": self.tenant_id}
        assert self.session.put(f"{self.base}/latency/{operation}", json=body, timeout=30).status_code == 200

    def page_size(self, operation: str, size: int | None) -> None:
        """ARM lists counted as `operation` (e.g. listVms) answer pages of `size` for this tenant (None: ARM's)."""
        if size is None:
            reply = self.session.delete(f"{self.base}/pageSize/{operation}", params={"tenantId": self.tenant_id})
            assert reply.status_code == 204
            return
        body = {"size": size, "tenantId": self.tenant_id}
        assert self.session.put(f"{self.base}/pageSize/{operation}", json=body, timeout=30).status_code == 200

    def timer(self, name: str, seconds: float | None) -> None:
        """Azure's waiting period `name` (e.g. nicReservation) lasts `seconds` for this tenant (None: Azure's)."""
        if seconds is None:
            reply = self.session.delete(f"{self.base}/timers/{name}", params={"tenantId": self.tenant_id})
            assert reply.status_code == 204
            return
        body = {"seconds": seconds, "tenantId": self.tenant_id}
        assert self.session.put(f"{self.base}/timers/{name}", json=body, timeout=30).status_code == 200

    def aggregate_windows365_reports(self) -> str:
        """Windows 365 aggregates this tenant's Cloud PC reports now (its hourly run, early): its aggregatedDateTime."""
        reply = self.session.post(f"{self.base}/tenants/{self.tenant_id}/cloudPCReports/aggregate", timeout=30)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["aggregatedDateTime"])

    def cloud_pc_status(self, cloud_pc_id: str, status: str | None, seconds: float = 600) -> None:
        """Windows 365 at its own work on this tenant's Cloud PC: `status` for `seconds`, then the status it had
        (None: the work is done now)."""
        url = f"{self.base}/tenants/{self.tenant_id}/cloudPCs/{cloud_pc_id}/status"
        if status is None:
            assert self.session.delete(url, timeout=30).status_code == 204
            return
        reply = self.session.put(url, json={"status": status, "seconds": seconds}, timeout=30)
        assert reply.status_code == 200, reply.text

    def app_access(self, app_id: str, **body: Any) -> dict[str, Any]:
        """What this tenant allows the app: `consented`, `graphPermissions` (azure_emulator/consent.py)."""
        reply = self.session.put(f"{self.base}/tenants/{self.tenant_id}/apps/{app_id}", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def organization(self, **body: Any) -> dict[str, Any]:
        """This tenant's name and verified domains, as Graph's tenant lookup tells them (tenant_information.py)."""
        reply = self.session.put(f"{self.base}/tenants/{self.tenant_id}/organization", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def throttle(self, name: str, per_minute: float, burst: float) -> None:
        body = {"perMinute": per_minute, "burst": burst}
        assert self.session.put(f"{self.base}/throttles/{name}", json=body, timeout=30).status_code == 200

    def count(self, operation: str, method: str | None = None) -> int:
        rows = self.session.get(f"{self.base}/requests", timeout=30).json()["value"]
        return sum(r["count"] for r in rows if r["operation"] == operation and method in (None, r["method"]))

    def log(self, operation: str | None = None) -> list[dict[str, Any]]:
        query = f"?operation={operation}" if operation else ""
        return list(self.session.get(f"{self.base}/requests/log{query}", timeout=30).json()["value"])
