"""Users' sign-in for browser apps: Entra's v2.0 authorization code flow with PKCE, by the development issuer.

What a single-page app's OpenID Connect client (oidc-client-ts, MSAL.js) reaches at the authority:

- `GET /{tenant}/oauth2/v2.0/authorize?client_id&redirect_uri&response_type=code&scope&state&nonce&code_challenge
  &code_challenge_method=S256[&login_hint][&prompt][&response_mode=query]`: the sign-in page. There is no password:
  whoever is named is signed in, with the object id `user_object_id` derives from the name. The form posts back to
  the same path, which answers `302` to `redirect_uri?code=...&state=...`. `prompt=none` answers
  `error=login_required`: the emulator keeps no browser session a silent sign-in could use.
- `POST /{tenant}/oauth2/v2.0/token` with `grant_type=authorization_code` (`code`, `client_id`, `redirect_uri`,
  `code_verifier`) or `grant_type=refresh_token` (`refresh_token`, `client_id`, `scope`?): the user's access token
  for the scope's resource (the app's API when the scope names none), an `id_token` when `openid` was asked for and
  a `refresh_token` when `offline_access` was. Registered in `ctx.grants` beside identity's client credentials.
- `GET|POST /{tenant}/oauth2/v2.0/logout[?post_logout_redirect_uri&state]`: `302` back, or a signed-out page.

It only ever redirects to a loopback address: a request naming any other `redirect_uri` gets a 400 page, so codes
never leave the machine. `common` and `organizations` sign users into the emulator's home tenant. Codes and refresh
tokens (`authorizations.py`) live in this process's memory only: a restart signs everyone out.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode, urlsplit

from azure_emulator import directory_roles, sign_in_page
from azure_emulator.authorizations import Authorizations, SignedIn
from azure_emulator.development_issuer import (
    APP_API_AUDIENCE,
    APP_ID_URI,
    HOME_TENANT_ID,
    SCOPE,
    USERNAME_DOMAIN,
    user_object_id,
)
from azure_emulator.graph.directory_rows import UPN, USER
from azure_emulator.identity import TENANT, oauth_error
from azure_emulator.server import ApiError, Context, Request, Response

USER_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOOPBACK = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL of a SHA-256 digest, unpadded
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
GRAPH = "https://graph.microsoft.com"
# what the form carries back in hidden fields; login_hint and prompt only shape the page
FORWARDED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1: tokens and codes are not cached


def loopback_url(url: str) -> bool:
    """An absolute http(s) URL on 127.0.0.1, localhost or [::1], written so that every parser finds the same host:
    no user info, backslash, fragment, space, control or non-ASCII character (browsers and Python differ on those)."""
    if not url.isascii() or not url.isprintable() or any(ch in url for ch in " \\#"):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and LOOPBACK.fullmatch(parts.netloc) is not None


def resource_of(scope: str) -> tuple[str, str] | None:
    """The audience and `scp` of the access token `scope` asks for; None if it names more than one resource."""
    wanted: dict[str, list[str]] = {}
    for item in scope.split():
        if item.lower() in OIDC_SCOPES:
            continue
        resource, _, name = item.rpartition("/")
        wanted.setdefault(resource or GRAPH, []).append(name)  # Entra reads a bare "User.Read" as Graph's
    if len(wanted) > 1:
        return None
    if not wanted:
        return APP_API_AUDIENCE, SCOPE
    ((resource, names),) = wanted.items()
    # a v2.0 token for the app's API names its client id whether the scope named its Application ID URI or the id
    # (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, `aud`)
    audience = APP_API_AUDIENCE if resource.lower() in (APP_ID_URI.lower(), APP_API_AUDIENCE) else resource
    return audience, " ".join(name for name in names if name not in ("", ".default")) or SCOPE


def tenant_id_of(tenant: str) -> str:
    return HOME_TENANT_ID if tenant.lower() in ("common", "organizations") else tenant.lower()


def _unredirectable(params: Mapping[str, str]) -> str | None:
    """What makes a request one the emulator will not answer by redirecting to its redirect_uri."""
    if not params.get("client_id"):
        return "The request has no client_id."
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return "The request has no redirect_uri."
    if not loopback_url(redirect_uri):
        shown = redirect_uri if len(redirect_uri) <= 200 else redirect_uri[:200] + "..."
        return f"The redirect_uri {shown!r} is not an absolute http(s) URL on a loopback host."
    return None


def _invalid(params: Mapping[str, str]) -> tuple[str, str] | None:
    """The OAuth error and its description for a request whose redirect_uri is fine but something else is not."""
    if params.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be 'code': the authorization code flow."
    if params.get("response_mode", "query") != "query":
        return "invalid_request", "response_mode must be 'query'."
    if not params.get("scope", "").split():
        return "invalid_request", "The request must have a scope, e.g. 'openid profile offline_access'."
    if resource_of(params["scope"]) is None:
        return "invalid_scope", "The scope names more than one resource; ask for one resource's scopes at a time."
    if not params.get("code_challenge"):
        return "invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256."
    if params.get("code_challenge_method") != "S256":
        return "invalid_request", "code_challenge_method must be S256."
    if not S256_CHALLENGE.fullmatch(params["code_challenge"]):
        return "invalid_request", "code_challenge must be the 43-character BASE64URL of the verifier's SHA-256."
    return None


def _back(redirect_uri: str, state: str, **answer: str) -> Response:
    """A 302 to a checked, loopback `redirect_uri` with `answer` and the request's state added to its query."""
    if state:
        answer["state"] = state
    if not answer:
        return Response(302, None, {"Location": redirect_uri, **NO_STORE})
    separator = "" if redirect_uri.endswith(("?", "&")) else "&" if "?" in redirect_uri else "?"
    return Response(302, None, {"Location": f"{redirect_uri}{separator}{urlencode(answer)}", **NO_STORE})


