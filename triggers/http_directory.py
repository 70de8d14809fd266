"""HTTP routes over a tenant's linked Entra directory (the group picker), and the rules every directory read shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import azure.durable_functions as df

from shared.errors import Conflict, NotFound, Unavailable
from shared.models.base import is_guid
from shared.models.directory import DirectoryGroup, DirectoryGroupList
from shared.models.tenants import Tenant
from shared.ports.cloud_errors import NO_CONSENT, NOT_LINKED, CloudError
from shared.ports.directory import Directory
from shared.ports.directory import DirectoryGroup as DirectoryGroupFound
from triggers.http_api import Api
from triggers.http_request import ApiRequest, QueryParam

DIRECTORY_GROUPS = "tenants/{tenantId}/directoryGroups"
DEFAULT_TOP, MAX_TOP = 25, 100  # enough for a picker's drop-down; a person narrows the search rather than pages
SEARCH = QueryParam(
    "search",
    "Only groups whose displayName starts with this text, in any case (as Microsoft Graph's startswith). "
    "Without it: the first groups by displayName.",
    {"type": "string", "maxLength": 100},
)
TOP = QueryParam(
    "top",
    f"How many groups at most, 1-{MAX_TOP} (default {DEFAULT_TOP}).",
    {"type": "integer", "minimum": 1, "maximum": MAX_TOP},
)
LOOKUP = (
    "A look-up for picking groups by name, not a listing of the directory: it answers at most `top` security "
    "groups of the tenant's linked Microsoft Entra tenant, by displayName, and never a nextLink (type more of the "
    "name to find others). 409 tenantNotLinked without an entraTenantId, appNotConsented before the customer's admin "
    "consented to the app; 503 directoryUnavailable when Microsoft "
    "Graph throttles or fails."
)


def require_linked(tenant: Tenant, needed_for: str) -> None:
    """A tenant without an entraTenantId has no directory to read: a state for the admin to fix (409)."""
    if not tenant.entra_tenant_id:
        raise Conflict(
            f"Tenant '{tenant.display_name}' is not linked to a Microsoft Entra tenant, so it has no {needed_for}; "
            "set its entraTenantId first.",
            code="tenantNotLinked",
            target="entraTenantId",
        )


@contextmanager
def reading_directory() -> Iterator[None]:
    """Graph throttled or failed: the caller can ask again shortly, it is not their input (503)."""
    try:
        yield
    except CloudError as exc:
        if exc.code in (NOT_LINKED, NO_CONSENT):  # a state for the admin to fix: error_response answers 409
            raise
        message = f"Microsoft Graph could not be read ({exc.code}): {exc}"
        raise Unavailable(message, code="directoryUnavailable") from exc


def blueprint(api: Api, directory: Directory) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Directory")

    @routes.get(
        DIRECTORY_GROUPS,
        "listDirectoryGroups",
        "Find the linked Entra tenant's security groups by name",
        description=LOOKUP,
        response=DirectoryGroupList,
        query=(SEARCH, TOP),
    )
    def list_directory_groups(req: ApiRequest) -> DirectoryGroupList:
        tenant = req.tenant
        require_linked(tenant, "groups to look up")
        top = int(req.query(TOP.name) or DEFAULT_TOP)  # check_query has held it to 1-MAX_TOP
        with reading_directory():
            found = directory.find_groups(tenant.id, req.query(SEARCH.name), top)
        return DirectoryGroupList(value=[_shown(g) for g in found])

    @routes.get(
        f"{DIRECTORY_GROUPS}/{{groupId}}",
        "getDirectoryGroup",
        "Name one group of the linked Entra tenant",
        description="One group by its object id, so a page can show its name where the app keeps only the id. 404 "
        "when the directory has no such group; 409 and 503 as for the look-up.",
        response=DirectoryGroup,
    )
    def get_directory_group(req: ApiRequest) -> DirectoryGroup:
        tenant = req.tenant
        require_linked(tenant, "groups to look up")
        group_id = req.param("groupId")
        with reading_directory():
            found = directory.get_group(tenant.id, group_id) if is_guid(group_id) else None
        if found is None:
            raise NotFound.resource("Group", group_id, "groupId")
        return _shown(found)

    return bp


def _shown(group: DirectoryGroupFound) -> DirectoryGroup:
    return DirectoryGroup(id=group.id, display_name=group.display_name, description=group.description)
