"""What a customer tenant allows an app: the app's registration asks, the tenant's admin consents, and the app's
service principal there holds the Graph application permissions consented to.

As in Entra: an app with no service principal in a tenant (no admin has consented) gets AADSTS700016 at the token
endpoint; consent through the admin consent endpoint with `scope=https://graph.microsoft.com/.default` grants
exactly the application permissions the app's registration requests (its `requiredResourceAccess`), no more
(https://learn.microsoft.com/entra/identity-platform/v2-admin-consent); a consented app's Graph token carries them
in `roles`. A new tenant grants nothing. Azure roles are not consent: they are role assignments (arm/rbac.py).

- `PUT /emulator/applications/{appId}` `{"graphPermissions": [...]}`: the app registration's requested Microsoft
  Graph application permissions (what its owner set under "API permissions" in the provider's own tenant).
- `GET /{tenant}/v2.0/adminconsent?client_id=...&scope=...[&redirect_uri=...]` with the tenant administrator's
  token (`POST /emulator/token` stands in for the admin signing in): consents; redirects to `redirect_uri` with
  `admin_consent=True` and the tenant, as Entra does, or answers the grant as JSON.
- `PUT /emulator/tenants/{tid}/apps/{appId}` `{"consented"?: bool, "graphPermissions"?: [...]}`: what an admin
  changes afterwards in the tenant's Enterprise applications (revoke consent, remove a permission); `GET` reads it.
Store kinds: `identity.application` `{appId}` -> requested permissions; `identity.consent` `{tid}/{appId}` -> grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.store import Store
from azure_emulator.tokens import principal_id

KIND, APPLICATION = "identity.consent", "identity.application"
# Microsoft's own apps with a service principal in every tenant, put there by Microsoft and not by an admin's consent:
# Azure Virtual Desktop, whose principal (app id 9cdead84-a844-4324-93f2-b2e6bb768d07) an admin gives the role that
# lets it start session hosts (https://learn.microsoft.com/azure/virtual-desktop/start-virtual-machine-connect). It
# gets no token here: its service principal only holds roles, which the emulator's AVD checks (start_on_connect.py).
# Windows 365 likewise (app id 0af06dc6-e4b5-4f28-818e-e78e62d137a5), whose principal needs roles in the customer's
# Azure for an Azure network connection and a custom image upload
# (https://learn.microsoft.com/windows-365/enterprise/customer-permissions); graph/windows365 checks them.
AZURE_VIRTUAL_DESKTOP_APP_ID = "9cdead84-a844-4324-93f2-b2e6bb768d07"
WINDOWS_365_APP_ID = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
FIRST_PARTY_APPS = (AZURE_VIRTUAL_DESKTOP_APP_ID, WINDOWS_365_APP_ID)


def has_service_principal(store: Store, tenant_id: str, app_id: str) -> bool:
    """Whether the app has a service principal in the tenant: a first-party app's always, another's once consented."""
    return app_id.lower() in FIRST_PARTY_APPS or consent_of(store, tenant_id, app_id).consented


@dataclass(frozen=True)
class Consent:
    consented: bool = False
    graph_permissions: tuple[str, ...] = ()

    def document(self, tenant_id: str, app_id: str) -> dict[str, Any]:
        return {"tenantId": tenant_id, "appId": app_id, "consented": self.consented,
                "servicePrincipalId": principal_id(tenant_id, app_id) if self.consented else None,
                "graphPermissions": list(self.graph_permissions)}  # fmt: skip


def consent_of(store: Store, tenant_id: str, app_id: str) -> Consent:
    found = store.get(KIND, f"{tenant_id}/{app_id}".lower())
    if found is None:
        return Consent()
    return Consent(bool(found["consented"]), tuple(found["graphPermissions"]))


def service_principals(store: Store, tenant_id: str) -> set[str]:
    """The object ids of the service principals of the apps consented to in the tenant, and of the first-party ones."""
    prefix = f"{tenant_id}/".lower()
    return {
        principal_id(tenant_id, key[len(prefix) :]).lower()
        for key in store.keys(KIND, prefix)
        if (store.get(KIND, key) or {}).get("consented")
    } | {principal_id(tenant_id, app).lower() for app in FIRST_PARTY_APPS}


def requested_permissions(store: Store, app_id: str) -> tuple[str, ...]:
    found = store.get(APPLICATION, app_id.lower())
    return tuple(found["graphPermissions"]) if found else ()


def _save(store: Store, tenant_id: str, app_id: str, consent: Consent) -> None:
    store.put(KIND, f"{tenant_id}/{app_id}".lower(),
              {"consented": consent.consented, "graphPermissions": list(consent.graph_permissions)})  # fmt: skip


def _strings(body: dict[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = body.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ApiError(400, "InvalidRequestContent", f"'{name}' must be a list of non-empty strings.")
    return tuple(value)


def _object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidRequestContent", "The body must be a JSON object.")
    return body


def register(ctx: Context) -> None:
    path = r"/emulator/tenants/(?P<tid>[^/]+)/apps/(?P<app>[^/]+)"

    @ctx.router.route("PUT", path, operation="emulatorControl", api="emulator", auth=False)
    def set_consent(request: Request) -> Response:
        body = _object(request)
        tid, app = request.params["tid"], request.params["app"]
        now = consent_of(ctx.store, tid, app)
        consented = body.get("consented", now.consented)
        if not isinstance(consented, bool):
            raise ApiError(400, "InvalidRequestContent", "'consented' must be true or false.")
        changed = Consent(consented, _strings(body, "graphPermissions", now.graph_permissions))
        _save(ctx.store, tid, app, changed)
        return Response(200, changed.document(tid, app))

    @ctx.router.route("GET", path, operation="emulatorControl", api="emulator", auth=False)
    def get_consent(request: Request) -> Response:
        tid, app = request.params["tid"], request.params["app"]
        return Response(200, consent_of(ctx.store, tid, app).document(tid, app))

    registration = r"/emulator/applications/(?P<app>[^/]+)"

    @ctx.router.route("PUT", registration, operation="emulatorControl", api="emulator", auth=False)
    def set_registration(request: Request) -> Response:
        app = request.params["app"]
        permissions = _strings(_object(request), "graphPermissions", ())
        ctx.store.put(APPLICATION, app.lower(), {"graphPermissions": list(permissions)})
        return Response(200, {"appId": app, "graphPermissions": list(permissions)})

    @ctx.router.route("GET", registration, operation="emulatorControl", api="emulator", auth=False)
    def get_registration(request: Request) -> Response:
        app = request.params["app"]
        return Response(200, {"appId": app, "graphPermissions": list(requested_permissions(ctx.store, app))})

    @ctx.router.route("GET", r"/(?P<tenant>[^/]+)/v2\.0/adminconsent", operation="adminConsent", api="identity")
    def admin_consent(request: Request) -> Response:
        tenant, claims = request.params["tenant"], request.claims or {}
        if claims.get("idtyp") == "app" or str(claims.get("tid")) != tenant:
            raise ApiError(403, "AccessDenied", "Only an administrator of the tenant can grant admin consent.")
        app = request.q("client_id") or ""
        if not app:
            raise ApiError(400, "invalid_request", "AADSTS900144: The request must contain 'client_id'.")
        from azure_emulator.graph.common import accepted_audiences  # the graph package imports this module

        scope = request.q("scope") or ""
        resource = scope.removesuffix("/.default")
        if not scope.endswith("/.default") or resource not in accepted_audiences(ctx):
            raise ApiError(400, "invalid_scope", "AADSTS70011: Application permissions are requested with the "
                           "resource's /.default scope (https://graph.microsoft.com/.default).")  # fmt: skip
        granted = Consent(True, requested_permissions(ctx.store, app))
        _save(ctx.store, tenant, app, granted)
        redirect = request.q("redirect_uri")
        if redirect:
            query = urlencode(
                {"admin_consent": "True", "tenant": tenant, "scope": scope, "state": request.q("state") or ""}
            )
            return Response(302, None, {"Location": f"{redirect}?{query}"})
        return Response(200, granted.document(tenant, app))
