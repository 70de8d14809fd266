"""Entra ID as the SDKs reach it: OpenID discovery, the v2.0 token endpoint and the App Service managed identity.

The server's root is the authority host (`AZURE_AUTHORITY_HOST=127.0.0.1:PORT`): MSAL and azure-identity build
`https://{host}/{tenant}/...` themselves. Tenant paths take a GUID, `common` or `organizations`, so they never
collide with `/arm`, `/graph`, `/keyvault`, `/msi` or `/emulator`.

- `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL's tenant discovery reads.
- `POST /{tenant}/oauth2/v2.0/token`: client credentials with a client secret (any non-empty secret is accepted:
  the emulator keeps no app registrations) or a client assertion, which must be a token this emulator issued for
  `api://AzureADTokenExchange` (a managed identity's, as a federated identity credential trusts). Other modules add
  grant types to `ctx.grants` (the sign-in page's `authorization_code` and `refresh_token`: `sign_in.py`).
- `GET /msi/token?api-version=2019-08-01&resource=...` with `X-IDENTITY-HEADER`: App Service's managed identity
  endpoint, what ManagedIdentityCredential calls when IDENTITY_ENDPOINT and IDENTITY_HEADER are set. The identity
  lives in the emulator's home tenant `HOME_TENANT_ID`; the header's value is the launcher's `IDENTITY_HEADER`
  (App Service makes one per app; here one fixed value). `GET /emulator/managedIdentity` describes the identity.
- `GET /{tenant}/discovery/v2.0/keys`: the development issuer's public keys (the same for every tenant, as Entra's
  are), which verify the user access tokens it signs for the app's own API. The emulator's ARM/Graph tokens are
  signed with a symmetric key that is never published: no one outside the emulator verifies those.
- `POST /emulator/userTokens` with `{"name", "tenantId"?, "audience"?, "lifetimeSeconds"?, "claims"?}`: a user's
  access token for the app's API (`APP_API_AUDIENCE` unless told), as Entra v2.0 would issue it; answers
  `{"accessToken", "expiresOn", "principalId", "tenantId", "issuer"}`. Not an Entra endpoint: a test or
  `make token` stands in for a user's sign-in with it.

Discovery, keys and the token endpoint answer browsers on any origin (CORS), as Entra's do for single-page apps.

Errors are OAuth's `{"error", "error_description", "error_codes"}` (what MSAL reads), not Graph's shape.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from azure_emulator.consent import consent_of
from azure_emulator.development_issuer import APP_API_AUDIENCE, HOME_TENANT_ID, LIFETIME_S, issuer_url
from azure_emulator.launcher import IDENTITY_HEADER, IDENTITY_PATH
from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.tokens import PUBLIC_GRAPH

MANAGED_IDENTITY_CLIENT_ID = "7e0e0a5e-3d1c-4c4f-9a7e-0000000000c1"
MANAGED_IDENTITY_PRINCIPAL_ID = "7e0e0a5e-3d1c-4c4f-9a7e-0000000000b1"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
TENANT = r"(?P<tenant>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|common|organizations)"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
USER_TOKEN_FIELDS = {"name", "tenantId", "audience", "lifetimeSeconds", "claims"}
MAX_USER_TOKEN_LIFETIME_S = 24 * 3600


def oauth_error(status: int, error: str, code: int, description: str) -> Response:
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return Response(status, body)


def audience_of(scope: str) -> str | None:
    """`https://graph.microsoft.com/.default` -> `https://graph.microsoft.com`; None if no scope is a `.default` one."""
    for item in scope.split():
        if item.endswith("/.default"):
            return item[: -len("/.default")]
    return None


def register(ctx: Context) -> None:
    r = ctx.router

    def openid_configuration(request: Request) -> Response:
        tenant = request.params["tenant"]
        base = f"{request.base_url}/{tenant}"
        issuer_tenant = "{tenantid}" if tenant in ("common", "organizations") else tenant
        return Response(
            200,
            {
                "issuer": issuer_url(request.base_url, issuer_tenant),
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
                "code_challenge_methods_supported": ["S256"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "emulator.local",
            },
        )

    for path in (
        rf"/{TENANT}/v2\.0/\.well-known/openid-configuration",
        rf"/{TENANT}/\.well-known/openid-configuration",
    ):
        r.route("GET", path, operation="openidConfiguration", api="identity", auth=False, faults=False, cors=True)(
            openid_configuration
        )

    @r.route("GET", rf"/{TENANT}/discovery/v2\.0/keys", operation="openidKeys", api="identity", auth=False, cors=True)
    def keys(request: Request) -> Response:
        return Response(200, ctx.users.jwks())

    @r.route(
        "POST",
        rf"/{TENANT}/oauth2/v2\.0/token",
        operation="acquireToken",
        api="identity",
        auth=False,
        faults=False,
        cors=True,
    )
    def token(request: Request) -> Response:
        ctx.controls.set_request_tenant(request.params["tenant"])  # a fault may be scoped to this tenant
        fault = ctx.controls.take_fault("acquireToken")
        if fault is not None:
            return oauth_error(fault.status, fault.error_code or "temporarily_unavailable", 50001, "Sign-in failed.")
        form = request.form()
        grant = ctx.grants.get(form.get("grant_type", ""))
        if grant is None:
            known = ", ".join(sorted(ctx.grants))
            return oauth_error(400, "unsupported_grant_type", 70003, f"The grant_type must be one of: {known}.")
        return grant(request, form)

    def client_credentials(request: Request, form: dict[str, str]) -> Response:
        tenant = request.params["tenant"]
        if tenant in ("common", "organizations"):
            return oauth_error(
                400, "invalid_request", 90009, "Use a tenant-specific endpoint for the client credentials flow."
            )
        client_id = form.get("client_id", "")
        if not client_id:
            return oauth_error(400, "invalid_request", 900144, "The request body must contain 'client_id'.")
        audience = audience_of(form.get("scope", ""))
        if audience is None:
            return oauth_error(
                400, "invalid_scope", 1002012, "Client credential flows must use a scope ending in /.default."
            )
        if form.get("client_assertion"):
            if form.get("client_assertion_type") != JWT_BEARER:
                return oauth_error(400, "invalid_request", 700027, "The client assertion type is not jwt-bearer.")
            claims = ctx.tokens.verify(form["client_assertion"])
            if claims is None or claims.get("aud") != TOKEN_EXCHANGE_AUDIENCE:
                return oauth_error(
                    401, "invalid_client", 700211, "No matching federated identity record found for the assertion."
                )
        elif not form.get("client_secret"):
            return oauth_error(
                401, "invalid_client", 7000218, "The request body must contain 'client_assertion' or 'client_secret'."
            )
        consent = consent_of(ctx.store, tenant, client_id)
        if not consent.consented:  # no service principal in the tenant: no admin has consented to the app
            return oauth_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen "
                "if the application has not been installed by the administrator of the tenant or consented to by "
                "any user in the tenant.",
            )
        extra: dict[str, Any] = {"idtyp": "app"}
        # a Graph token (by Graph's public name, or the emulator's own /graph) names the application permissions
        if audience.rstrip("/") == PUBLIC_GRAPH or audience.rstrip("/").endswith("/graph"):
            extra["roles"] = list(consent.graph_permissions)
        access_token, expires = ctx.tokens.issue(tenant, audience=audience, app_id=client_id, extra=extra)
        lifetime = max(0, expires - int(ctx.clock()))
        return Response(
            200,
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access_token},
        )

    ctx.grants["client_credentials"] = client_credentials

    @r.route("GET", IDENTITY_PATH, operation="acquireManagedIdentityToken", api="identity", auth=False, faults=False)
    def managed_identity_token(request: Request) -> Response:
        if request.headers.get("x-identity-header") != IDENTITY_HEADER:
            return Response(401, {"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or not valid."})
        resource = request.q("resource")
        if request.q("api-version") != "2019-08-01" or not resource:
            return Response(400, {"statusCode": 400, "message": "api-version 2019-08-01 and a resource are required."})
        client_id = request.q("client_id")
        if client_id and client_id != MANAGED_IDENTITY_CLIENT_ID:
            return Response(400, {"statusCode": 400, "message": "No managed identity with that client_id."})
        fault = ctx.controls.take_fault("acquireManagedIdentityToken")
        if fault is not None:
            return Response(fault.status, {"statusCode": fault.status, "message": "The sign-in failed."})
        audience = resource.removesuffix("/.default")
        access_token, expires = ctx.tokens.issue(
            HOME_TENANT_ID,
            audience=audience,
            object_id=MANAGED_IDENTITY_PRINCIPAL_ID,
            app_id=MANAGED_IDENTITY_CLIENT_ID,
            extra={"idtyp": "app", "sub": MANAGED_IDENTITY_PRINCIPAL_ID},
        )
        body: dict[str, Any] = {
            "access_token": access_token,
            "expires_on": str(expires),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": MANAGED_IDENTITY_CLIENT_ID,
        }
        return Response(200, body)

    @r.route("GET", r"/emulator/managedIdentity", operation="emulatorControl", api="emulator", auth=False)
    def managed_identity(request: Request) -> Response:
        """What a launcher puts in the app's environment so ManagedIdentityCredential finds the emulator."""
        return Response(
            200,
            {
                "identityEndpoint": f"{request.base_url}{IDENTITY_PATH}",
                "tenantId": HOME_TENANT_ID,
                "clientId": MANAGED_IDENTITY_CLIENT_ID,
                "principalId": MANAGED_IDENTITY_PRINCIPAL_ID,
                "authorityHost": request.base_url.removeprefix("https://").removeprefix("http://"),
            },
        )

    @r.route("POST", r"/emulator/userTokens", operation="emulatorControl", api="emulator", auth=False)
    def user_token(request: Request) -> Response:
        """A user's access token for the app's API, from the development issuer."""
        body = _user_token_request(request)
        tenant = body.get("tenantId", HOME_TENANT_ID)
        access_token, claims = ctx.users.issue(
            body["name"],
            base_url=request.base_url,
            tenant_id=tenant,
            audience=body.get("audience", APP_API_AUDIENCE),
            lifetime_s=body.get("lifetimeSeconds", LIFETIME_S),
            claims=body.get("claims"),
        )
        return Response(
            200,
            {
                "accessToken": access_token,
                "expiresOn": claims.get("exp"),  # None only when the caller removed `exp`
                "principalId": claims.get("oid"),
                "tenantId": claims.get("tid"),
                "issuer": claims.get("iss"),
            },
        )


