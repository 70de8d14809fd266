"""Graph's throttling: what a request costs and the budgets it is charged against, as Microsoft publishes them.

Source of every number here: https://learn.microsoft.com/graph/throttling-limits ("Identity and access service
limits", and the global limit at the top of the page). The directory (Microsoft Entra) charges each request resource
units by its path and query options, and writes a write unit, against token buckets per app and tenant, per app,
and per tenant; the first budget that runs dry answers 429 with Retry-After. Each budget is a Controls throttle by
name, so `PUT /emulator/throttles/{name}` (`perMinute`, `burst`, in the budget's units) replaces it for tests.
Intune has budgets of its own (INTUNE_WRITES); routes outside both are held to the global limit only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from azure_emulator.graph.directory_rows import USER
from azure_emulator.server import ApiError, Context, Request

SOURCE = "https://learn.microsoft.com/graph/throttling-limits"
Service = Literal["identity", "intune", "other"]
Scope = Literal["app+tenant", "app", "tenant"]
Units = Literal["resource", "write", "request"]


@dataclass(frozen=True)
class Budget:
    name: str  # the Controls throttle: PUT /emulator/throttles/{name} replaces it
    scope: Scope
    units: Units
    amount: float
    window_s: float

    def rate(self) -> tuple[float, float]:
        """As Controls keeps a token bucket: refilled per minute, holding at most `amount`."""
        return self.amount * 60.0 / self.window_s, self.amount


# The app+tenant resource-unit budget depends on the tenant's size: (fewer users than this, units per 10 s);
# S is under 50 users, M 50 to 500, L above 500.
TENANT_SIZES: tuple[tuple[float, float], ...] = ((50, 3_500.0), (501, 5_000.0), (math.inf, 8_000.0))
RESOURCE_UNITS = "graph"  # the app+tenant resource-unit budget's name (the emulator's name for it since before)
IDENTITY_BUDGETS = (
    Budget("graphWrites", "app+tenant", "write", 3_000, 150),
    Budget("graphAppResourceUnits", "app", "resource", 150_000, 20),
    Budget("graphAppWrites", "app", "write", 70_000, 300),
    Budget("graphTenantWrites", "tenant", "write", 18_000, 300),
)
GLOBAL = Budget("graphGlobal", "app", "request", 2_000, 1)  # any Graph request, per app across all tenants
# Intune's writes: 200 per 20 s per app and tenant, as the emulator has held them (the Intune pages the source
# includes list limits per resource; this one budget is what the emulator models)
INTUNE_WRITES = Budget("graphIntuneWrites", "app+tenant", "write", 200, 20)

# Base costs by method and path after the version ({id}: one segment), (resource units, write units). The source's
# `me/` rows apply to `users/{id}/` too, as it says. Any identity request not listed costs 1 resource unit, and
# 1 write unit unless it is a GET.
BASE_COSTS: tuple[tuple[str, str, int, int], ...] = (
    ("GET", "applications", 2, 0),
    ("GET", "applications/{id}/extensionProperties", 2, 0),
    ("GET", "contracts", 3, 0),
    ("POST", "directoryObjects/getByIds", 3, 0),
    ("GET", "domains/{id}/domainNameReferences", 4, 0),
    ("POST", "getObjectsById", 3, 0),
    ("GET", "groups/{id}/members", 3, 0),
    ("GET", "groups/{id}/transitiveMembers", 5, 0),
    ("POST", "isMemberOf", 4, 0),
    ("POST", "(?:me|users/{id})/checkMemberGroups", 4, 0),
    ("POST", "(?:me|users/{id})/checkMemberObjects", 4, 0),
    ("POST", "(?:me|users/{id})/getMemberGroups", 2, 0),
    ("POST", "(?:me|users/{id})/getMemberObjects", 2, 0),
    ("GET", "(?:me|users/{id})/licenseDetails", 2, 0),
    ("GET", "(?:me|users/{id})/memberOf", 2, 0),
    ("GET", "(?:me|users/{id})/ownedObjects", 2, 0),
    ("GET", "(?:me|users/{id})/transitiveMemberOf", 2, 0),
    ("GET", "oauth2PermissionGrants", 2, 0),
    ("GET", "oauth2PermissionGrants/{id}", 2, 0),
    ("GET", "servicePrincipals/{id}/appRoleAssignments", 2, 0),
    ("GET", "subscribedSkus", 3, 0),
    ("GET", "users", 2, 0),
)
COSTS = tuple(
    (method, re.compile(path.replace("{id}", "[^/]+") + "/?", re.IGNORECASE), units, writes)
    for method, path, units, writes in BASE_COSTS
)
CHEAP_TOP = 20  # `$top` below this takes one unit off
VERSION_PREFIX = re.compile(r"^/graph/(?:v1\.0|beta)/")


def cost(request: Request) -> tuple[int, int]:
    """The identity request's (resource units, write units): its base cost, one less with `$select`, one more with
    `$expand`, one less with `$top` under CHEAP_TOP; never under 1. (The source's extra 4 for creating a user in an
    Azure AD B2C tenant does not arise: the emulator's tenants are not B2C.)"""
    path = VERSION_PREFIX.sub("", request.path)
    units, writes = 1, 0 if request.method == "GET" else 1
    for method, pattern, listed_units, listed_writes in COSTS:
        if method == request.method and pattern.fullmatch(path):
            units, writes = listed_units, listed_writes
            break
    if request.q("$select"):
        units -= 1
    if request.q("$expand"):
        units += 1
    top = request.q("$top")
    if top is not None and top.isdigit() and int(top) < CHEAP_TOP:
        units -= 1
    return max(1, units), writes


def resource_unit_budget(ctx: Context, tenant: str) -> Budget:

    users = len(ctx.store.keys(USER, f"{tenant}/"))
    amount = next(units for below, units in TENANT_SIZES if users < below)
    return Budget(RESOURCE_UNITS, "app+tenant", "resource", amount, 10)


def charge(ctx: Context, request: Request, service: Service) -> dict[str, str]:
    """Take the request's cost from every budget it falls under; the headers of an answered identity request
    (`x-ms-resource-unit`), or ApiError 429 with Retry-After and Graph's `x-ms-throttle-*` headers."""
    claims = request.claims or {}
    tenant, app = str(claims.get("tid")), str(claims.get("appid") or claims.get("azp"))
    charges: list[tuple[Budget, float]] = [(GLOBAL, 1.0)]
    headers: dict[str, str] = {}
    if service == "identity":
        units, writes = cost(request)
        headers["x-ms-resource-unit"] = str(units)
        budgets = (resource_unit_budget(ctx, tenant), *IDENTITY_BUDGETS)
        charges += [(b, float(units if b.units == "resource" else writes)) for b in budgets]
    elif service == "intune" and request.method != "GET":
        charges.append((INTUNE_WRITES, 1.0))
    for budget, amount in charges:
        if amount <= 0:
            continue
        key = {"app+tenant": f"{tenant}/{app}", "app": app, "tenant": tenant}[budget.scope]
        wait = ctx.controls.throttle(budget.name, key, budget.rate(), amount)
        if wait > 0:
            raise throttled(budget, app, tenant, wait)
    return headers


def throttled(budget: Budget, app: str, tenant: str, wait_s: float) -> ApiError:
    scope = {"app+tenant": "Tenant_Application", "app": "Application", "tenant": "Tenant"}[budget.scope]
    limit = {"resource": "ReadWrite", "write": "Write", "request": "ReadWrite"}[budget.units]
    reason = "WriteLimitExceeded" if budget.units == "write" else "ResourceUnitLimitExceeded"
    headers = {
        "Retry-After": str(max(1, math.ceil(wait_s))),
        "x-ms-throttle-scope": f"{scope}/{limit}/{app}/{tenant}",
        "x-ms-throttle-information": reason,
    }
    return ApiError(
        429,
        "TooManyRequests",
        "Too many requests: the application exceeded its request budget for this tenant. Retry later.",
        headers,
    )
