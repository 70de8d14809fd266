"""Windows 365 through Graph's Cloud PC API (`deviceManagement/virtualEndpoint`): its provisioning policies, user
settings and images and the Cloud PCs it provisions for them (the network connections: graph_windows365_network.py).

v1.0 wherever it serves what the app needs, as beta may change under it; the Cloud PCs are read from beta, because
v1.0's cloudPC has no `status` (https://learn.microsoft.com/graph/api/resources/cloudpc). Every call is one request on
the tenant's Graph client, whose retry policy waits out a short throttle; a longer one comes back as a GraphError
carrying Retry-After.

Every request says `Prefer: include-unknown-enum-members`: Graph's Windows 365 enums are evolvable, and a member listed
after `unknownFutureValue` (a Cloud PC's `resizePendingLicense`, an image's `sourceImageSizeExceedsLimitation`) comes
back only to a client that asks for it (https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations);
a member the app does not know yet is its readers' to take as in progress, never as done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.cloud.azure.graph_client import GraphClients, GraphError
from shared.ports.windows365 import (
    Windows365AuditEvent,
    Windows365CloudPc,
    Windows365Connection,
    Windows365GalleryImage,
    Windows365Image,
    Windows365PolicySpec,
    Windows365Recommendation,
    Windows365Snapshot,
    Windows365UserSettingSpec,
)

POLICIES = "deviceManagement/virtualEndpoint/provisioningPolicies"
CLOUD_PCS = "deviceManagement/virtualEndpoint/cloudPCs"
USER_SETTINGS = "deviceManagement/virtualEndpoint/userSettings"
DEVICE_IMAGES = "deviceManagement/virtualEndpoint/deviceImages"
AUDIT_EVENTS = "deviceManagement/virtualEndpoint/auditEvents"
GALLERY_IMAGES = "deviceManagement/virtualEndpoint/galleryImages"
BETA_ACTIONS = frozenset({"createSnapshot"})  # https://learn.microsoft.com/graph/api/cloudpc-createsnapshot
FIXED_POLICY_FIELDS = frozenset({"provisioningType", "cloudPcNamingTemplate"})
GROUP_TARGET = "#microsoft.graph.cloudPcManagementGroupAssignmentTarget"
# lastLoginResult ({time}: the user's last sign-in to it) is beta's, and only on $select: Graph's default properties
# leave it out (https://learn.microsoft.com/graph/api/cloudpc-get?view=graph-rest-beta, examples 1 and 2); v1.0 has
# no sign-in time of a Cloud PC, and its reports of connections are beta's too
CLOUD_PC_FIELDS = (
    "id,displayName,managedDeviceName,userPrincipalName,servicePlanId,servicePlanName,"
    "provisioningPolicyId,status,statusDetail,gracePeriodEndDateTime,lastModifiedDateTime,"
    "lastLoginResult"
)
# the list takes $top (https://learn.microsoft.com/graph/api/virtualendpoint-list-cloudpcs) and its page size is the
# API's own (https://learn.microsoft.com/graph/paging): 999, the largest directory page, which Microsoft's Graph
# PowerShell also asks of every list it reads whole (-All, microsoftgraph/msgraph-sdk-powershell#1230)
CLOUD_PC_PAGE = 999
EVERY_ENUM_MEMBER = {"Prefer": "include-unknown-enum-members"}
# beta only, CloudPC.Read.All (https://learn.microsoft.com/graph/api/cloudpcreports-getremoteconnectionhistoricalreports):
# a Cloud PC's connections, each with its sign-in and sign-out, as a report: Schema (columns) and Values (rows), paged
# by top and skip; its filter must name the Cloud PC
CONNECTION_REPORT = "deviceManagement/virtualEndpoint/reports/getRemoteConnectionHistoricalReports"
CONNECTION_COLUMNS = ["SignInDateTime", "SignOutDateTime"]
# beta (https://learn.microsoft.com/graph/api/cloudpcreport-retrievecloudpcrecommendationreports?view=graph-rest-beta),
# which replaced cloudPcReports' getCloudPcRecommendationReports: under `report`, not `reports`. Its Application row
# names CloudPC.ReadWrite.All alone, though the app only reads. Each Cloud PC's UsageCategory and the plan recommended
# (a servicePlanId and its name), Schema and Values as the connection report, paged by top and skip; the filter takes
# `or` and `eq`, so one request asks for a page of Cloud PCs
RECOMMENDATION_REPORT = "deviceManagement/virtualEndpoint/report/retrieveCloudPcRecommendationReports"
RECOMMENDATION_COLUMNS = ["CloudPcId", "UsageCategory", "RecommendedPlanId", "RecommendedPlanName"]
REPORT_PAGE = 1000


def _policy_body(spec: Windows365PolicySpec) -> dict[str, Any]:
    """The fields of https://learn.microsoft.com/graph/api/virtualendpoint-post-provisioningpolicies the app sets."""
    joins = []
    for join in spec.joins:
        item: dict[str, Any] = {"domainJoinType": join.domain_join_type}
        if join.connection_id:
            item["onPremisesConnectionId"] = join.connection_id
        if join.region_name:
            item["regionName"] = join.region_name
        joins.append(item)
    return {
        "@odata.type": "#microsoft.graph.cloudPcProvisioningPolicy",
        "displayName": spec.display_name,
        "description": spec.description,
        "imageType": spec.image_type,
        "imageId": spec.image_id,
        "imageDisplayName": spec.image_display_name,
        "domainJoinConfigurations": joins,
        "cloudPcNamingTemplate": spec.naming_template,
        "enableSingleSignOn": spec.enable_single_sign_on,
        "windowsSetting": {"locale": spec.locale},
        "provisioningType": spec.provisioning_type,
    }


