"""The Windows 365 service: provisioning policies, their assignment to groups, and the Cloud PCs it provisions for
them (https://learn.microsoft.com/graph/api/resources/cloudpcprovisioningpolicy, .../resources/cloudpc).

Who gets a Cloud PC (https://learn.microsoft.com/windows-365/enterprise/assign-licenses and the project's
windows365-rules): each direct user member of a group a policy is assigned to, once per Windows 365 Enterprise
license the user holds; a user targeted by several policies is served by the one assigned first. The service's work
is evaluated whenever a tenant's Cloud PCs are read, from the times it began (no thread runs it):
- a new Cloud PC is `provisioning` for the latency of `cloudPcProvisioning`, then `provisioned`, or `failed` when a
  test armed a fault of `windows365.provisionCloudPc` (its error code becomes statusDetail.code);
- one no longer targeted or licensed enters `inGracePeriod` for the timer `windows365.gracePeriod` (7 days, as
  Windows 365's grace period) and then goes; targeted again within it, it is `provisioned` again;
- the grace period's end, or `endGracePeriod` (https://learn.microsoft.com/graph/api/cloudpc-endgraceperiod: "ending
  the grace period immediately deprovisions"), leaves the Cloud PC `deprovisioning` for the latency of
  `cloudPcDeprovisioning`, and then it is gone;
- the service's own work on a Cloud PC (a region move, a single sign-on change, preparing it), which an admin starts
  outside this API, is put on by the control `PUT /emulator/tenants/{tid}/cloudPCs/{id}/status`: the Cloud PC reads
  the status it names for its `seconds` (or until a DELETE of the control ends it), then the status it had;
- `resize` (https://learn.microsoft.com/windows-365/enterprise/resize-cloud-pc) moves a Cloud PC whose license is
  assigned to the user directly to the target size: `resizing` for the latency of `cloudPcProvisioning`, then
  `provisioned` on the target plan, the user's license swapped for one of the target's (a free unit is needed when
  it is asked). A license a group assigns is the admin's to move: the Cloud PC waits in `resizePendingLicense` until
  the user holds the target's license and no longer the source's. A target with a smaller disk is refused (400): the
  page, "Resizing doesn't let you downsize disk space".
- a user signs in to their Cloud PC by the control `POST /emulator/tenants/{tid}/cloudPCs/{id}/signIns` (404 for
  an unknown Cloud PC, 409 unless it is provisioned: "can be accessed by end users", cloudPcStatus): its
  `lastLoginResult` becomes `{time: now}` (https://learn.microsoft.com/graph/api/resources/cloudpcloginresult); with
  `{signInDateTime, signOutDateTime}` (UTC, Z) the control records a whole connection then, which the remote
  connection report lists (reports.py) from the next hourly aggregation (report_aggregation.py), and the later
  sign-in is the last login. It is
  beta's, and only on `$select`: a read without one leaves it out, as Graph's default properties do
  (https://learn.microsoft.com/graph/api/cloudpc-get?view=graph-rest-beta, examples 1 and 2); selected on a Cloud PC
  nobody signed in to, it is null.
Graph v1.0's cloudPC shows no `status` (its published schema lists none), so a client reads the status from beta.
cloudPcStatus is an evolvable enum: the members it lists after `unknownFutureValue` reach only a request that prefers
`include-unknown-enum-members` (graph/common.py `evolvable`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from azure_emulator.graph import directory_rows, groups, licensing, skus, users
from azure_emulator.graph.common import UNKNOWN_FUTURE_VALUE, GraphRoutes, bad_request, evolvable, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.odata import paged, parse_filter
from azure_emulator.graph.windows365 import gallery_images, records, report_aggregation
from azure_emulator.server import ApiError, Context, Request, Response

POLICIES = records.BASE + "/provisioningPolicies"
CLOUD_PCS = records.BASE + "/cloudPCs"
POLICY_TYPE, CLOUD_PC_TYPE = "#microsoft.graph.cloudPcProvisioningPolicy", "#microsoft.graph.cloudPC"
GROUP_TARGET = "#microsoft.graph.cloudPcManagementGroupAssignmentTarget"
GRACE_DAYS = 7
PROVISIONING = "cloudPcProvisioning"  # the latency control of one Cloud PC's provisioning
DEPROVISIONING = "cloudPcDeprovisioning"  # the latency control of one Cloud PC's deprovisioning
POLICY_FIELDS = (
    "displayName",
    "description",
    "imageId",
    "imageType",
    "imageDisplayName",
    "domainJoinConfigurations",
    "enableSingleSignOn",
    "cloudPcNamingTemplate",
    "windowsSetting",
    "provisioningType",
    "microsoftManagedDesktop",
    "autopatch",
    "managedBy",
    "localAdminEnabled",
)
# what an update takes (https://learn.microsoft.com/graph/api/cloudpcprovisioningpolicy-update): the rest is fixed
UPDATABLE_POLICY_FIELDS = (
    "displayName",
    "description",
    "imageId",
    "imageType",
    "imageDisplayName",
    "domainJoinConfigurations",
    "enableSingleSignOn",
    "windowsSetting",
)
IMAGE_TYPES, JOIN_TYPES = ("gallery", "custom"), ("azureADJoin", "hybridAzureADJoin")
FORBIDDEN_NAME = set('<>&|"^')
BETA_ONLY = ("status", "statusDetail", "lastLoginResult")  # not in v1.0's published cloudPC
ONLY_ON_SELECT = ("lastLoginResult",)  # not among beta's default properties
WORKING = ("provisioned", "provisionedWithWarnings")
STATUSES_RENAMABLE = ("provisioned", "provisionedWithWarnings", "provisioning", "failed", "inGracePeriod")
# cloudPcStatus (https://learn.microsoft.com/graph/api/resources/cloudpc?view=graph-rest-beta, and beta's
# cloudPcStatusSummary, which lists the same enum): the members after `unknownFutureValue` are LATE_STATUSES
LATE_STATUSES = frozenset(
    {"movingRegion", "resizePendingLicense", "modifyingSingleSignOn", "refreshPolicyConfiguration", "preparing"}
)
STATUSES = frozenset(
    {
        "notProvisioned",
        "provisioning",
        "provisioned",
        "inGracePeriod",
        "deprovisioning",
        "failed",
        "provisionedWithWarnings",
        "resizing",
        "restoring",
        "pendingProvision",
        UNKNOWN_FUTURE_VALUE,
        *LATE_STATUSES,
    }
)


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _enterprise_plans(user: dict[str, Any]) -> list[tuple[str, str]]:
    """The Windows 365 Enterprise service plans (id, name) of the user's licenses, one entry per license."""
    plans = []
    for license_ in user.get("assignedLicenses") or []:
        sku = skus.SKUS_BY_ID.get(str(license_.get("skuId", "")).lower())
        if sku is not None and sku.part_number.startswith("CPC_E_"):
            plans.append((sku.service_plan_id, sku.part_number))
    return plans


