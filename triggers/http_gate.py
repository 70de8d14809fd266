"""The gate every route passes: the caller's token, its role on the route's tenant, and the audit of writes."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import azure.functions as func

from shared.errors import Conflict, Forbidden, NotFound
from shared.models.access import AuditRecord, Caller, ManagedIdentity, Role
from shared.models.base import is_guid
from shared.ports.bundles import AccessPorts, AuditPorts
from shared.services.access import audit
from shared.services.access import roles as access_service
from shared.services.access.audit import Target
from shared.services.backends.backend_choice import SERVED_ONLY_BY, backend_of
from triggers.http_access import Audience
from triggers.http_api import ROUTE_PARAM, Operation
from triggers.http_request import ApiRequest

log = logging.getLogger(__name__)
ORGANIZATION = "organization"  # the audit partition of what happens outside any tenant (a refused createTenant)


class TokenValidator(Protocol):
    def caller(self, authorization: str | None) -> Caller: ...

    def managed_identity(self, authorization: str | None, serves: Callable[[str], bool]) -> ManagedIdentity:
        """The Azure resource whose managed identity sent the token, from an Entra tenant the app `serves`."""
        ...


class OpenPassage:
    """A request nothing is audited for: reads, anonymous routes, validateOnly runs."""

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def leave(self, response: func.HttpResponse) -> func.HttpResponse:
        return response


@dataclass
class _Audited:
    """A write or action: its audit event is pending while the handler runs, and settled by its response."""

    ports: AuditPorts
    pending: AuditRecord
    capture: audit.Capture

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        with audit.recording(self.capture):
            yield

    def leave(self, response: func.HttpResponse) -> func.HttpResponse:
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        created_id = body.get("id") if isinstance(body, dict) and self.pending.resource_id is None else None
        try:
            audit.settle(
                self.ports,
                self.pending,
                self.capture,
                succeeded=response.status_code < 400,
                error_code=error.get("code") if isinstance(error, dict) else None,
                resource_id=created_id if isinstance(created_id, str) else None,
            )
        except Exception:
            # the pending event stays and is settled from what storage shows (audit.settle_interrupted)
            log.exception("The audit event %s could not be settled now", self.pending.id)
        return response


def _json(response: func.HttpResponse) -> Any:
    if response.mimetype != "application/json":
        return None
    try:
        return json.loads(response.get_body() or b"null")
    except ValueError:
        return None


def target_of(operation: Operation, req: ApiRequest) -> Target:
    """The tenant, resource type and resource id a route acts on, read from the route itself: a create acts on
    a new member of its last segment; anything else on the last collection named with an id
    (`.../cloudPCs/{cloudPcId}/reboot` acts on a cloud PC)."""
    parts = operation.route.split("/")
    resource_type, resource_id = "service", None
    if operation.name.startswith("create"):
        resource_type = _singular(parts[-1])
    else:
        for collection, following in itertools.pairwise(parts):
            param = ROUTE_PARAM.fullmatch(following)
            if param is not None and not ROUTE_PARAM.fullmatch(collection):
                resource_type, resource_id = _singular(collection), req.raw.route_params.get(param.group(1))
    tenant_id = req.raw.route_params.get("tenantId") or ORGANIZATION
    return Target(tenant_id=tenant_id, activity=operation.name, resource_type=resource_type, resource_id=resource_id)


def _singular(collection: str) -> str:
    if collection.endswith("ies"):
        return collection[:-3] + "y"
    return collection[:-1] if collection.endswith("s") else collection


@dataclass
class HttpGate:
    tokens: TokenValidator
    access: AccessPorts
    audit: AuditPorts

    def enter(self, operation: Operation, req: ApiRequest) -> Any:
        needed = operation.access
        if needed is Audience.ANYONE:
            return OpenPassage()
        if needed is Audience.SPOT_HOST:  # a VM, not a person: what it tells is on its group's timeline, not audited
            return self._managed_identity(req)
        caller = self.tokens.caller(req.raw.headers.get("authorization"))
        req.caller = caller
        audited = operation.method != "GET" and not _validate_only(req)
        if isinstance(needed, Role):
            # the route's tenant is read here, once (a GET's may be this process's read of a moment ago), and handed
            # to the handler: one that does not exist, or that the caller has no role on (its existence is not
            # revealed), is the 404 of every route under it
            tenant_id = req.param("tenantId")
            standing = access_service.standing(self.access, caller, tenant_id, only_reads=operation.method == "GET")
            if standing is None or not standing[0].covers(needed):
                refusal = (
                    NotFound.resource("Tenant", tenant_id, "tenantId")
                    if standing is None
                    else Forbidden(
                        f"This needs the {needed.value} role on the tenant; you are {standing[0].value}.",
                        code="forbidden",
                    )
                )
                if audited:
                    self._denied(caller, target_of(operation, req), refusal.code)
                raise refusal
            role, tenant = standing
            served_by = SERVED_ONLY_BY.get(operation.name)
            if served_by is not None and operation.name not in backend_of(tenant).serves:
                unserved = Conflict(
                    f"Tenant '{tenant_id}' has its Cloud PCs provisioned by {tenant.cloud_pc_backend}; "
                    f"{operation.name} is served for {served_by} tenants only. Nothing was changed.",
                    code="backendNotServed",
                    target="cloudPcBackend",
                )
                if audited:
                    self._denied(caller, target_of(operation, req), unserved.code)
                raise unserved
            req.role, req.tenant = role, tenant
        elif needed is Audience.ORGANIZATION_OWNER and not caller.organization_owner:
            if audited:
                self._denied(caller, target_of(operation, req), "forbidden")
            raise Forbidden("Only an organization owner may do this.", code="forbidden")
        if not audited:
            return OpenPassage()
        pending, capture = audit.begin(self.audit, caller, target_of(operation, req))
        return _Audited(self.audit, pending, capture)

    def _managed_identity(self, req: ApiRequest) -> OpenPassage:
        tenants = self.access.tenants
        identity = self.tokens.managed_identity(
            req.raw.headers.get("authorization"), lambda tid: tenants.find_tenant_by_entra_id(tid) is not None
        )
        tenant = tenants.find_tenant_by_entra_id(identity.entra_tenant_id)
        if tenant is None:  # unlinked in the moment between the two reads
            raise Forbidden("The token's tenant is not one this app serves.", code="forbidden")
        req.identity, req.tenant = identity, tenant
        return OpenPassage()

    def _denied(self, caller: Caller, target: Target, code: str) -> None:
        if target.tenant_id != ORGANIZATION and not is_guid(target.tenant_id):
            return  # not a tenant id at all: nothing to file it under
        try:
            audit.denied(self.audit, caller, target, code)
        except Exception:
            log.exception("A refused %s could not be audited", target.activity)


def _validate_only(req: ApiRequest) -> bool:
    return (req.query("validateOnly") or "").lower() == "true"