def _user_setting_body(spec: Windows365UserSettingSpec) -> dict[str, Any]:
    """https://learn.microsoft.com/graph/api/resources/cloudpcusersetting (v1.0)"""
    return {
        "@odata.type": "#microsoft.graph.cloudPcUserSetting",
        "displayName": spec.display_name,
        "localAdminEnabled": spec.local_admin_enabled,
        "resetEnabled": spec.reset_enabled,
        "restorePointSetting": {
            "frequencyType": spec.restore_point_frequency,
            "userRestoreEnabled": spec.user_restore_enabled,
        },
    }


def _gallery_image(body: dict[str, Any]) -> Windows365GalleryImage:
    def text(key: str) -> str:
        return str(body.get(key) or "")

    return Windows365GalleryImage(
        str(body["id"]),
        text("displayName") or str(body["id"]),
        text("publisherName"),
        text("offerName"),
        text("skuName"),
        text("status") or "supported",
    )


def _audit_event(body: dict[str, Any]) -> Windows365AuditEvent:
    actor = body.get("actor") or {}
    who = actor.get("userPrincipalName") or actor.get("applicationDisplayName") or actor.get("servicePrincipalName")
    # v1.0's cloudPcAuditResource names no type (https://learn.microsoft.com/graph/api/resources/cloudpcauditresource):
    # what it is, the reader knows by its resourceId; beta's resourceType is kept when Graph gives it
    resources = tuple(
        (str(r.get("resourceType") or ""), str(r.get("resourceId") or ""), r.get("displayName"))
        for r in body.get("resources") or []
    )
    return Windows365AuditEvent(
        id=str(body["id"]),
        activity_date_time=str(body.get("activityDateTime") or ""),
        activity=str(body.get("activity") or body.get("displayName") or ""),
        result=str(body.get("activityResult") or "other"),
        actor_id=str(actor.get("userId") or actor.get("applicationId") or "windows365"),
        actor_name=who,
        resources=resources,
    )


def _report_time(value: Any) -> datetime | None:
    """The report's DateTime columns carry no offset (`2022-09-06T05:28:52`): they are UTC."""
    if not value:
        return None
    found = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _snapshot(body: dict[str, Any]) -> Windows365Snapshot:
    return Windows365Snapshot(
        id=str(body["id"]),
        created_date_time=str(body.get("createdDateTime") or ""),
        snapshot_type=str(body.get("snapshotType") or "automatic"),
        status=str(body.get("status") or "ready"),
        expiration_date_time=body.get("expirationDateTime"),
        last_restored_date_time=body.get("lastRestoredDateTime"),
    )


def _cloud_pc(body: dict[str, Any]) -> Windows365CloudPc:
    detail = body.get("statusDetail") or {}
    return Windows365CloudPc(
        id=str(body["id"]),
        display_name=str(body.get("displayName") or ""),
        managed_device_name=body.get("managedDeviceName"),
        user_principal_name=str(body.get("userPrincipalName") or ""),
        service_plan_id=str(body.get("servicePlanId") or ""),
        service_plan_name=str(body.get("servicePlanName") or ""),
        provisioning_policy_id=body.get("provisioningPolicyId"),
        status=str(body.get("status") or "provisioning"),
        status_code=detail.get("code"),
        status_message=detail.get("message"),
        grace_period_end_date_time=body.get("gracePeriodEndDateTime"),
        last_modified_date_time=body.get("lastModifiedDateTime"),
        last_login_date_time=(body.get("lastLoginResult") or {}).get("time"),
    )


