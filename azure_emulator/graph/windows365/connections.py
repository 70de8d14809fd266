"""Windows 365's Azure network connections (Graph's cloudPcOnPremisesConnection) and the health checks Windows 365
runs on them (https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnection).

Windows 365 checks a connection when it is made, when its settings or password change, when an admin asks
(`runHealthChecks`, which Graph offers to delegated callers only: its Application row reads "Not supported",
https://learn.microsoft.com/graph/api/cloudpconpremisesconnection-runhealthcheck) and every 6 hours. A run takes the
latency of `onPremisesConnectionHealthChecks` (the emulator's default long-running latency unless a test sets it) and
is evaluated when the connection is next read: no thread runs it. Each check looks at what the emulator knows: the
subnet, its network and its free addresses in the emulator's ARM; the domain checks pass unless a test arms a fault
of `windows365.{check}` (`PUT /emulator/faults/windows365.adDomainJoin` with an `errorCode` such as
`adJoinCheckIncorrectCredentials`), whose error code becomes the check's errorType. The three "First party app
permissions" checks look for the roles Windows 365's own service principal holds in the customer's Azure
(service_roles.py): Reader on the subscription, Windows 365 Network Interface Contributor on the resource group,
Windows 365 Network User on the virtual network; each missing one fails its check with Windows 365's errorType
(https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnectionhealthcheck, errorType values).

`healthCheckStatusDetail`, `inUse` and `alternateResourceUrl` are "Returned only on `$select`"
(https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnection): a read that does not name them gets
none of them, whatever the run found.

Documents (store kind records.CONNECTION) keep Graph's shape; what policies rely on: `healthCheckStatus` (a policy
may use a connection whose latest run `passed` or warned), `connectionType`, `inUse`. The domain password is kept
only as a salted digest, as a real service never shows it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

from azure_emulator.arm import common as arm
from azure_emulator.arm.network import usable_count
from azure_emulator.graph.common import GraphRoutes, bad_request, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.windows365 import records, service_roles
from azure_emulator.server import ApiError, Context, Request, Response

PATH = records.BASE + "/onPremisesConnections"
ENTITY = "#microsoft.graph.cloudPcOnPremisesConnection"
RUN_OPERATION = "onPremisesConnectionHealthChecks"  # the latency control of one run of the checks
TYPES = ("hybridAzureADJoin", "azureADJoin")
DOMAIN_FIELDS = ("adDomainName", "adDomainUsername", "organizationalUnit")
WRITABLE = (
    "displayName",
    "connectionType",
    "subscriptionId",
    "resourceGroupId",
    "virtualNetworkId",
    "subnetId",
    *DOMAIN_FIELDS,
    "adDomainPassword",
)
SUBNET = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
    r"/virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/]+)$",
    re.IGNORECASE,
)
GROUP = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)$", re.IGNORECASE)
# "Azure network connection" displayName: at most 60 characters (the Windows 365 admin center's limit; not stated
# on the Graph page, so taken from the service's own wizard: not confirmed)
MAX_NAME = 60
# "the number of Azure network connections is limited to 10 per tenant" (windows365-rules: seed documents; the
# Graph page states no limit)
MAX_CONNECTIONS = 10
SELECT_ONLY = ("alternateResourceUrl", "healthCheckStatusDetail", "inUse")  # the resource page's "only on $select"


@dataclass(frozen=True)
class Check:
    name: str  # what a test's fault names: windows365.{name}
    display_name: str  # as Windows 365 shows it (https://learn.microsoft.com/windows-365/enterprise/health-checks)
    error_type: str  # the errorType of its failure (cloudPcOnPremisesConnectionHealthCheckErrorType)
    hybrid_only: bool = False
    warning_only: bool = False  # "Microsoft Entra device sync" only warns: provisioning may still work


CHECKS = (
    Check("tenantReadiness", "Azure tenant readiness", "resourceAvailabilityCheckResourceGroupInvalid"),
    Check("virtualNetworkReadiness", "Azure virtual network readiness", "resourceAvailabilityCheckVNetInvalid"),
    Check("subnetIpUsage", "Azure subnet IP address usage", "resourceAvailabilityCheckNoSubnetIP"),
    Check("endpointConnectivity", "Endpoint connectivity", "endpointConnectivityCheckCloudPcUrlNotAllowListed"),
    Check("dnsResolution", "DNS can resolve Active Directory domain", "dnsCheckFqdnNotFound", hybrid_only=True),
    Check("adDomainJoin", "Active Directory domain join", "adJoinCheckIncorrectCredentials", hybrid_only=True),
    Check(
        "entraDeviceSync",
        "Microsoft Entra device sync",
        "azureAdDeviceSyncCheckDeviceNotFound",
        hybrid_only=True,
        warning_only=True,
    ),
    Check(
        "subscriptionPermissions",
        "First party app permissions exist on Azure subscription",
        "permissionCheckNoSubscriptionReaderRole",
    ),
    Check(
        "resourceGroupPermissions",
        "First party app permissions exist on Azure resource group",
        "permissionCheckNoWindows365NetworkInterfaceContributorRole",
    ),
    Check(
        "virtualNetworkPermissions",
        "First party app permissions exist on Azure virtual network",
        "permissionCheckNoWindows365NetworkUserRole",
    ),
    Check(
        "intuneEnrollment",
        "Intune enrollment restrictions allow Windows enrollment",
        "resourceAvailabilityCheckIntuneDefaultWindowsRestrictionViolation",
    ),
)
ACTIONS = {  # the recommendedAction Windows 365 gives with a failure (paraphrased per check: not Microsoft's words)
    "resourceAvailabilityCheckSubscriptionNotFound": "Make sure the subscription exists and is enabled.",
    "resourceAvailabilityCheckVNetInvalid": "Make sure the virtual network and subnet exist in the subscription.",
    "resourceAvailabilityCheckSubnetInvalid": "Make sure the subnet exists in the virtual network.",
    "resourceAvailabilityCheckNoSubnetIP": "Free addresses in the subnet, or use a larger one.",
    "resourceAvailabilityCheckResourceGroupInvalid": "Make sure the resource group exists in the subscription.",
    "dnsCheckFqdnNotFound": "Make sure the network's DNS servers resolve the Active Directory domain.",
    "adJoinCheckIncorrectCredentials": "Check the domain join account's user name and password, then update them.",
    "adJoinCheckOrganizationalUnitNotFound": "Make sure the organizational unit exists in the domain.",
    "permissionCheckNoSubscriptionReaderRole": "Assign the Windows 365 service principal the Reader role on the "
    "subscription.",
    "permissionCheckNoWindows365NetworkInterfaceContributorRole": "Assign the Windows 365 service principal the "
    "Windows 365 Network Interface Contributor role on the resource group.",
    "permissionCheckNoWindows365NetworkUserRole": "Assign the Windows 365 service principal the Windows 365 Network "
    "User role on the virtual network.",
}
# each permission check: the role Windows 365 needs, and where (the connection's field naming the scope)
ROLE_CHECKS = {
    "subscriptionPermissions": (service_roles.READER, "subscriptionId"),
    "resourceGroupPermissions": (service_roles.NETWORK_INTERFACE_CONTRIBUTOR, "resourceGroupId"),
    "virtualNetworkPermissions": (service_roles.NETWORK_USER, "virtualNetworkId"),
}


def _now(ctx: Context) -> str:
    return dt.datetime.fromtimestamp(ctx.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(password: str) -> str:
    salt = os.urandom(8).hex()
    return salt + ":" + hashlib.sha256((salt + password).encode()).hexdigest()


def _get(ctx: Context, tenant: str, connection_id: str) -> dict[str, Any]:
    found = ctx.store.get(records.CONNECTION, records.key(tenant, connection_id))
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The Azure network connection '{connection_id}' was not found.")
    return found


def in_use(ctx: Context, tenant: str, connection_id: str) -> bool:
    """Named by any provisioning policy's domain join configurations."""
    for policy in ctx.store.scan(records.POLICY, f"{tenant}/"):
        for join in policy.get("domainJoinConfigurations") or []:
            if str(join.get("onPremisesConnectionId") or "").lower() == connection_id.lower():
                return True
    return False


