"""The admin portal and the API docs page: the built static files, and where the portal signs in."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

import azure.durable_functions as df
import azure.functions as func

from shared.models.base import ApiModel
from shared.services.access.onboarding import CONSENT_RETURN
from shared.settings import Settings
from triggers.http_api import Api
from triggers.http_request import ApiRequest
from triggers.http_responses import error_body, json_response, takes_gzip

PORTAL_BUILD = Path(__file__).resolve().parent.parent / "portal" / "dist"  # `make portal` writes it
DOCS_FOLDER = "docs"  # Swagger UI, copied from npm by the same build
HASHED_FOLDER = "assets"  # file names carry their content hash: cached for good
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


class PortalConfiguration(ApiModel):
    """What the portal needs before anyone signs in: the OpenID Connect authority, its client and the API scope."""

    authority: str
    client_id: str
    scope: str


def portal_configuration(settings: Settings) -> PortalConfiguration:
    """Derived from the API's own trust settings unless set: an Entra v2.0 issuer is also the authority to sign in
    at, and the portal asks for the scope of the first audience the API accepts (by its Application ID URI)."""
    authority = settings.portal_authority or next(iter(settings.issuers), "")
    client_id = settings.portal_client_id or settings.app_client_id or ""
    scope = settings.portal_scope or f"{application_id_uri(next(iter(settings.audiences), ''))}/access_as_user"
    return PortalConfiguration(authority=authority.rstrip("/"), client_id=client_id, scope=scope)


def application_id_uri(audience: str) -> str:
    """The URI a scope names the API by: a v2.0 audience is the bare client id, and a scope needs the API's
    Application ID URI, `api://<client id>` by default
    (https://learn.microsoft.com/entra/identity-platform/reference-app-manifest, `identifierUris`)."""
    return audience if "://" in audience or not audience else f"api://{audience}"


def content_security_policy(authority: str, *, docs: bool) -> str:
    """Scripts only from this origin; the browser may talk to the API and the sign-in authority, nothing else.
    Swagger UI styles itself inline, so the docs page allows inline styles; the portal does not need them."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authority)) if authority else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'" if docs else "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {origin}".strip(),
            f"form-action 'self' {origin}".strip(),
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def static_file(root: Path, path: str, req: func.HttpRequest, csp: str) -> func.HttpResponse:
    """A file under `root` (index.html for a folder), gzipped when the build left a .gz beside it and the browser
    takes gzip. Nothing outside `root` is ever read: the resolved path must stay under it."""
    if not path and not urlsplit(req.url).path.endswith("/"):
        # the pages name their files relatively: /api/portal must become /api/portal/ first
        return func.HttpResponse(status_code=308, headers={"Location": urlsplit(req.url).path + "/"})
    if not root.is_dir():
        return json_response(
            404, error_body("portalNotBuilt", "The portal is not built here: run `make portal` (make run does).")
        )
    wanted = (root / path.strip("/")).resolve()
    if wanted.is_dir():
        wanted = wanted / "index.html"
    if not wanted.is_relative_to(root.resolve()) or not wanted.is_file() or wanted.suffix == ".gz":
        return json_response(404, error_body("notFound", f"No portal file at /{path.strip('/')}."))
    headers = {
        "Content-Type": TYPES.get(wanted.suffix) or mimetypes.guess_type(wanted.name)[0] or "application/octet-stream",
        "Cache-Control": "public, max-age=31536000, immutable" if wanted.parent.name == HASHED_FOLDER else "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": csp,
        "Vary": "Accept-Encoding",
    }
    packed = wanted.with_name(wanted.name + ".gz")
    if packed.is_file() and takes_gzip(req.headers):
        headers["Content-Encoding"] = "gzip"
        return func.HttpResponse(packed.read_bytes(), status_code=200, headers=headers)
    return func.HttpResponse(wanted.read_bytes(), status_code=200, headers=headers)


def blueprint(api: Api, settings: Settings, build: Path = PORTAL_BUILD) -> df.Blueprint:
    bp = df.Blueprint()
    meta = api.section(bp, "Service")
    configuration = portal_configuration(settings)

    @meta.get(
        "portal/configuration",
        "getPortalConfiguration",
        "Where the admin portal signs in (OpenID Connect authority, client id, API scope)",
        response=PortalConfiguration,
    )
    def get_configuration(req: ApiRequest) -> PortalConfiguration:
        return configuration

    portal_csp = content_security_policy(configuration.authority, docs=False)
    docs_csp = content_security_policy(configuration.authority, docs=True)

    @bp.function_name("portalFiles")
    @bp.route(route="portal/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    def portal_files(req: func.HttpRequest) -> func.HttpResponse:
        path = req.route_params.get("path") or ""
        if path.strip("/") == CONSENT_RETURN:  # admin consent's answer, for the portal at its own address
            query = urlsplit(req.url).query
            return func.HttpResponse(status_code=303, headers={"Location": f"./{'?' + query if query else ''}"})
        return static_file(build, path, req, portal_csp)

    @bp.function_name("apiDocs")
    @bp.route(route="docs/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    def api_docs(req: func.HttpRequest) -> func.HttpResponse:
        return static_file(build / DOCS_FOLDER, req.route_params.get("path") or "", req, docs_csp)

    return bp
