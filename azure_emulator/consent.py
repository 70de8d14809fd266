"""What a customer tenant allows an app: the app's registration asks, the tenant's admin consents, and the app's
service principal there holds the Graph application permissions consented to.

As in Entra: an app with no service principal in a tenant (no admin has consented) gets AADSTS700016 at the token
endpoint; consent through the admin consent endpoint with `scope=https://graph.microsoft.com/.default` grants the
application permissions the app's registration requests (its `requiredResourceAccess`), no more
(https://learn.microsoft.com/entra/identity-platform/v2-admin-consent), and keeps those its service principal held
already: consent adds app role assignments, and one granted otherwise (graph/app_role_assignments.py,
https://learn.microsoft.com/graph/permissions-grant-via-msgraph) stays. A consented app's Graph token carries them
in `roles`. A new tenant grants nothing. Azure roles are not consent: they are role assignments (arm/rbac.py).

- `PUT /emulator/applications/{appId}` `{"graphPermissions"?: [...], "redirectUris"?: [...], "displayName"?: str}`:
  the app registration, as its owner set it in the provider's own tenant: the Microsoft Graph application permissions
  it requests ("API permissions"), its Web redirect URIs and its name. What a body leaves out stays as it was.
- `GET|POST /{tenant}/v2.0/adminconsent?client_id&redirect_uri&scope&state`, as Entra's admin consent endpoint
  (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent):
  - `redirect_uri` must match one of the registration's redirect URIs exactly ("must exactly match one of the
    redirect URIs you registered"), else Entra's own error page, AADSTS50011, and no redirect; so for a missing
    `client_id` (AADSTS900144). A scope other than a resource's `/.default` goes back as `error=invalid_scope`
    ("to request app permissions, you must use the /.default value").
  - In a browser (no bearer token): "Microsoft Entra ID requires a tenant administrator to sign in": a sign-in
    page, then the permissions the registration requests, with their descriptions, and Accept or Cancel. Only the
    tenant's Global Administrator (`administrator_upn`; the directory roles of the sign-in page's users,
    directory_roles.py, do not reach this page) may consent: anyone else of the tenant gets AADSTS90094, a user of
    another tenant AADSTS50020, an unknown one AADSTS50034, on the sign-in page. Accept redirects with
    `admin_consent=True&tenant&scope&state` (the doc's "successful response"); Cancel with
    `error=access_denied&error_subcode=cancel&error_description=AADSTS65004: ...&state`, what Entra sends when the
    admin declines (the doc shows its error response as `error=permission_denied`).
  - With the tenant administrator's token (`POST /emulator/token` stands in for the admin signing in, for scripts):
    consents at once; redirects as Accept does when `redirect_uri` is given, else answers the grant as JSON.
- `PUT /emulator/tenants/{tid}/apps/{appId}` `{"consented"?: bool, "graphPermissions"?: [...]}`: what an admin
  changes afterwards in the tenant's Enterprise applications (revoke consent, remove a permission); `GET` reads it.
Store kinds: `identity.application` `{appId}` -> requested permissions; `identity.consent` `{tid}/{appId}` -> grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from azure_emulator import consent_pages
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
# Microsoft Graph itself (app id 00000003-0000-0000-c000-000000000000), the resource whose app roles are the Graph
# application permissions an app is granted (graph/app_role_assignments.py).
AZURE_VIRTUAL_DESKTOP_APP_ID = "9cdead84-a844-4324-93f2-b2e6bb768d07"
WINDOWS_365_APP_ID = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
FIRST_PARTY_APPS = (AZURE_VIRTUAL_DESKTOP_APP_ID, WINDOWS_365_APP_ID, MICROSOFT_GRAPH_APP_ID)


def has_service_principal(store: Store, tenant_id: str, app_id: str) -> bool:
    """Whether the app has a service principal in the tenant: a first-party app's always, another's once consented."""
    return app_id.lower() in FIRST_PARTY_APPS or consent_of(store, tenant_id, app_id).consented


@dataclass(frozen=True)
class Consent:
    consented: bool = False
    graph_permissions: tuple[str, ...] = ()

    def document(self, tenant_id: str, app_id: str) -> dict[str, Any]:
        return {
            "tenantId": tenant_id,
            "appId": app_id,
            "consented": self.consented,
            "servicePrincipalId": principal_id(tenant_id, app_id) if self.consented else None,
            "graphPermissions": list(self.graph_permissions),
        }


def consent_of(store: Store, tenant_id: str, app_id: str) -> Consent:
    found = store.get(KIND, f"{tenant_id}/{app_id}".lower())
    if found is None:
        return Consent()
    return Consent(bool(found["consented"]), tuple(found["graphPermissions"]))


def add_graph_permission(store: Store, tenant_id: str, app_id: str, permission: str) -> bool:
    """Grants the app's service principal in the tenant one more Graph application permission (an app role
    assignment); False when it held it already (compared ignoring case, as Entra compares permission names)."""
    now = consent_of(store, tenant_id, app_id)
    if permission.lower() in (held.lower() for held in now.graph_permissions):
        return False
    _save(store, tenant_id, app_id, Consent(now.consented, (*now.graph_permissions, permission)))
    return True


def remove_graph_permission(store: Store, tenant_id: str, app_id: str, permission: str) -> bool:
    """Takes a Graph application permission off the app's service principal in the tenant; False if it had none."""
    now = consent_of(store, tenant_id, app_id)
    kept = tuple(held for held in now.graph_permissions if held.lower() != permission.lower())
    if kept == now.graph_permissions:
        return False
    _save(store, tenant_id, app_id, Consent(now.consented, kept))
    return True