class GraphWindows365Provisioning:
    """The Windows365Provisioning port on Graph."""

    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients.with_headers(EVERY_ENUM_MEMBER)

    def _find(self, tenant_id: str, collection: str, display_name: str, step: str) -> str | None:
        for body in self._clients.client(tenant_id).pages(collection, step=step):
            if body.get("displayName") == display_name:
                return str(body["id"])
        return None

    def _delete(self, tenant_id: str, url: str, step: str) -> None:
        try:
            self._clients.client(tenant_id).call("DELETE", url, step=step)
        except GraphError as exc:
            if exc.status != 404:
                raise

    def _assign(self, tenant_id: str, url: str, group_ids: list[str], step: str) -> None:
        """POST {url}/assign: the body replaces the assignments (cloudpcprovisioningpolicy-assign,
        cloudpcusersetting-assign)."""
        body = {"assignments": [{"target": {"@odata.type": GROUP_TARGET, "groupId": group}} for group in group_ids]}
        self._clients.client(tenant_id).call("POST", f"{url}/assign", step=step, body=body)

    def find_policy(self, tenant_id: str, display_name: str) -> str | None:
        return self._find(tenant_id, POLICIES, display_name, "findWindows365Policy")

    def create_policy(self, tenant_id: str, spec: Windows365PolicySpec) -> str:
        client = self._clients.client(tenant_id)
        return str(client.call("POST", POLICIES, step="createWindows365Policy", body=_policy_body(spec))["id"])

    def update_policy(self, tenant_id: str, policy_id: str, spec: Windows365PolicySpec) -> None:
        # what Graph takes in an update (cloudpcprovisioningpolicy-update): type and naming template are fixed once made
        body = {k: v for k, v in _policy_body(spec).items() if k not in FIXED_POLICY_FIELDS}
        self._clients.client(tenant_id).call(
            "PATCH", f"{POLICIES}/{policy_id}", step="updateWindows365Policy", body=body
        )

    def delete_policy(self, tenant_id: str, policy_id: str) -> None:
        self._delete(tenant_id, f"{POLICIES}/{policy_id}", "deleteWindows365Policy")

    def assign_policy(self, tenant_id: str, policy_id: str, group_ids: list[str]) -> None:
        self._assign(tenant_id, f"{POLICIES}/{policy_id}", group_ids, "assignWindows365Policy")

    def list_gallery_images(self, tenant_id: str) -> list[Windows365GalleryImage]:
        """https://learn.microsoft.com/graph/api/virtualendpoint-list-galleryimages"""
        pages = self._clients.client(tenant_id).pages(GALLERY_IMAGES, step="listWindows365GalleryImages")
        return [_gallery_image(body) for body in pages]

    def upload_image(self, tenant_id: str, display_name: str, version: str, source_image_resource_id: str) -> str:
        """https://learn.microsoft.com/graph/api/virtualendpoint-post-deviceimages (name and version identify one)"""
        client = self._clients.client(tenant_id)
        for body in client.pages(DEVICE_IMAGES, step="findWindows365Image"):
            if str(body.get("displayName")).lower() == display_name.lower() and body.get("version") == version:
                return str(body["id"])
        body = {"displayName": display_name, "version": version, "sourceImageResourceId": source_image_resource_id}
        made = client.call("POST", DEVICE_IMAGES, step="uploadWindows365Image", body=body)
        return str(made["id"])

    def read_image(self, tenant_id: str, image_id: str) -> Windows365Image | None:
        found = self._clients.client(tenant_id).get_or_none(f"{DEVICE_IMAGES}/{image_id}", step="readWindows365Image")
        if not found:
            return None
        status = str(found.get("status") or "pending")
        return Windows365Image(str(found["id"]), status, found.get("errorCode"), found.get("operatingSystem"))

    def delete_image(self, tenant_id: str, image_id: str) -> None:
        self._delete(tenant_id, f"{DEVICE_IMAGES}/{image_id}", "deleteWindows365Image")

    def find_user_setting(self, tenant_id: str, display_name: str) -> str | None:
        return self._find(tenant_id, USER_SETTINGS, display_name, "findWindows365UserSetting")

    def create_user_setting(self, tenant_id: str, spec: Windows365UserSettingSpec) -> str:
        client = self._clients.client(tenant_id)
        made = client.call("POST", USER_SETTINGS, step="createWindows365UserSetting", body=_user_setting_body(spec))
        return str(made["id"])

    def update_user_setting(self, tenant_id: str, setting_id: str, spec: Windows365UserSettingSpec) -> None:
        body = _user_setting_body(spec)
        self._clients.client(tenant_id).call(
            "PATCH", f"{USER_SETTINGS}/{setting_id}", step="updateWindows365UserSetting", body=body
        )

    def delete_user_setting(self, tenant_id: str, setting_id: str) -> None:
        self._delete(tenant_id, f"{USER_SETTINGS}/{setting_id}", "deleteWindows365UserSetting")

    def assign_user_setting(self, tenant_id: str, setting_id: str, group_ids: list[str]) -> None:
        self._assign(tenant_id, f"{USER_SETTINGS}/{setting_id}", group_ids, "assignWindows365UserSetting")

    def list_cloud_pcs(self, tenant_id: str) -> list[Windows365CloudPc]:
        """Every Cloud PC of the tenant, a page of CLOUD_PC_PAGE at a time: a read of the tenant costs a request per
        page, never one per Cloud PC."""
        asked = {"$select": CLOUD_PC_FIELDS, "$top": CLOUD_PC_PAGE}
        pages = self._clients.client(tenant_id).pages(
            CLOUD_PCS, step="listWindows365CloudPcs", params=asked, version="beta"
        )
        return [_cloud_pc(body) for body in pages]

    def list_snapshots(self, tenant_id: str, cloud_pc_id: str) -> list[Windows365Snapshot]:
        """Beta only: https://learn.microsoft.com/graph/api/cloudpc-retrievesnapshots"""
        pages = self._clients.client(tenant_id).pages(
            f"{CLOUD_PCS}/{cloud_pc_id}/retrieveSnapshots", step="listWindows365Snapshots", version="beta"
        )
        return [_snapshot(body) for body in pages]

    def list_audit_events(self, tenant_id: str, since: str) -> list[Windows365AuditEvent]:
        """https://learn.microsoft.com/graph/api/virtualendpoint-list-auditevents, filtered by activityDateTime"""
        pages = self._clients.client(tenant_id).pages(
            AUDIT_EVENTS, step="listWindows365AuditEvents", params={"$filter": f"activityDateTime ge {since}"}
        )
        found = [_audit_event(body) for body in pages]
        return sorted(found, key=lambda event: event.activity_date_time)

    def list_remote_connections(self, tenant_id: str, cloud_pc_id: str, since: datetime) -> list[Windows365Connection]:
        asked = {
            "filter": f"CloudPcId eq '{cloud_pc_id}' and SignInDateTime ge datetime'{since:%Y-%m-%dT%H:%M:%SZ}'",
            "select": CONNECTION_COLUMNS,
            "orderBy": ["SignInDateTime"],
        }
        rows = self._report(tenant_id, CONNECTION_REPORT, "readWindows365Connections", asked)
        found = [
            Windows365Connection(signed_in, _report_time(row.get("SignOutDateTime")))
            for row in rows
            if (signed_in := _report_time(row.get("SignInDateTime"))) is not None
        ]
        return sorted(found, key=lambda c: c.sign_in_date_time)

    def list_recommendations(self, tenant_id: str, cloud_pc_ids: Sequence[str]) -> list[Windows365Recommendation]:
        if not cloud_pc_ids:
            return []
        asked = {
            "reportName": "cloudPcUsageCategoryReport",
            "select": RECOMMENDATION_COLUMNS,
            "filter": " or ".join(f"CloudPcId eq '{cloud_pc_id}'" for cloud_pc_id in cloud_pc_ids),
        }
        rows = self._report(tenant_id, RECOMMENDATION_REPORT, "readWindows365Recommendations", asked)
        return [
            Windows365Recommendation(
                cloud_pc_id=str(row["CloudPcId"]),
                usage_category=str(row.get("UsageCategory") or ""),
                recommended_plan_id=row.get("RecommendedPlanId") or None,
                recommended_plan_name=row.get("RecommendedPlanName") or None,
            )
            for row in rows
            if row.get("CloudPcId")
        ]

    def _report(self, tenant_id: str, path: str, step: str, asked: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of one of beta's reports (Schema: the columns, Values: the rows), each by its column's name, page
        by page until its TotalRowCount."""
        rows: list[dict[str, Any]] = []
        while True:
            report = self._clients.client(tenant_id).call(
                "POST", path, step=step, body={**asked, "top": REPORT_PAGE, "skip": len(rows)}, version="beta"
            )
            columns = [column["Column"] for column in report.get("Schema") or []]
            page = [dict(zip(columns, values, strict=False)) for values in report.get("Values") or []]
            rows += page
            if not page or len(rows) >= int(report.get("TotalRowCount") or 0):
                return rows

    def act(self, tenant_id: str, cloud_pc_id: str, action: str, body: dict[str, str] | None = None) -> None:
        """POST cloudPCs/{id}/{action} (v1.0: https://learn.microsoft.com/graph/api/resources/cloudpc lists them;
        createSnapshot is beta's only)."""
        version = "beta" if action in BETA_ACTIONS else "v1.0"
        self._clients.client(tenant_id).call(
            "POST", f"{CLOUD_PCS}/{cloud_pc_id}/{action}", step=f"{action}Windows365CloudPc", body=body, version=version
        )