def register(ctx: Context) -> None:
    r = ctx.router
    kept = Authorizations(ctx.clock)
    authorize_path = rf"/{TENANT}/oauth2/v2\.0/authorize"

    def authorize(request: Request, params: Mapping[str, str], posted: bool) -> Response:
        problem = _unredirectable(params)
        if problem is not None:
            return sign_in_page.refused(problem)
        redirect_uri, state = params["redirect_uri"], params.get("state", "")
        invalid = _invalid(params)
        if invalid is not None:
            return _back(redirect_uri, state, error=invalid[0], error_description=invalid[1])
        tenant = request.params["tenant"]
        action = f"/{tenant}/oauth2/v2.0/authorize"
        forwarded = {key: params[key] for key in FORWARDED if key in params}
        if not posted:
            if params.get("prompt") == "none":
                return _back(redirect_uri, state, error="login_required", error_description="The user must sign in.")
            hint = params.get("login_hint", "").removesuffix(f"@{USERNAME_DOMAIN}")
            return sign_in_page.sign_in(action, forwarded, hint)
        name = (params.get("principal") or params.get("username") or "").strip()
        if not USER_NAME.fullmatch(name):
            error = f"A user name is {sign_in_page.NAME_RULE}."
            return sign_in_page.sign_in(action, forwarded, name, error)
        signed_in = SignedIn(
            name=name,
            tenant_id=tenant_id_of(tenant),
            client_id=params["client_id"],
            scope=" ".join(params["scope"].split()),
            nonce=params.get("nonce", ""),
            since=ctx.clock(),
            session=secrets.token_urlsafe(16),
        )
        return _back(redirect_uri, state, code=kept.new_code(signed_in, redirect_uri, params["code_challenge"]))

    @r.route("GET", authorize_path, operation="authorize", api="identity", auth=False, faults=False)
    def show_sign_in(request: Request) -> Response:
        return authorize(request, request.query, posted=False)

    @r.route("POST", authorize_path, operation="authorize", api="identity", auth=False, faults=False)
    def sign_in(request: Request) -> Response:
        return authorize(request, request.form(), posted=True)

    def tokens(request: Request, signed_in: SignedIn, *, nonce: str, refresh: bool) -> Response:
        audience, scp = resource_of(signed_in.scope) or (APP_API_AUDIENCE, SCOPE)  # checked when it was asked for
        access_token, claims = ctx.users.issue(
            signed_in.name,
            base_url=request.base_url,
            tenant_id=signed_in.tenant_id,
            audience=audience,
            claims={"azp": signed_in.client_id, "scp": scp},
        )
        lifetime = int(claims["exp"]) - int(claims["iat"])
        body = {
            "token_type": "Bearer",
            "scope": signed_in.scope,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        }
        asked = signed_in.scope.lower().split()
        if "openid" in asked:
            # for the client itself: aud is its client_id and sub is pairwise for it, as in Entra's ID tokens
            identity = ctx.users.claims_for(
                signed_in.name,
                base_url=request.base_url,
                tenant_id=signed_in.tenant_id,
                audience=signed_in.client_id,
                claims={"azp": None, "azpacr": None, "scp": None, "nonce": nonce or None},
            )
            body["id_token"] = ctx.users.sign(identity)
        if refresh or "offline_access" in asked:
            body["refresh_token"] = kept.new_refresh_token(signed_in)
        return Response(200, body, dict(NO_STORE))

    def missing(form: Mapping[str, str], *names: str) -> Response | None:
        absent = next((name for name in names if not form.get(name)), None)
        if absent is None:
            return None
        return oauth_error(400, "invalid_request", 900144, f"The request body must contain '{absent}'.")

    def authorization_code(request: Request, form: dict[str, str]) -> Response:
        refused = missing(form, "code", "client_id", "redirect_uri", "code_verifier")
        if refused is not None:
            return refused
        found = kept.redeem_code(
            form["code"],
            tenant_id=tenant_id_of(request.params["tenant"]),
            client_id=form["client_id"],
            redirect_uri=form["redirect_uri"],
            verifier=form["code_verifier"],
        )
        if isinstance(found, tuple):
            return oauth_error(400, "invalid_grant", *found)
        return tokens(request, found, nonce=found.nonce, refresh=False)

    def refresh_token(request: Request, form: dict[str, str]) -> Response:
        refused = missing(form, "refresh_token", "client_id")
        if refused is not None:
            return refused
        found = kept.redeem_refresh_token(
            form["refresh_token"], tenant_id=tenant_id_of(request.params["tenant"]), client_id=form["client_id"]
        )
        if isinstance(found, tuple):
            return oauth_error(400, "invalid_grant", *found)
        scope = " ".join(form.get("scope", "").split())
        if scope:  # a refresh token may be spent on another resource's scopes, as Entra's may
            if resource_of(scope) is None:
                return oauth_error(400, "invalid_scope", 28000, "The scope names more than one resource.")
            found = replace(found, scope=scope)
        return tokens(request, found, nonce="", refresh=True)

    @r.route(
        "PUT",
        r"/emulator/tenants/(?P<tid>[^/]+)/signInUsers/(?P<name>[^/]+)",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def put_sign_in_user(request: Request) -> Response:
        """Puts the person the sign-in page signs in as `name` in the tenant's directory (their object id is the one
        their tokens carry), so that a role can be assigned to them as to any user of the tenant; the body's
        `directoryRoles` (Entra built-in role names, directory_roles.ROLES) are the directory roles they hold there,
        and a body without it leaves the ones they held."""
        tid, name = request.params["tid"].lower(), request.params["name"]
        if not USER_NAME.fullmatch(name):
            raise ApiError(400, "InvalidRequestContent", f"A user name is {sign_in_page.NAME_RULE}.")
        user_id, upn = user_object_id(name), f"{name}@{USERNAME_DOMAIN}"
        body = request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequestContent", "The body must be a JSON object.")
        roles = directory_roles.roles_of(ctx.store, tid, user_id)
        if "directoryRoles" in body:
            asked = body["directoryRoles"]
            named = asked if isinstance(asked, list) and all(isinstance(r, str) for r in asked) else None
            found = directory_roles.canonical(named) if named is not None else None
            if found is None:
                raise ApiError(
                    400,
                    "InvalidRequestContent",
                    "'directoryRoles' must be a list of the Entra built-in roles the emulator models: "
                    + ", ".join(directory_roles.ROLES)
                    + ".",
                )
            roles = found
        user = {
            "id": user_id,
            "displayName": name,
            "userPrincipalName": upn,
            "mailNickname": name,
            "accountEnabled": True,
            "assignedLicenses": [],
            "licenseAssignmentStates": [],
        }
        with ctx.store.transaction():
            ctx.store.put(UPN, f"{tid}/{upn.lower()}", {"id": user_id})
            ctx.store.put(USER, f"{tid}/{user_id}", user)
            directory_roles.set_roles(ctx.store, tid, user_id, roles)
        return Response(200, {"id": user_id, "userPrincipalName": upn, "directoryRoles": list(roles)})

    ctx.grants["authorization_code"] = authorization_code
    ctx.grants["refresh_token"] = refresh_token

    def logout(params: Mapping[str, str]) -> Response:
        target = params.get("post_logout_redirect_uri", "")
        if loopback_url(target):
            return _back(target, params.get("state", ""))
        return sign_in_page.signed_out(target or None)

    logout_path = rf"/{TENANT}/oauth2/v2\.0/logout"

    @r.route("GET", logout_path, operation="signOut", api="identity", auth=False, faults=False)
    def sign_out(request: Request) -> Response:
        return logout(request.query)

    @r.route("POST", logout_path, operation="signOut", api="identity", auth=False, faults=False)
    def sign_out_posted(request: Request) -> Response:
        return logout(request.form())