def _user_token_request(request: Request) -> dict[str, Any]:
    """The body of `POST /emulator/userTokens`, checked; a 400 names the first field that is wrong."""

    def bad(message: str) -> ApiError:
        return ApiError(400, "InvalidRequestContent", message)

    body = request.json()
    if not isinstance(body, dict):
        raise bad("The body must be a JSON object.")
    unknown = sorted(set(body) - USER_TOKEN_FIELDS)
    if unknown:  # a misspelt option would otherwise be ignored and the token silently not what was asked for
        raise bad(f"Unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(USER_TOKEN_FIELDS))}.")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 64:
        raise bad("'name' is required: a string of 1 to 64 characters.")
    checked: dict[str, Any] = {"name": name}
    if body.get("tenantId") is not None:
        tenant = body["tenantId"]
        if not isinstance(tenant, str) or not GUID.match(tenant):
            raise bad("'tenantId' must be a GUID.")
        checked["tenantId"] = tenant.lower()
    if body.get("audience") is not None:
        if not isinstance(body["audience"], str) or not body["audience"]:
            raise bad("'audience' must be a non-empty string.")
        checked["audience"] = body["audience"]
    if body.get("lifetimeSeconds") is not None:
        lifetime = body["lifetimeSeconds"]
        if type(lifetime) is not int or not 1 <= lifetime <= MAX_USER_TOKEN_LIFETIME_S:  # not a bool either
            raise bad(f"'lifetimeSeconds' must be an integer from 1 to {MAX_USER_TOKEN_LIFETIME_S}.")
        checked["lifetimeSeconds"] = lifetime
    if body.get("claims") is not None:
        if not isinstance(body["claims"], dict):
            raise bad("'claims' must be an object (a claim set to null is left out of the token).")
        checked["claims"] = body["claims"]
    return checked