def _start_run(ctx: Context, doc: dict[str, Any]) -> None:
    doc["healthCheckStatus"] = "pending"
    doc["healthCheckStatusDetail"] = {"startDateTime": _now(ctx), "endDateTime": None, "healthChecks": []}
    doc["_runDue"] = ctx.clock() + ctx.controls.latency(RUN_OPERATION)


def _checked(ctx: Context, doc: dict[str, Any], check: Check) -> tuple[str, str | None]:
    """One check's status and errorType against what the emulator's ARM holds for the connection's Entra tenant."""
    fault = ctx.controls.take_fault(f"windows365.{check.name}")
    if fault is not None:
        return ("warning" if check.warning_only else "failed"), fault.error_code or check.error_type

    def owned(resource_id: str) -> dict[str, Any] | None:  # a resource of this Entra tenant's Azure, else None
        found = arm.get(ctx, resource_id) if resource_id else None
        return found if found is not None and found.get("meta", {}).get("tid") in (None, doc["_tenant"]) else None

    if check.name == "tenantReadiness":
        group = GROUP.match(str(doc.get("resourceGroupId") or ""))
        if group is None or owned(arm.group_id(group["sub"], group["rg"])) is None:
            return "failed", "resourceAvailabilityCheckResourceGroupInvalid"
    if check.name == "virtualNetworkReadiness":
        if owned(str(doc.get("virtualNetworkId") or "")) is None:
            return "failed", "resourceAvailabilityCheckVNetInvalid"
        if owned(str(doc.get("subnetId") or "")) is None:
            return "failed", "resourceAvailabilityCheckSubnetInvalid"
    if check.name in ROLE_CHECKS:
        role, field = ROLE_CHECKS[check.name]
        scope = str(doc.get(field) or "")
        scope = f"/subscriptions/{scope}" if field == "subscriptionId" else scope
        if not service_roles.holds(ctx, doc["_tenant"], role, scope):
            return "failed", check.error_type
    if check.name == "subnetIpUsage":
        subnet = owned(str(doc.get("subnetId") or ""))
        if subnet is not None:
            prefix = subnet["resource"]["properties"]["addressPrefix"]
            if usable_count(prefix) - len(subnet["meta"]["allocations"]) < 1:
                return "failed", check.error_type
    return "passed", None


