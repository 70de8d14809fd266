"""Builds the OpenAPI 3.1 document from the declared operations and their pydantic models."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.models.base import ApiModel, Review
from shared.models.json_schema import AppJsonSchema
from shared.services.backends.backend_choice import SERVED_ONLY_BY
from triggers.http_access import describe
from triggers.http_api import Operation
from triggers.http_request import VALIDATE_ONLY

CONSTRAINT = re.compile(r"\{(\w+)(?::[^}]*)?\??\}")
ERRORS = {
    "400": "Malformed JSON, wrong types or a broken rule; one detail per bad field.",
    "401": "No valid Entra ID access token (WWW-Authenticate says why).",
    "403": "The caller's role is too weak for this operation.",
    "404": "Unknown tenant or resource, or a tenant the caller holds no role on.",
    "409": "Conflicts with the current state (in use, duplicate, wrong status).",
    "412": "The If-Match etag is stale.",
    "413": "The body is larger than 1 MiB.",
    "415": "The body is not JSON.",
    "500": "Unexpected failure; the message names an incident id.",
    "503": "A service the app depends on (Storage, Azure, Graph, Key Vault, Entra) did not answer; the message names "
    "it and Retry-After says when to try again.",
}


class ErrorItem(ApiModel):
    code: str
    message: str
    target: str | None = None


class ErrorInfo(ErrorItem):
    details: list[ErrorItem] | None = None


class ErrorResponse(ApiModel):
    """The contract's error shape."""

    error: ErrorInfo


Mode = Literal["validation", "serialization"]
# path parameters whose shape is Azure's, not the app's own ids (those are looked up: an unknown one is 404)
PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "subscriptionId": {
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$",
    },
}


def build_openapi(operations: list[Operation], *, title: str, version: str) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], Mode]] = [(ErrorResponse, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
            if VALIDATE_ONLY in op.query and op.review:
                wanted.append((_review_of(op), "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(wanted)), ref_template="#/components/schemas/{model}", schema_generator=AppJsonSchema
    )

    def ref(model: type[BaseModel], mode: Mode) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": refs[(model, mode)]}}}

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        responses: dict[str, Any] = {}
        if op.response is not None:
            normal = ref(op.response, "serialization")
            responses[str(op.status)] = {"description": op.summary, **normal}
            if VALIDATE_ONLY in op.query and op.review:
                review = ref(_review_of(op), "serialization")
                if op.status == 200:  # same status either way: say which shape when
                    schema = {
                        "oneOf": [
                            normal["content"]["application/json"]["schema"],
                            review["content"]["application/json"]["schema"],
                        ]
                    }
                    review = {"content": {"application/json": {"schema": schema}}}
                responses["200"] = {
                    "description": f"{op.summary}; with validateOnly=true the review summary, nothing saved.",
                    **review,
                }
        else:
            responses[str(op.status)] = {"description": op.summary}
        for code, description in ERRORS.items():
            if (code == "412" and not op.conditional) or (code in ("413", "415") and op.body is None):
                continue
            if code in ("401", "403") and op.anonymous:
                continue
            responses[code] = {"description": description, **ref(ErrorResponse, "serialization")}
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(name, {"type": "string"})}
            for name in op.path_params
        ]
        parameters += [
            {
                "name": q.name,
                "in": "query",
                "required": q.required,
                "description": q.description,
                "schema": q.schema,
            }
            for q in op.query
        ]
        parameters += [
            {"name": h.name, "in": "header", "required": h.required, "description": h.description, "schema": h.schema}
            for h in op.headers
        ]
        responses.update(op.responses)
        if op.conditional:
            parameters.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": op.if_match_required,
                    "description": "The etag last read; the change is refused with 412 if it is stale.",
                    # required: blank is as good as left out (a 400), so the schema asks for something
                    "schema": {"type": "string", "pattern": r"\S"} if op.if_match_required else {"type": "string"},
                }
            )
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "description": " ".join(filter(None, (op.description, describe(op.access)))),
            "x-access": str(op.access),
            "tags": [op.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if op.name in SERVED_ONLY_BY:  # the portal offers it only on tenants of that backend
            entry["x-served-only-by"] = SERVED_ONLY_BY[op.name]
        if op.body is not None:
            entry["requestBody"] = {"required": True, **ref(op.body, "validation")}
        entry["security"] = [] if op.anonymous else [{"entraId": []}]
        paths.setdefault("/" + CONSTRAINT.sub(r"{\1}", op.route), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "entraId": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Microsoft Entra ID access token for this app (AUTH_AUDIENCE); locally, "
                    "`make token AS=<name>` prints one from the development issuer.",
                },
            },
        },
        "security": [{"entraId": []}],
    }


def _review_of(op: Operation) -> type[BaseModel]:
    """What `validateOnly=true` answers: the operation's own review model, or the review summary of its resource."""
    if isinstance(op.review, type):
        return op.review
    return Review[op.response]  # type: ignore[name-defined]