def service_principals(store: Store, tenant_id: str) -> set[str]:
    """The object ids of the service principals of the apps consented to in the tenant, and of the first-party ones."""
    prefix = f"{tenant_id}/".lower()
    return {
        principal_id(tenant_id, key[len(prefix) :]).lower()
        for key in store.keys(KIND, prefix)
        if (store.get(KIND, key) or {}).get("consented")
    } | {principal_id(tenant_id, app).lower() for app in FIRST_PARTY_APPS}


@dataclass(frozen=True)
class Registration:
    """An app registration as the provider's owner set it (`PUT /emulator/applications/{appId}`)."""

    graph_permissions: tuple[str, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    display_name: str = ""

    def document(self, app_id: str) -> dict[str, Any]:
        return {
            "appId": app_id,
            "displayName": self.display_name or app_id,
            "graphPermissions": list(self.graph_permissions),
            "redirectUris": list(self.redirect_uris),
        }


def registration_of(store: Store, app_id: str) -> Registration:
    found = store.get(APPLICATION, app_id.lower()) or {}
    return Registration(
        tuple(found.get("graphPermissions", ())),
        tuple(found.get("redirectUris", ())),
        str(found.get("displayName", "")),
    )


def requested_permissions(store: Store, app_id: str) -> tuple[str, ...]:
    return registration_of(store, app_id).graph_permissions


def administrator_upn(tenant_id: str) -> str:
    """The tenant's Global Administrator, whom `POST /emulator/token`'s tokens stand for, as they sign in: a user of
    the tenant's default domain, as the first administrator of a new Entra tenant is."""
    from azure_emulator.graph.tenant_information import default_domain  # the graph package imports this module

    return f"admin@{default_domain(tenant_id)}"


def _save(store: Store, tenant_id: str, app_id: str, consent: Consent) -> None:
    store.put(
        KIND,
        f"{tenant_id}/{app_id}".lower(),
        {"consented": consent.consented, "graphPermissions": list(consent.graph_permissions)},
    )


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
        app, body = request.params["app"], _object(request)
        now = registration_of(ctx.store, app)
        name = body.get("displayName", now.display_name)
        if not isinstance(name, str):
            raise ApiError(400, "InvalidRequestContent", "'displayName' must be a string.")
        changed = Registration(
            _strings(body, "graphPermissions", now.graph_permissions),
            _strings(body, "redirectUris", now.redirect_uris),
            name,
        )
        document = changed.document(app)
        ctx.store.put(
            APPLICATION,
            app.lower(),
            {key: document[key] for key in ("graphPermissions", "redirectUris")} | {"displayName": name},
        )
        return Response(200, document)

    @ctx.router.route("GET", registration, operation="emulatorControl", api="emulator", auth=False)
    def get_registration(request: Request) -> Response:
        app = request.params["app"]
        return Response(200, registration_of(ctx.store, app).document(app))

    consent_path = r"/(?P<tenant>[^/]+)/v2\.0/adminconsent"

    def refused(params: Mapping[str, str]) -> str | None:
        """Entra's error for a request it answers on its own page, never at the redirect URI."""
        app = params.get("client_id", "")
        if not app:
            return "AADSTS900144: The request body must contain the following parameter: 'client_id'."
        redirect = params.get("redirect_uri", "")
        if redirect not in registration_of(ctx.store, app).redirect_uris:
            return (
                f"AADSTS50011: The redirect URI '{redirect}' specified in the request does not match the "
                f"redirect URIs configured for the application '{app}'."
            )
        return None

    def resource_of(scope: str) -> str | None:
        from azure_emulator.graph.common import accepted_audiences  # the graph package imports this module

        resource = scope.removesuffix("/.default")
        return resource if scope.endswith("/.default") and resource in accepted_audiences(ctx) else None

    def granted(tenant: str, params: Mapping[str, str]) -> Consent:
        """Consent adds the registration's requested permissions to what the service principal held (granted by an
        app role assignment, or by an earlier consent), as Entra's consent creates the missing app role assignments
        and removes none. An app whose consent was revoked (its service principal deleted) held nothing."""
        app = params["client_id"]
        held = (
            consent_of(ctx.store, tenant, app).graph_permissions
            if has_service_principal(ctx.store, tenant, app)
            else ()
        )
        known = {permission.lower() for permission in held}
        added = tuple(p for p in requested_permissions(ctx.store, app) if p.lower() not in known)
        consent = Consent(True, (*held, *dict.fromkeys(added)))
        _save(ctx.store, tenant, app, consent)
        return consent

    def back(params: Mapping[str, str], **answer: str) -> Response:
        redirect = params["redirect_uri"]
        query = urlencode({**answer, "state": params.get("state", "")})
        return Response(302, None, {"Location": f"{redirect}{'&' if '?' in redirect else '?'}{query}"})

    def who_may_not_consent(tenant: str, upn: str) -> str | None:
        """Entra's refusal of `upn` at this tenant's admin consent, or None for its administrator."""
        if upn.lower() == administrator_upn(tenant):
            return None
        from azure_emulator.graph.directory_rows import UPN  # the graph package imports this module

        owners = {key.split("/", 1)[0] for key in ctx.store.keys(UPN) if key.split("/", 1)[1] == upn.lower()}
        if tenant.lower() in owners:
            return (
                f"AADSTS90094: {upn} is not an administrator of this organization: an administrator of "
                f"{tenant} must consent to the permissions this app asks for."
            )
        if owners or upn.lower().startswith("admin@"):
            return (
                f"AADSTS50020: User account '{upn}' from another tenant does not exist in tenant '{tenant}' "
                "and cannot consent for it."
            )
        return f"AADSTS50034: The user account {upn} does not exist in the {tenant} directory."

    def in_browser(request: Request, params: Mapping[str, str]) -> Response:
        problem = refused(params)
        if problem is not None:
            return consent_pages.refused(problem)
        scope = params.get("scope", "")
        if resource_of(scope) is None:
            return back(
                params,
                error="invalid_scope",
                error_description="AADSTS70011: The provided value for the "
                "input parameter 'scope' is not valid: app permissions are asked with /.default.",
            )
        tenant, app = request.params["tenant"], params["client_id"]
        action = f"/{tenant}/v2.0/adminconsent"
        forwarded = {key: params.get(key, "") for key in ("client_id", "redirect_uri", "scope", "state")}
        registration = registration_of(ctx.store, app)
        name = registration.display_name or app
        upn = params.get("username", "").strip()
        if request.method == "GET" or not upn:
            return consent_pages.sign_in(action, forwarded, app=name, administrator=administrator_upn(tenant))
        error = who_may_not_consent(tenant, upn)
        if error is not None:
            return consent_pages.sign_in(
                action, forwarded, app=name, administrator=administrator_upn(tenant), upn=upn, error=error
            )
        decision = params.get("decision")
        if decision == "accept":
            granted(tenant, params)
            return back(params, admin_consent="True", tenant=tenant, scope=scope)
        if decision == "cancel":
            return back(
                params,
                error="access_denied",
                error_subcode="cancel",
                error_description="AADSTS65004: User declined to consent to access the app.",
            )
        return consent_pages.consent(action, forwarded, app=name, upn=upn, permissions=registration.graph_permissions)

    def by_token(request: Request) -> Response:
        """A script signed in as the tenant's administrator: consent at once."""
        tenant, claims = request.params["tenant"], request.claims
        if claims is None:
            raise ApiError(401, "InvalidAuthenticationToken", "A valid bearer token is required.")
        if claims.get("idtyp") == "app" or str(claims.get("tid")) != tenant:
            raise ApiError(403, "AccessDenied", "Only an administrator of the tenant can grant admin consent.")
        if not request.q("client_id"):
            raise ApiError(400, "invalid_request", "AADSTS900144: The request must contain 'client_id'.")
        if request.q("redirect_uri") and refused(request.query) is not None:
            raise ApiError(400, "invalid_request", str(refused(request.query)))
        scope = request.q("scope") or ""
        if resource_of(scope) is None:
            raise ApiError(
                400,
                "invalid_scope",
                "AADSTS70011: Application permissions are requested with the "
                "resource's /.default scope (https://graph.microsoft.com/.default).",
            )
        consent = granted(tenant, request.query)
        if request.q("redirect_uri"):
            return back(request.query, admin_consent="True", tenant=tenant, scope=scope)
        return Response(200, consent.document(tenant, request.q("client_id") or ""))

    @ctx.router.route("GET", consent_path, operation="adminConsent", api="identity", auth=False)
    def admin_consent(request: Request) -> Response:
        if "authorization" in request.headers:
            return by_token(request)
        return in_browser(request, request.query)

    @ctx.router.route("POST", consent_path, operation="adminConsent", api="identity", auth=False, faults=False)
    def admin_consent_form(request: Request) -> Response:
        return in_browser(request, request.form())