def _settle(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    """A run whose time has come is evaluated once; until then it reads as running."""
    due = doc.get("_runDue")
    if due is None:
        return doc
    if ctx.clock() < due:
        doc["healthCheckStatus"] = "running"
        return doc
    hybrid = doc.get("connectionType") == "hybridAzureADJoin"
    started, ended = doc["healthCheckStatusDetail"]["startDateTime"], _now(ctx)
    results = []
    for check in CHECKS:
        if check.hybrid_only and not hybrid:
            continue
        status, error_type = _checked(ctx, doc, check)
        results.append(
            {
                "displayName": check.display_name,
                "status": status,
                "startDateTime": started,
                "endDateTime": ended,
                "errorType": error_type,
                "recommendedAction": ACTIONS.get(error_type or "") if error_type else None,
                "additionalDetail": None,
                "correlationId": str(uuid.uuid4()),
            }
        )
    statuses = {result["status"] for result in results}
    doc["healthCheckStatus"] = "failed" if "failed" in statuses else "warning" if "warning" in statuses else "passed"
    doc["healthCheckStatusDetail"] = {"startDateTime": started, "endDateTime": ended, "healthChecks": results}
    doc["_runDue"] = None
    ctx.store.put(records.CONNECTION, records.key(doc["_tenant"], doc["id"]), doc)
    return doc


def _shown(ctx: Context, doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    shown = {**doc, "adDomainPassword": None, "inUse": in_use(ctx, doc["_tenant"], doc["id"])}
    return project(shown, fields, only_on_select=SELECT_ONLY)


def _checked_body(ctx: Context, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Graph's validation of a create (current None) or an update; 400 `BadRequest` naming what is wrong (Graph's
    messages for these are not documented: the wording here is the emulator's)."""
    unknown = sorted(set(body) - {*WRITABLE, "@odata.type", "id"})
    if unknown:
        raise bad_request(
            f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.cloudPcOnPremisesConnection' or cannot "
            "be written.",
            "BadRequest",
        )
    merged = {**(current or {}), **{k: v for k, v in body.items() if k != "adDomainPassword"}}
    name = merged.get("displayName")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise bad_request(f"displayName is required, at most {MAX_NAME} characters.", "BadRequest")
    if merged.get("connectionType", "hybridAzureADJoin") not in TYPES:
        raise bad_request(f"connectionType must be one of {', '.join(TYPES)}.", "BadRequest")
    merged.setdefault("connectionType", "hybridAzureADJoin")
    if current is not None and merged["connectionType"] != current["connectionType"]:
        raise bad_request("connectionType cannot change.", "BadRequest")
    match = SUBNET.match(str(merged.get("subnetId") or ""))
    if match is None:
        raise bad_request("subnetId must be a subnet's Azure resource id.", "BadRequest")
    vnet = str(merged["subnetId"]).rsplit("/subnets/", 1)[0]
    if str(merged.get("virtualNetworkId") or "").lower() != vnet.lower():
        raise bad_request("virtualNetworkId must be the virtual network of subnetId.", "BadRequest")
    if str(merged.get("subscriptionId") or "").lower() != match["sub"].lower():
        raise bad_request("subscriptionId must be the subscription of the virtual network.", "BadRequest")
    if GROUP.match(str(merged.get("resourceGroupId") or "")) is None:
        raise bad_request("resourceGroupId must be a resource group's Azure resource id.", "BadRequest")
    if merged["connectionType"] == "hybridAzureADJoin":
        needed = ["adDomainName", "adDomainUsername"] + (["adDomainPassword"] if current is None else [])
        missing = [field for field in needed if not (body if field == "adDomainPassword" else merged).get(field)]
        if missing:
            raise bad_request(f"A hybrid Microsoft Entra join connection needs {', '.join(missing)}.", "BadRequest")
    elif any(merged.get(field) for field in (*DOMAIN_FIELDS, "adDomainPassword")) or body.get("adDomainPassword"):
        raise bad_request("A Microsoft Entra join connection takes no Active Directory domain.", "BadRequest")
    merged["virtualNetworkLocation"] = ((arm.get(ctx, vnet) or {}).get("resource") or {}).get("location")
    return merged


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    def all_of(tenant: str) -> list[dict[str, Any]]:
        return [_settle(ctx, doc) for doc in store.scan(records.CONNECTION, f"{tenant}/")]

    @routes.route("GET", PATH, "listOnPremisesConnections", service="intune")
    def list_connections(request: Request) -> Response:
        fields = selected(request)
        found = [_shown(ctx, doc, fields) for doc in all_of(request.tenant)]
        context = odata_context(request, "deviceManagement/virtualEndpoint/onPremisesConnections")
        return Response(200, {"@odata.context": context, "value": found})

    @routes.route("GET", PATH + r"/(?P<id>[^/]+)", "getOnPremisesConnection", service="intune")
    def get_connection(request: Request) -> Response:
        doc = _settle(ctx, _get(ctx, request.tenant, request.params["id"]))
        context = odata_context(request, "deviceManagement/virtualEndpoint/onPremisesConnections/$entity")
        return Response(200, {"@odata.context": context, **_shown(ctx, doc, selected(request))})

    @routes.route("POST", PATH, "createOnPremisesConnection", service="intune")
    def create_connection(request: Request) -> Response:
        body = request.json()
        tenant = request.tenant
        if len(store.keys(records.CONNECTION, f"{tenant}/")) >= MAX_CONNECTIONS:
            raise bad_request(f"A tenant has at most {MAX_CONNECTIONS} Azure network connections.", "BadRequest")
        doc = _checked_body(ctx, body, None)
        doc |= {
            "@odata.type": ENTITY,
            "id": str(uuid.uuid4()),
            "_tenant": tenant,
            "managedBy": "windows365",
            "_password": _digest(body["adDomainPassword"]) if body.get("adDomainPassword") else None,
        }
        for field in DOMAIN_FIELDS:
            doc.setdefault(field, None)
        _start_run(ctx, doc)
        store.put(records.CONNECTION, records.key(tenant, doc["id"]), doc)
        context = odata_context(request, "deviceManagement/virtualEndpoint/onPremisesConnections/$entity")
        return Response(201, {"@odata.context": context, **_shown(ctx, doc, None)})

    @routes.route("PATCH", PATH + r"/(?P<id>[^/]+)", "updateOnPremisesConnection", service="intune")
    def update_connection(request: Request) -> Response:
        current = _settle(ctx, _get(ctx, request.tenant, request.params["id"]))
        body = request.json()
        doc = _checked_body(ctx, body, current)
        if body.get("adDomainPassword"):
            doc["_password"] = _digest(body["adDomainPassword"])
        _start_run(ctx, doc)  # a change is checked again
        store.put(records.CONNECTION, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route("DELETE", PATH + r"/(?P<id>[^/]+)", "deleteOnPremisesConnection", service="intune")
    def delete_connection(request: Request) -> Response:
        doc = _get(ctx, request.tenant, request.params["id"])
        if in_use(ctx, request.tenant, doc["id"]):  # "You can't delete a connection that's in use."
            raise bad_request("The Azure network connection is in use by a provisioning policy.", "BadRequest")
        store.delete(records.CONNECTION, records.key(request.tenant, doc["id"]))
        return Response(204)

    @routes.route(
        "POST", PATH + r"/(?P<id>[^/]+)/runHealthChecks", "runOnPremisesConnectionHealthChecks", service="intune"
    )
    def run_health_checks(request: Request) -> Response:
        doc = _settle(ctx, _get(ctx, request.tenant, request.params["id"]))
        _start_run(ctx, doc)
        store.put(records.CONNECTION, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route(
        "POST",
        PATH + r"/(?P<id>[^/]+)/updateAdDomainPassword",
        "updateOnPremisesConnectionAdDomainPassword",
        service="intune",
    )
    def update_password(request: Request) -> Response:
        doc = _settle(ctx, _get(ctx, request.tenant, request.params["id"]))
        password = request.json().get("adDomainPassword")
        if doc.get("connectionType") != "hybridAzureADJoin":  # "supported when the type ... is hybridAzureADJoin"
            raise bad_request("The password applies to a hybrid Microsoft Entra join connection only.", "BadRequest")
        if not isinstance(password, str) or not password:
            raise bad_request("adDomainPassword is required.", "BadRequest")
        doc["_password"] = _digest(password)
        _start_run(ctx, doc)
        store.put(records.CONNECTION, records.key(request.tenant, doc["id"]), doc)
        return Response(204)
