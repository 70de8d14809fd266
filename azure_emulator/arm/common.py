"""What every ARM resource provider shares: ids, the resource store, request bodies and lists (routing.py registers
routes and runs the checks every request goes through).

Resources are kept in the store kind `arm.resource`, keyed by the lower-cased ARM id (ARM names are
case-insensitive), as `{"resource": <the JSON ARM answers>, "meta": {...}}`. `meta` holds what ARM keeps
but does not show: the creating Entra tenant (`tid`), a pending operation, a VM's power state.

Errors are ARM's ErrorResponse, `{"error": {"code", "message"[, "target"]}}` (server.error_response). The model's
`details` and `additionalInfo` are optional (common-types ErrorDetail), and ARM leaves them out of its own refusals
(ResourceNotFound, ResourceGroupNotFound, AuthorizationFailed); some providers send an empty `details` list (the
Network provider's InvalidResourceReference, quoted in MicrosoftDocs/azure-docs issue 81734). The emulator sends no
`details`, so a client that needs them fails here rather than in Azure.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from azure_emulator.server import ApiError, Context, Request, Response

RESOURCE = "arm.resource"
SUB = r"/arm/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"
NAME = r"[^/]+"
BY_TYPE = "resourceType"  # the store's index of resources by their lower-cased type (arm.register adds it)
PAGE_SIZE = 1000  # ARM's page for most lists; `PUT /emulator/pageSize/{operation}` makes a smaller one

Doc = dict[str, Any]


def now_iso(clock: Callable[[], float]) -> str:
    return dt.datetime.fromtimestamp(clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def set_power(ctx: Context, vm: Doc, state: str) -> None:
    """Set a VM's power state and log when: Azure Monitor has a VM's metrics only for the times it ran."""
    vm["meta"]["power"] = state
    vm["meta"].setdefault("powerLog", []).append([ctx.clock(), state])


def type_of(doc: Doc) -> str:
    return str(doc["resource"]["type"]).lower()


def of_type(ctx: Context, resource_type: str, where: Callable[[Doc], bool] | None = None) -> list[Doc]:
    """Every resource of a type in every subscription, in id order: found by the index, where a scan of every
    resource would make each request's cost grow with every tenant's resources (Azure's does not)."""
    return ctx.store.find(RESOURCE, BY_TYPE, resource_type.lower(), where)


def key(resource_id: str) -> str:
    return resource_id.rstrip("/").lower()


def group_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def provider_id(sub: str, rg: str, namespace: str, *type_and_names: str) -> str:
    """`/subscriptions/s/resourceGroups/r/providers/Microsoft.X/type/name[/child/name...]`."""
    return f"{group_id(sub, rg)}/providers/{namespace}/" + "/".join(type_and_names)


def parent_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 2)[0]


def get(ctx: Context, resource_id: str) -> Doc | None:
    return ctx.store.get(RESOURCE, key(resource_id))


def put(ctx: Context, doc: Doc) -> Doc:
    return ctx.store.put(RESOURCE, key(doc["resource"]["id"]), doc)


def delete(ctx: Context, resource_id: str) -> bool:
    return ctx.store.delete(RESOURCE, key(resource_id))


def children(ctx: Context, parent_id: str, child_type: str) -> list[Doc]:
    """Direct children of `parent_id` of one type (`.../virtualMachines/vm` + `extensions`)."""
    prefix = f"{key(parent_id)}/{child_type.lower()}/"
    return ctx.store.scan(RESOURCE, prefix, where=lambda d: "/" not in key(d["resource"]["id"])[len(prefix) :])


def in_group(ctx: Context, sub: str, rg: str, namespace: str, resource_type: str) -> list[Doc]:
    return children(ctx, f"{group_id(sub, rg)}/providers/{namespace}", resource_type)


def require(ctx: Context, resource_id: str, kind: str = "Resource") -> Doc:
    """The resource, else 404: ResourceGroupNotFound when its group is missing too, as ARM answers."""
    doc = get(ctx, resource_id)
    if doc is None:
        parts = resource_id.strip("/").split("/")
        if len(parts) > 4 and parts[2].lower() == "resourcegroups":
            require_group(ctx, parts[1], parts[3])
        raise not_found(resource_id, kind)
    return doc


def not_found(resource_id: str, kind: str = "Resource") -> ApiError:
    name = resource_id.rstrip("/").rsplit("/", 1)[-1]
    return ApiError(404, "ResourceNotFound", f"The {kind} '{name}' ({resource_id}) was not found.")


def require_group(ctx: Context, sub: str, rg: str) -> Doc:
    doc = get(ctx, group_id(sub, rg))
    if doc is None:
        raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
    return doc


def body_object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    return body


def properties(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise ApiError(400, "InvalidRequestContent", "'properties' must be an object.")
    return props


def location_of(body: dict[str, Any], fallback: str | None = None) -> str:
    location = body.get("location") or fallback
    if not isinstance(location, str) or not location:
        raise ApiError(400, "LocationRequired", "The location property is required for this definition.")
    return location.replace(" ", "").lower()


def tid_of(request: Request) -> str:
    return request.tenant


def shown(doc: Doc) -> dict[str, Any]:
    """The resource as ARM shows it (a copy; meta never leaves the emulator)."""
    resource: dict[str, Any] = json.loads(json.dumps(doc["resource"]))
    return resource


def listing(ctx: Context, request: Request, docs: list[Doc], show: Callable[[Doc], dict[str, Any]] = shown) -> Response:
    """One page of `docs` in id order, with ARM's `nextLink` (the same query and a `$skiptoken`) when more follow.

    The token names the last id shown rather than an offset, so a resource created or deleted between two pages
    neither repeats nor hides another one.
    """
    ordered = sorted(docs, key=lambda d: key(d["resource"]["id"]))
    token = request.q("$skiptoken")
    if token:
        after = _decode(token)
        ordered = [d for d in ordered if key(d["resource"]["id"]) > after]
    size = ctx.controls.page_size(request.operation, PAGE_SIZE)
    page = ordered[:size]
    body: dict[str, Any] = {"value": [show(d) for d in page]}
    if len(ordered) > size:
        query = {k: v for k, v in request.query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = base64.urlsafe_b64encode(key(page[-1]["resource"]["id"]).encode()).decode().rstrip("=")
        body["nextLink"] = f"{request.base_url}{quote(request.path)}?{urlencode(query)}"
    return Response(200, body)


def _decode(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "InvalidParameter", "The $skiptoken is not one this list issued.") from None
