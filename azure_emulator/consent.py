"""What a customer tenant allows an app: admin consent, its Graph application permissions, its Azure actions.

Entra answers an app with no service principal in a tenant (no admin consent) with AADSTS700016 at the token
endpoint; a consented app's Graph token carries its application permissions in `roles`; ARM's
`.../providers/Microsoft.Authorization/permissions` tells a caller what its role assignments let it do. The emulator
models the three per (tenant, app): by default an app is consented with `DEFAULT_GRAPH_PERMISSIONS` and every Azure
action, so nothing changes for a tenant nobody configured.

`PUT /emulator/tenants/{tid}/apps/{appId}` `{"consented"?: bool, "graphPermissions"?: [...],
"azureActions"?: [...]}` sets them (a missing field keeps its value); `GET` reads them.
Store kind: `identity.consent` `{tid}/{appId}` -> the three fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.store import Store

KIND = "identity.consent"
# what a tenant's admin typically grants a Cloud PC management app (application permissions)
DEFAULT_GRAPH_PERMISSIONS = (
    "User.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
    "Device.ReadWrite.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
)


@dataclass(frozen=True)
class Consent:
    consented: bool = True
    graph_permissions: tuple[str, ...] = DEFAULT_GRAPH_PERMISSIONS
    azure_actions: tuple[str, ...] = ("*",)

    def document(self, tenant_id: str, app_id: str) -> dict[str, Any]:
        return {"tenantId": tenant_id, "appId": app_id, "consented": self.consented,
                "graphPermissions": list(self.graph_permissions), "azureActions": list(self.azure_actions)}  # fmt: skip


def consent_of(store: Store, tenant_id: str, app_id: str) -> Consent:
    found = store.get(KIND, f"{tenant_id}/{app_id}".lower())
    if found is None:
        return Consent()
    return Consent(bool(found["consented"]), tuple(found["graphPermissions"]), tuple(found["azureActions"]))


def _strings(body: dict[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = body.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ApiError(400, "InvalidRequestContent", f"'{name}' must be a list of non-empty strings.")
    return tuple(value)


def register(ctx: Context) -> None:
    path = r"/emulator/tenants/(?P<tid>[^/]+)/apps/(?P<app>[^/]+)"

    @ctx.router.route("PUT", path, operation="emulatorControl", api="emulator", auth=False)
    def set_consent(request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequestContent", "The body must be a JSON object.")
        tid, app = request.params["tid"], request.params["app"]
        now = consent_of(ctx.store, tid, app)
        consented = body.get("consented", now.consented)
        if not isinstance(consented, bool):
            raise ApiError(400, "InvalidRequestContent", "'consented' must be true or false.")
        changed = Consent(
            consented,
            _strings(body, "graphPermissions", now.graph_permissions),
            _strings(body, "azureActions", now.azure_actions),
        )
        ctx.store.put(KIND, f"{tid}/{app}".lower(), {"consented": changed.consented,
                      "graphPermissions": list(changed.graph_permissions),
                      "azureActions": list(changed.azure_actions)})  # fmt: skip
        return Response(200, changed.document(tid, app))

    @ctx.router.route("GET", path, operation="emulatorControl", api="emulator", auth=False)
    def get_consent(request: Request) -> Response:
        tid, app = request.params["tid"], request.params["app"]
        return Response(200, consent_of(ctx.store, tid, app).document(tid, app))