def _get(ctx: Context, kind: str, tenant: str, object_id: str, what: str) -> dict[str, Any]:
    found = ctx.store.get(kind, records.key(tenant, object_id))
    if found is None:
        raise ApiError(404, "ResourceNotFound", f"The {what} '{object_id}' was not found.")
    return found


def _checked_policy(ctx: Context, tenant: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Graph's validation of a policy (its messages are not documented: the wording is the emulator's, each naming the
    field, as Graph's do)."""
    writable = POLICY_FIELDS if current is None else UPDATABLE_POLICY_FIELDS
    unknown = sorted(set(body) - {*writable, "@odata.type", "id"})
    if unknown:
        raise bad_request(
            f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.cloudPcProvisioningPolicy'"
            " or cannot be written.",
            "BadRequest",
        )
    merged = {**(current or {}), **body}
    name = merged.get("displayName")
    if not isinstance(name, str) or not name.strip() or FORBIDDEN_NAME & set(name):
        raise bad_request('displayName is required and may not contain < > & | " ^.', "BadRequest")
    if merged.get("imageType", "gallery") not in IMAGE_TYPES:
        raise bad_request(f"imageType must be one of {', '.join(IMAGE_TYPES)}.", "BadRequest")
    if not merged.get("imageId"):
        raise bad_request("imageId is required.", "BadRequest")
    if merged.get("imageType", "gallery") == "gallery" and not gallery_images.offered(str(merged["imageId"])):
        raise bad_request("imageId names no gallery image offered for new Cloud PCs.", "BadRequest")
    if merged.get("imageType") == "custom":
        image = ctx.store.get(records.DEVICE_IMAGE, records.key(tenant, str(merged["imageId"])))
        if image is None or image.get("status") != "ready":
            raise bad_request("imageId names no ready device image.", "BadRequest")
    if current is not None and merged.get("provisioningType") != current.get("provisioningType"):
        raise bad_request("provisioningType cannot change after the policy is created.", "BadRequest")
    joins = merged.get("domainJoinConfigurations") or []
    if not joins:
        raise bad_request("domainJoinConfigurations needs at least one configuration.", "BadRequest")
    for join in joins:
        kind, connection_id, region = (
            join.get("domainJoinType"),
            join.get("onPremisesConnectionId"),
            join.get("regionName"),
        )
        if kind not in JOIN_TYPES:
            raise bad_request(
                f"domainJoinConfigurations.domainJoinType must be one of {', '.join(JOIN_TYPES)}.", "BadRequest"
            )
        if kind == "hybridAzureADJoin" and not connection_id:
            raise bad_request("domainJoinConfigurations: a hybrid join needs onPremisesConnectionId.", "BadRequest")
        if connection_id and region:
            raise bad_request("domainJoinConfigurations: a connection or a regionName, not both.", "BadRequest")
        if connection_id:
            connection = ctx.store.get(records.CONNECTION, records.key(tenant, connection_id))
            if connection is None:
                raise bad_request("domainJoinConfigurations.onPremisesConnectionId names no connection.", "BadRequest")
            if connection.get("healthCheckStatus") not in ("passed", "warning"):
                raise bad_request(
                    "domainJoinConfigurations.onPremisesConnectionId: the connection has not passed its health checks.",
                    "BadRequest",
                )
    merged.setdefault("provisioningType", "dedicated")
    merged.setdefault("imageType", "gallery")
    merged.setdefault("enableSingleSignOn", False)
    merged.setdefault("cloudPcNamingTemplate", None)
    return merged


class Service:
    """The service's work for one tenant, evaluated when its Cloud PCs are read."""

    def __init__(self, ctx: Context, tenant: str, notify: users.Notify) -> None:
        self.ctx, self.tenant, self.now, self.notify = ctx, tenant, ctx.clock(), notify

    def _winners(self) -> dict[str, dict[str, Any]]:
        """Each targeted user's policy: the one whose assignment came first."""
        assignments = []
        for policy in self.ctx.store.scan(records.POLICY, f"{self.tenant}/"):
            for assignment in policy.get("_assignments") or []:
                assignments.append((assignment["at"], assignment["groupId"], policy))
        winners: dict[str, dict[str, Any]] = {}
        for _, group_id, policy in sorted(assignments, key=lambda item: item[0]):
            for edge in self.ctx.store.scan(directory_rows.MEMBER, f"{self.tenant}/{group_id.lower()}/"):
                if edge.get("type") == "user":  # nested groups are not expanded
                    winners.setdefault(edge["memberId"], policy)
        return winners

    def reconcile(self) -> None:
        store, wanted = self.ctx.store, {}
        for user_id, policy in self._winners().items():
            user = store.get(directory_rows.USER, f"{self.tenant}/{user_id}")
            if user is None:
                continue
            slots: dict[str, int] = {}
            for plan_id, plan_name in _enterprise_plans(user):
                slot = slots[plan_id] = slots.get(plan_id, -1) + 1
                wanted[(user_id, plan_id, slot)] = (user, plan_name, policy)
        existing = {
            (pc["_userId"], pc["servicePlanId"], pc["_slot"]): pc
            for pc in store.scan(records.CLOUD_PC, f"{self.tenant}/")
        }
        for key, (user, plan_name, policy) in wanted.items():
            if key not in existing:
                self._provision(key, user, plan_name, policy)
        for key, pc in existing.items():
            if pc.get("_resizeTo"):
                self._resize(pc)
            else:
                self._advance(pc, key in wanted)

    def _resize(self, pc: dict[str, Any]) -> None:
        """A resize under way: done when its time has come (direct license) or the admin has moved the license."""
        store, target = self.ctx.store, skus.SKUS_BY_ID[pc["_resizeTo"]]
        source_sku = pc["_resizeFrom"]
        user = store.get(directory_rows.USER, f"{self.tenant}/{pc['_userId']}")
        if user is None:  # the user went: the Cloud PC goes with it
            store.delete(records.CLOUD_PC, records.key(self.tenant, pc["id"]))
            return
        held = {lic["skuId"] for lic in user.get("assignedLicenses") or []}
        if pc["status"] == "resizing":
            if self.now < pc["_due"]:
                return
            with store.transaction():
                direct = licensing.direct_licenses(user)
                direct.pop(source_sku, None)
                direct.setdefault(target.sku_id, {"skuId": target.sku_id, "disabledPlans": []})
                licensing.relicense(
                    store, self.tenant, user, direct, directory_rows.direct_groups(store, self.tenant, user["id"])
                )
                store.put(directory_rows.USER, f"{self.tenant}/{user['id']}", user)
            self.notify(self.tenant, "users", "updated", user["id"])
        elif target.sku_id not in held or source_sku in held:  # resizePendingLicense: the admin's move to make
            return
        pc |= {
            "status": "provisioned",
            "servicePlanId": target.service_plan_id,
            "servicePlanName": target.part_number,
            "_slot": 0,
            "_resizeTo": None,
            "_resizeFrom": None,
            "_due": None,
            "lastModifiedDateTime": _iso(self.now),
        }
        store.put(records.CLOUD_PC, records.key(self.tenant, pc["id"]), pc)

    def _provision(
        self, key: tuple[str, str, int], user: dict[str, Any], plan_name: str, policy: dict[str, Any]
    ) -> None:
        user_id, plan_id, slot = key
        cloud_pc_id = str(uuid.uuid4())
        name = f"CPC-{user['userPrincipalName'].split('@')[0][:5]}-{cloud_pc_id[:5].upper()}"
        shown_name = f"{policy['displayName']} - {user.get('displayName') or name}"
        doc = {
            "@odata.type": CLOUD_PC_TYPE,
            "id": cloud_pc_id,
            "displayName": shown_name,
            "managedDeviceName": name,
            "managedDeviceId": None,
            "aadDeviceId": None,
            "userPrincipalName": user["userPrincipalName"],
            "servicePlanId": plan_id,
            "servicePlanName": plan_name,
            "provisioningPolicyId": policy["id"],
            "provisioningPolicyName": policy["displayName"],
            "imageDisplayName": policy.get("imageDisplayName") or policy["imageId"],
            "onPremisesConnectionName": None,
            "provisioningType": policy.get("provisioningType", "dedicated"),
            "gracePeriodEndDateTime": None,
            "lastModifiedDateTime": _iso(self.now),
            "status": "provisioning",
            "statusDetail": None,
            "_tenant": self.tenant,
            "_userId": user_id,
            "_slot": slot,
            "_due": self.now + self.ctx.controls.latency(PROVISIONING),
        }
        self.ctx.store.put(records.CLOUD_PC, records.key(self.tenant, cloud_pc_id), doc)

    def _advance(self, pc: dict[str, Any], targeted: bool) -> None:
        store, key, status = self.ctx.store, records.key(self.tenant, pc["id"]), pc["status"]
        due = pc.get("_due")
        if pc.get("_workBefore"):  # the service's own work (the status control): the status it had, once done
            if due is not None and self.now < due:
                return
            pc |= {
                "status": pc["_workBefore"],
                "_workBefore": None,
                "_due": None,
                "lastModifiedDateTime": _iso(self.now),
            }
        elif status == "deprovisioning":
            if due is None or self.now >= due:
                store.delete(records.CLOUD_PC, key)  # deprovisioned
            return
        elif status == "restoring" and due is not None and self.now >= due:  # restored to a restore point
            pc |= {"status": "provisioned", "_due": None, "lastModifiedDateTime": _iso(self.now)}
        elif status == "provisioning" and due is not None and self.now >= due:
            fault = self.ctx.controls.take_fault("windows365.provisionCloudPc")
            if fault is None:
                pc |= {
                    "status": "provisioned",
                    "managedDeviceId": str(uuid.uuid4()),
                    "aadDeviceId": str(uuid.uuid4()),
                    "_provisionedAt": self.now,
                }  # restore points are taken from here (snapshots.py)
            else:  # statusDetail codes: https://learn.microsoft.com/graph/api/resources/cloudpcstatusdetail
                code = fault.error_code or "internalServerError"
                pc |= {
                    "status": "failed",
                    "statusDetail": {
                        "code": code,
                        "message": f"Provisioning failed: {code}.",
                        "additionalInformation": [{"name": "correlationId", "value": str(uuid.uuid4())}],
                    },
                }
            pc |= {"_due": None, "lastModifiedDateTime": _iso(self.now)}
        elif not targeted and status in ("provisioned", "provisionedWithWarnings"):
            grace = self.ctx.controls.timer("windows365.gracePeriod", GRACE_DAYS * 86_400)
            pc |= {
                "status": "inGracePeriod",
                "gracePeriodEndDateTime": _iso(self.now + grace),
                "_graceEnds": self.now + grace,
                "lastModifiedDateTime": _iso(self.now),
            }
        elif targeted and status == "inGracePeriod":
            pc |= {
                "status": "provisioned",
                "gracePeriodEndDateTime": None,
                "_graceEnds": None,
                "lastModifiedDateTime": _iso(self.now),
            }
        elif status == "inGracePeriod" and self.now >= pc.get("_graceEnds", self.now):
            pc |= _deprovisioning(self.ctx)
        elif not targeted and status in ("provisioning", "failed"):
            store.delete(records.CLOUD_PC, key)  # never served: nothing to keep
            return
        store.put(records.CLOUD_PC, key, pc)


def _deprovisioning(ctx: Context) -> dict[str, Any]:
    """What a Cloud PC whose grace period ended becomes: `deprovisioning` for a while, then gone."""
    now = ctx.clock()
    return {
        "status": "deprovisioning",
        "gracePeriodEndDateTime": None,
        "_graceEnds": None,
        "_due": now + ctx.controls.latency(DEPROVISIONING),
        "lastModifiedDateTime": _iso(now),
    }


def assigned_groups(ctx: Context, request: Request, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """An `assign` body's groups, replacing the document's assignments (cloudpcprovisioningpolicy-assign,
    cloudpcusersetting-assign); a group kept keeps its assignment time, which decides which policy wins. The
    target's @odata.type is taken with or without its leading '#', as the documented examples write both."""
    kept = {a["groupId"]: a for a in doc.get("_assignments") or []}
    assignments = []
    for item in request.json().get("assignments") or []:
        target = item.get("target") or {}
        group_id = str(target.get("groupId") or "").lower()
        if "#" + str(target.get("@odata.type") or "").lstrip("#") != GROUP_TARGET or not group_id:
            raise bad_request(f"assignments.target must be a {GROUP_TARGET} with a groupId.", "BadRequest")
        groups.get_group(ctx.store, request.tenant, group_id)  # 404 for a group that does not exist
        assignments.append(kept.get(group_id) or {"groupId": group_id, "at": ctx.clock()})
    return assignments


def _iso_time(value: Any) -> bool:
    """A time as the control takes it: ISO 8601 in UTC with its Z, so that the texts compare as the times do."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return False
    try:
        dt.datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        return False
    return True


def iso_now(ctx: Context) -> str:
    return _iso(ctx.clock())


def assigned_view(doc: dict[str, Any], fields: list[str] | None, expand: bool) -> dict[str, Any]:
    """A policy or a user setting as Graph shows it: with its assignments on `$expand=assignments`."""
    shown = project(doc, fields)
    if expand:
        shown["assignments"] = [
            {"id": f"{doc['id']}_{a['groupId']}", "target": {"@odata.type": GROUP_TARGET, "groupId": a["groupId"]}}
            for a in doc.get("_assignments") or []
        ]
    return shown


def _cloud_pc_view(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    shown = project(doc, selected(request), only_on_select=ONLY_ON_SELECT)
    if request.params.get("version") == "v1.0":
        for field in BETA_ONLY:
            shown.pop(field, None)
    return evolvable(request, shown, {"status": LATE_STATUSES})


def register(ctx: Context, routes: GraphRoutes, notify: users.Notify) -> None:
    store = ctx.store

    def service(tenant: str) -> Service:
        return Service(ctx, tenant, notify)

    @routes.route("GET", POLICIES, "listProvisioningPolicies", service="intune")
    def list_policies(request: Request) -> Response:
        expand = request.q("$expand") == "assignments"
        found = [
            assigned_view(doc, selected(request), expand) for doc in store.scan(records.POLICY, f"{request.tenant}/")
        ]
        context = odata_context(request, "deviceManagement/virtualEndpoint/provisioningPolicies")
        return Response(200, {"@odata.context": context, "value": found})

    @routes.route("GET", POLICIES + r"/(?P<id>[^/]+)", "getProvisioningPolicy", service="intune")
    def get_policy(request: Request) -> Response:
        doc = _get(ctx, records.POLICY, request.tenant, request.params["id"], "provisioning policy")
        return Response(200, assigned_view(doc, selected(request), request.q("$expand") == "assignments"))

    @routes.route("POST", POLICIES, "createProvisioningPolicy", service="intune")
    def create_policy(request: Request) -> Response:
        doc = _checked_policy(ctx, request.tenant, request.json(), None)
        doc |= {
            "@odata.type": POLICY_TYPE,
            "id": str(uuid.uuid4()),
            "gracePeriodInHours": GRACE_DAYS * 24,
            "_assignments": [],
        }
        store.put(records.POLICY, records.key(request.tenant, doc["id"]), doc)
        return Response(201, assigned_view(doc, None, False))

    @routes.route("PATCH", POLICIES + r"/(?P<id>[^/]+)", "updateProvisioningPolicy", service="intune")
    def update_policy(request: Request) -> Response:
        current = _get(ctx, records.POLICY, request.tenant, request.params["id"], "provisioning policy")
        doc = _checked_policy(ctx, request.tenant, request.json(), current)
        store.put(records.POLICY, records.key(request.tenant, doc["id"]), doc)  # not retroactive
        return Response(204)

    @routes.route("DELETE", POLICIES + r"/(?P<id>[^/]+)", "deleteProvisioningPolicy", service="intune")
    def delete_policy(request: Request) -> Response:
        doc = _get(ctx, records.POLICY, request.tenant, request.params["id"], "provisioning policy")
        if doc.get("_assignments"):
            raise bad_request("The provisioning policy is assigned: remove its assignments first.", "BadRequest")
        store.delete(records.POLICY, records.key(request.tenant, doc["id"]))
        return Response(204)

    @routes.route("POST", POLICIES + r"/(?P<id>[^/]+)/assign", "assignProvisioningPolicy", service="intune")
    def assign_policy(request: Request) -> Response:
        doc = _get(ctx, records.POLICY, request.tenant, request.params["id"], "provisioning policy")
        doc["_assignments"] = assigned_groups(ctx, request, doc)
        store.put(records.POLICY, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route("GET", CLOUD_PCS, "listCloudPcs", service="intune")
    def list_cloud_pcs(request: Request) -> Response:
        """$select, $filter, $count and $top (https://learn.microsoft.com/graph/api/virtualendpoint-list-cloudpcs), in
        pages a reader follows by @odata.nextLink (https://learn.microsoft.com/graph/paging): the list's own page
        size is not published, so the directory's 100 (and $top up to 999), never the whole tenant at once."""
        service(request.tenant).reconcile()
        found = store.scan(records.CLOUD_PC, f"{request.tenant}/", where=parse_filter(request.q("$filter")))
        context = odata_context(request, "deviceManagement/virtualEndpoint/cloudPCs")
        counting = (request.q("$count") or "").lower() == "true"
        return Response(200, paged(request, found, context, lambda doc: _cloud_pc_view(request, doc), count=counting))

    @routes.route("GET", CLOUD_PCS + r"/(?P<id>[^/]+)", "getCloudPc", service="intune")
    def get_cloud_pc(request: Request) -> Response:
        service(request.tenant).reconcile()
        return Response(
            200, _cloud_pc_view(request, _get(ctx, records.CLOUD_PC, request.tenant, request.params["id"], "Cloud PC"))
        )

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/endGracePeriod", "endCloudPcGracePeriod", service="intune")
    def end_grace_period(request: Request) -> Response:
        service(request.tenant).reconcile()
        doc = _get(ctx, records.CLOUD_PC, request.tenant, request.params["id"], "Cloud PC")
        if doc["status"] != "inGracePeriod":  # "End the grace period for a Cloud PC in grace"
            raise bad_request(f"The Cloud PC is {doc['status']}, not in its grace period.", "BadRequest")
        store.put(records.CLOUD_PC, records.key(request.tenant, doc["id"]), doc | _deprovisioning(ctx))
        return Response(204)

    def working(request: Request, verb: str, allowed: tuple[str, ...] = WORKING) -> dict[str, Any]:
        """The Cloud PC, if its status allows the action (Graph answers 400 otherwise; its words are not
        documented, so these are the emulator's)."""
        service(request.tenant).reconcile()
        doc = _get(ctx, records.CLOUD_PC, request.tenant, request.params["id"], "Cloud PC")
        if doc["status"] not in allowed:
            raise bad_request(f"The Cloud PC is {doc['status']}: it cannot be {verb}.", "BadRequest")
        return doc

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/reboot", "rebootCloudPc", service="intune")
    def reboot(request: Request) -> Response:
        working(request, "rebooted")
        return Response(204)

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/troubleshoot", "troubleshootCloudPc", service="intune")
    def troubleshoot(request: Request) -> Response:
        working(request, "troubleshot")
        return Response(204)

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/reprovision", "reprovisionCloudPc", service="intune")
    def reprovision(request: Request) -> Response:
        """A new Cloud PC from the policy's current settings: provisioning again (cloudpc-reprovision)."""
        doc = working(request, "reprovisioned", (*WORKING, "failed"))
        due = ctx.clock() + ctx.controls.latency(PROVISIONING)
        doc |= {"status": "provisioning", "statusDetail": None, "_due": due, "lastModifiedDateTime": _iso(ctx.clock())}
        store.put(records.CLOUD_PC, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/resize", "resizeCloudPc", service="intune")
    def resize(request: Request) -> Response:
        """To another Windows 365 Enterprise size (cloudpc-resize; the module's docstring says how it runs)."""
        target_plan = str(request.json().get("targetServicePlanId") or "").lower()
        target = next(
            (sku for sku in skus.SKUS if sku.service_plan_id == target_plan and sku.part_number.startswith("CPC_E_")),
            None,
        )
        if target is None:
            raise bad_request(
                f"targetServicePlanId '{target_plan}' is not a Windows 365 Enterprise service plan.", "BadRequest"
            )
        doc = working(request, "resized")
        if target.service_plan_id == doc["servicePlanId"]:
            raise bad_request("The Cloud PC already has the target service plan.", "BadRequest")
        source = next(sku for sku in skus.SKUS if sku.service_plan_id == doc["servicePlanId"])
        # https://learn.microsoft.com/windows-365/enterprise/resize-cloud-pc: the OS disk can grow, never shrink
        source_size, target_size = source.enterprise_size, target.enterprise_size
        if source_size and target_size and target_size[2] < source_size[2]:
            raise bad_request(
                f"The target service plan's {target_size[2]} GB disk is smaller than the Cloud PC's "
                f"{source_size[2]} GB: resizing cannot downsize disk space.",
                "BadRequest",
            )
        user = users.get_user(store, request.tenant, doc["_userId"])
        by_group = licensing.inheriting_groups(user, source.sku_id)
        if not by_group and skus.free_units(store, request.tenant, target.sku_id) < 1:  # assignLicense's words
            raise bad_request(
                f"Subscription with SKU {target.sku_id} does not have any available licenses.", "BadRequest"
            )
        now = ctx.clock()
        doc |= {
            "status": "resizePendingLicense" if by_group else "resizing",
            "_resizeTo": target.sku_id,
            "_resizeFrom": source.sku_id,
            "_due": now + ctx.controls.latency(PROVISIONING),
            "lastModifiedDateTime": _iso(now),
        }
        store.put(records.CLOUD_PC, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/rename", "renameCloudPc", service="intune")
    def rename(request: Request) -> Response:
        name = request.json().get("displayName")
        if not isinstance(name, str) or not name.strip() or len(name) > 64:  # "Maximum length is 64 characters"
            raise bad_request("displayName is required, at most 64 characters.", "BadRequest")
        doc = working(request, "renamed", tuple(STATUSES_RENAMABLE))
        doc |= {"displayName": name, "lastModifiedDateTime": _iso(ctx.clock())}
        store.put(records.CLOUD_PC, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    service_work = r"/emulator/tenants/(?P<tid>[^/]+)/cloudPCs/(?P<id>[^/]+)/status"

    @ctx.router.route("DELETE", service_work, operation="emulatorControl", api="emulator", auth=False)
    def end_service_work(request: Request) -> Response:
        """The service's work on the Cloud PC is done now: its next read shows the status it had."""
        tenant = request.params["tid"]
        doc = _get(ctx, records.CLOUD_PC, tenant, request.params["id"], "Cloud PC")
        if doc.get("_workBefore"):
            store.put(records.CLOUD_PC, records.key(tenant, doc["id"]), doc | {"_due": ctx.clock()})
        return Response(204)

    @ctx.router.route("PUT", service_work, operation="emulatorControl", api="emulator", auth=False)
    def put_service_work(request: Request) -> Response:
        """The service at its own work on a provisioned Cloud PC: `status` (a cloudPcStatus member) for `seconds`."""
        body, tenant = request.json(), request.params["tid"]
        status, seconds = body.get("status"), body.get("seconds")
        if status not in STATUSES - {UNKNOWN_FUTURE_VALUE}:
            raise ApiError(400, "InvalidRequestContent", f"'status' must be one of {', '.join(sorted(STATUSES))}.")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ApiError(400, "InvalidRequestContent", "'seconds' must be a number >= 0.")
        doc = _get(ctx, records.CLOUD_PC, tenant, request.params["id"], "Cloud PC")
        if doc["status"] not in WORKING or doc.get("_resizeTo"):
            raise ApiError(409, "Conflict", f"The Cloud PC is {doc['status']}: the service is at other work on it.")
        now = ctx.clock()
        doc |= {
            "status": status,
            "_workBefore": doc["status"],
            "_due": now + float(seconds),
            "lastModifiedDateTime": _iso(now),
        }
        store.put(records.CLOUD_PC, records.key(tenant, doc["id"]), doc)
        return Response(200, project(doc, None))

    @ctx.router.route(
        "POST",
        r"/emulator/tenants/(?P<tid>[^/]+)/cloudPCs/(?P<id>[^/]+)/signIns",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def sign_in(request: Request) -> Response:
        """The Cloud PC's user signs in to it now (from the Windows App or windows365.microsoft.com)."""
        tenant = request.params["tid"]
        service(tenant).reconcile()
        doc = _get(ctx, records.CLOUD_PC, tenant, request.params["id"], "Cloud PC")
        if doc["status"] not in WORKING:
            raise ApiError(409, "Conflict", f"The Cloud PC is {doc['status']}: its user cannot sign in to it.")
        body = request.json()
        signed_in, signed_out = body.get("signInDateTime"), body.get("signOutDateTime")
        if signed_out is not None:  # a whole connection, for the remote connection report (reports.py)
            if not _iso_time(signed_in) or not _iso_time(signed_out) or signed_out < signed_in:
                raise ApiError(
                    400,
                    "InvalidRequestContent",
                    "'signInDateTime' and 'signOutDateTime' must be ISO 8601 "
                    "UTC times (Z), the sign-out not before the sign-in.",
                )
            report_aggregation.latest(ctx, tenant)  # the reports show it from the next aggregation on
            doc["_connections"] = [*(doc.get("_connections") or []), [signed_in, signed_out]]
        at = signed_in if signed_out is not None else iso_now(ctx)
        if at >= ((doc.get("lastLoginResult") or {}).get("time") or ""):
            doc["lastLoginResult"] = {"time": at}
        store.put(records.CLOUD_PC, records.key(tenant, doc["id"]), doc)
        return Response(200, project(doc, None))
