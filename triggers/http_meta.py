"""HTTP routes about the service itself: health, OpenAPI document, service-plan catalog."""

from __future__ import annotations

import functools
import logging
import re

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import AzureError

from shared.bootstrap import APP_VERSION, Services
from shared.catalog.service_plans import SERVICE_PLANS, ServicePlan
from shared.models.base import ApiModel
from shared.models.languages import LANGUAGES
from shared.models.policies import LanguageChoice, LanguageList
from shared.models.regions import REGIONS
from shared.models.sites import Region, RegionList
from triggers.http_api import ROUTE_PARAM, Api
from triggers.http_request import ApiRequest
from triggers.http_responses import ApiResponse, FixedDocument, error_body, json_response
from triggers.openapi import build_openapi

log = logging.getLogger(__name__)


class Health(ApiModel):
    status: str
    storage: str
    version: str


class ServicePlanList(ApiModel):
    value: list[ServicePlan]


def blueprint(api: Api, services: Services) -> df.Blueprint:
    bp = df.Blueprint()
    meta = api.section(bp, "Service")

    @meta.get("health", "health", "Liveness and storage reachability", response=Health)
    def health(req: ApiRequest) -> ApiResponse:
        report = Health(status="ok", storage="ok", version=APP_VERSION)
        try:
            services.storage.ping()
        except AzureError as exc:
            log.warning("Health check: storage unreachable (%s)", type(exc).__name__)
            report = report.model_copy(update={"status": "unavailable", "storage": "unreachable"})
            return ApiResponse(503, report, {"Retry-After": "5"})
        return ApiResponse(200, report)

    # built on the first request, when every blueprint has declared its operations; the same until the code changes
    @functools.cache
    def document() -> FixedDocument:
        return FixedDocument.of(build_openapi(api.operations, title="Cloud PC provisioning API", version=APP_VERSION))

    @meta.get("openapi.json", "openApiDocument", "This API as an OpenAPI 3.1 document")
    def openapi(req: ApiRequest) -> func.HttpResponse:
        return document().answer(req.raw.headers)

    @meta.get("servicePlans", "listServicePlans", "Windows 365 plans and their VM sizes", response=ServicePlanList)
    def service_plans(req: ApiRequest) -> ServicePlanList:
        return ServicePlanList(value=list(SERVICE_PLANS))

    @meta.get(
        "regions",
        "listRegions",
        "Azure regions Windows 365 supports, by display name and geography",
        response=RegionList,
    )
    def regions(req: ApiRequest) -> RegionList:
        ordered = sorted(REGIONS.items(), key=lambda item: (item[1][1], item[1][0]))
        return RegionList(value=[Region(name=n, display_name=d, geography=g) for n, (d, g) in ordered])

    @meta.get(
        "languages", "listLanguages", "Languages Windows 365 sets Cloud PCs up in, by name", response=LanguageList
    )
    def languages(req: ApiRequest) -> LanguageList:
        ordered = sorted(LANGUAGES.items(), key=lambda item: item[1])
        return LanguageList(value=[LanguageChoice(locale=tag, display_name=name) for tag, name in ordered])

    @bp.function_name("unmatchedRoute")
    @bp.route(route="{*path}", methods=list(ANY_METHOD), auth_level=func.AuthLevel.ANONYMOUS)
    def unmatched(req: func.HttpRequest) -> func.HttpResponse:
        """What no operation serves, in the contract's error shape (the host's own answers have no body): 405 with
        the methods the path has, or 404. The host routes here last: a catch-all never shadows an operation."""
        path = "/" + (req.route_params.get("path") or "").strip("/")
        allowed = sorted({op.method for op in api.operations if _route_pattern(op.route).fullmatch(path)})
        if allowed:
            body = error_body("methodNotAllowed", f"{req.method} is not served on {path}; use {', '.join(allowed)}.")
            return json_response(405, body, {"Allow": ", ".join(allowed)})
        return json_response(404, error_body("notFound", f"No operation is served at {path}; see /api/openapi.json."))

    return bp


ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _route_pattern(route: str) -> re.Pattern[str]:
    return re.compile("/" + ROUTE_PARAM.sub("[^/]+", route))
