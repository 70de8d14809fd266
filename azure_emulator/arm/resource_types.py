"""What ARM checks of a request against its resource type before a provider sees it: api-version, name, location.

One table, `TYPES`, holds per resource type the api-versions the emulator serves, the rule for a new resource's
name, and the regions the type is offered in (None: every region the emulator knows). `check` reads it for every
ARM route (`routing.route`). Each entry cites its source; where a fact could not be confirmed, the entry says so.

Sources of the api-version lists:
- the versions the app's pinned SDKs send (requirements.txt: azure-mgmt-compute 39.0.0 sends 2026-04-01 for the
  ComputeRP types, 2026-03-03 for galleries, 2026-03-02 for disks, 2021-07-01 for skus; azure-mgmt-network 33.1.0
  sends 2026-03-01; azure-mgmt-desktopvirtualization 2.0.0 sends 2024-04-03; azure-mgmt-authorization 4.0.0's
  v2022_04_01 sends 2022-04-01), and the versions the tests send;
- the stable api-version folders of Azure/azure-rest-api-specs (specification/compute/resource-manager/
  Microsoft.Compute/{ComputeRP,GalleryRP,DiskRP}/stable, specification/network/resource-manager/
  Microsoft.Network/stable, specification/desktopvirtualization/resource-manager/
  Microsoft.DesktopVirtualization/stable, specification/authorization/resource-manager/Microsoft.Authorization/
  stable). Not confirmed: that each list is complete. Azure may offer more versions (previews among them) than
  listed here, so a version missing here is refused by the emulator and may not be by Azure.
- Microsoft.Resources (resource groups): the list ARM itself printed in an InvalidApiVersionParameter answer
  (quoted in ansible-collections/azure issue 1739, 2024).

Errors (shapes as ARM prints them; the words are ARM's, not confirmed beyond the quoted samples):
- a resource provider's type with an api-version it does not offer: 400 NoRegisteredProviderFound, "No registered
  resource provider found for location '<l>' and API version '<v>' for type '<type>'. The supported api-versions
  are '<list>'. The supported locations are '<list>'." (samples in Azure/azure-cli issue 28496 and
  MicrosoftDocs/azure-docs articles/virtual-desktop/troubleshoot-powershell.md);
- ARM's own types (resource groups): 400 InvalidApiVersionParameter, "The api-version '<v>' is invalid. The supported
  versions are '<list>'.";
- a type outside its regions: 400 LocationNotAvailableForResourceType, "The provided location '<l>' is not available
  for resource type '<type>'. List of available regions for the resource type is '<list>'." (the AVD
  troubleshooting article above shows it for Microsoft.DesktopVirtualization/hostpools);
- a name breaking its type's rule: 400 InvalidResourceName. The Network provider's message is confirmed (quoted in
  rh-mobb/documentation PR 204); for the other types the code is assumed the same and the message states the rule
  of https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules in its own words.
Not confirmed: whether ARM checks the api-version before or after the caller's permission; the emulator checks it
after (`routing.route`), so an app without a role is refused as such whatever version it sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure_emulator.arm.regions import REGIONS
from azure_emulator.server import ApiError, Request

Versions = frozenset[str]


@dataclass(frozen=True)
class NameRule:
    """A new resource's name: `low`..`high` characters, matching `pattern` whole; `rule` says it in words."""

    low: int
    high: int
    pattern: str
    rule: str

    def refusal(self, name: str) -> str | None:
        if self.low <= len(name) <= self.high and re.fullmatch(self.pattern, name):
            return None
        return f"Resource name {name} is invalid. The name must be {self.low}-{self.high} characters: {self.rule}"


@dataclass(frozen=True)
class ResourceType:
    versions: Versions
    name: NameRule | None = None  # None: no rule checked (the type's names are not written by clients here)
    locations: frozenset[str] | None = None  # None: every region the emulator knows
    arm_native: bool = False  # answered by ARM itself (Microsoft.Resources), not by a resource provider


# ComputeRP stable folders, and the pinned SDK's 2026-04-01
COMPUTE: Versions = frozenset(
    {
        "2015-06-15",
        "2016-03-30",
        "2016-04-30-preview",
        "2017-03-30",
        "2017-12-01",
        "2018-04-01",
        "2018-06-01",
        "2018-10-01",
        "2019-03-01",
        "2019-07-01",
        "2019-12-01",
        "2020-06-01",
        "2020-12-01",
        "2021-03-01",
        "2021-04-01",
        "2021-07-01",
        "2021-11-01",
        "2022-03-01",
        "2022-08-01",
        "2022-11-01",
        "2023-03-01",
        "2023-07-01",
        "2023-09-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-04-01",
        "2026-04-01",
    }
)
# GalleryRP stable folders, and the pinned SDK's 2026-03-03
GALLERY: Versions = frozenset(
    {
        "2018-06-01",
        "2019-03-01",
        "2019-07-01",
        "2019-12-01",
        "2020-09-30",
        "2021-07-01",
        "2021-10-01",
        "2022-01-03",
        "2022-03-03",
        "2022-08-03",
        "2023-07-03",
        "2024-03-03",
        "2025-03-03",
        "2026-03-03",
    }
)
# DiskRP stable folders, the ComputeRP versions that still carried disks (up to 2018-10-01), and the SDK's 2026-03-02
DISK: Versions = frozenset(
    {
        "2016-04-30-preview",
        "2017-03-30",
        "2018-04-01",
        "2018-06-01",
        "2018-09-30",
        "2019-03-01",
        "2019-07-01",
        "2019-11-01",
        "2020-05-01",
        "2020-06-30",
        "2020-09-30",
        "2020-12-01",
        "2021-04-01",
        "2021-08-01",
        "2021-12-01",
        "2022-03-02",
        "2022-07-02",
        "2023-01-02",
        "2023-04-02",
        "2023-10-02",
        "2024-03-02",
        "2025-01-02",
        "2026-03-02",
    }
)
# ComputeRP's resourceSkus (skus.json) folders; the SDK sends 2021-07-01
SKUS: Versions = frozenset({"2017-03-30", "2017-09-01", "2019-04-01", "2021-07-01"})
# Network stable folders (a new one every few months), and the pinned SDK's 2026-03-01
NETWORK: Versions = frozenset(
    {
        "2015-06-15",
        "2016-03-30",
        "2016-06-01",
        "2016-07-01",
        "2016-08-01",
        "2016-09-01",
        "2016-10-01",
        "2016-11-01",
        "2016-12-01",
        "2017-03-01",
        "2017-04-01",
        "2017-06-01",
        "2017-08-01",
        "2017-09-01",
        "2017-10-01",
        "2017-11-01",
        "2018-01-01",
        "2018-02-01",
        "2018-04-01",
        "2018-06-01",
        "2018-07-01",
        "2018-08-01",
        "2018-10-01",
        "2018-11-01",
        "2018-12-01",
        "2019-02-01",
        "2019-04-01",
        "2019-06-01",
        "2019-07-01",
        "2019-08-01",
        "2019-09-01",
        "2019-11-01",
        "2019-12-01",
        "2020-03-01",
        "2020-04-01",
        "2020-05-01",
        "2020-06-01",
        "2020-07-01",
        "2020-08-01",
        "2020-11-01",
        "2021-02-01",
        "2021-03-01",
        "2021-05-01",
        "2021-08-01",
        "2022-01-01",
        "2022-05-01",
        "2022-07-01",
        "2022-09-01",
        "2022-11-01",
        "2023-02-01",
        "2023-04-01",
        "2023-05-01",
        "2023-06-01",
        "2023-09-01",
        "2023-11-01",
        "2024-01-01",
        "2024-03-01",
        "2024-05-01",
        "2024-07-01",
        "2024-10-01",
        "2025-01-01",
        "2026-03-01",
    }
)
# DesktopVirtualization stable folders; the pinned SDK sends 2024-04-03
AVD: Versions = frozenset({"2021-07-12", "2022-09-09", "2023-09-05", "2024-04-03"})
# Authorization stable folders for roleAssignments, roleDefinitions and permissions; the app sends 2022-04-01
AUTHORIZATION: Versions = frozenset({"2015-07-01", "2020-10-01", "2022-04-01"})
# Microsoft.ManagedServices stable folders (specification/managedservices/resource-manager/Microsoft.ManagedServices/
# stable); the app sends 2022-10-01
MANAGED_SERVICES: Versions = frozenset({"2019-06-01", "2019-09-01", "2022-10-01"})
# Quota stable folders (specification/quota/resource-manager/Microsoft.Quota/stable); the tests send 2023-02-01
QUOTA: Versions = frozenset({"2023-02-01", "2025-03-01"})
# ARM's own list (see the module's docstring)
RESOURCES: Versions = frozenset(
    {
        "2013-03-01",
        "2014-01-01",
        "2014-02-26",
        "2014-04",
        "2014-04-01",
        "2014-04-01-preview",
        "2015-01-01",
        "2015-11-01",
        "2016-02-01",
        "2016-06-01",
        "2016-07-01",
        "2016-09-01",
        "2017-03-01",
        "2017-05-01",
        "2017-05-10",
        "2017-06-01",
        "2017-08-01",
        "2017-12-01",
        "2018-01-01",
        "2018-02-01",
        "2018-05-01",
        "2018-06-01",
        "2018-07-01",
        "2018-08-01",
        "2018-09-01",
        "2018-11-01",
        "2019-03-01",
        "2019-05-01",
        "2019-05-10",
        "2019-06-01",
        "2019-07-01",
        "2019-08-01",
        "2019-09-01",
        "2019-10-01",
        "2019-11-01",
        "2020-01-01",
        "2020-05-01",
        "2020-06-01",
        "2020-07-01",
        "2020-08-01",
        "2020-09-01",
        "2020-10-01",
        "2021-01-01",
        "2021-04-01",
        "2022-01-01",
        "2022-03-01-preview",
        "2022-05-01",
        "2022-06-01",
        "2022-09-01",
        "2022-11-01-preview",
        "2022-12-01",
        "2023-03-01-preview",
        "2023-07-01",
        "2023-07-01-preview",
        "2024-03-01",
        "2024-06-01-preview",
        "2024-08-01",
    }
)

# Azure Virtual Desktop keeps a host pool's, application group's and workspace's metadata in the geography of the
# region it is created in, and only some regions take them: "Data locations for Azure Virtual Desktop",
# https://learn.microsoft.com/azure/virtual-desktop/data-locations (geographies Australia, Canada, Europe, India,
# Japan, United Kingdom, United States and their listed regions). Not confirmed from a stored copy of the current
# page: the copies that could be read list only the United States and Europe (2021), and an AVD error of 2020 lists
# the US regions eastus, eastus2, westus, westus2, northcentralus, southcentralus, westcentralus, centralus; the
# other geographies' regions are as the current page names them. Session hosts (VMs) may be in any region.
AVD_METADATA_REGIONS = frozenset(
    {
        "australiaeast",
        "canadacentral",
        "centralindia",
        "centralus",
        "eastus",
        "eastus2",
        "japaneast",
        "northcentralus",
        "northeurope",
        "southcentralus",
        "uksouth",
        "westcentralus",
        "westeurope",
        "westus",
        "westus2",
        "westus3",
    }
)

# Name rules of https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
WORD_NAME = NameRule(
    1,
    80,
    r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9]",
    "alphanumerics, underscores, periods and hyphens; it starts with an alphanumeric and ends with "
    "an alphanumeric or an underscore.",
)
# virtualMachines: the page's 1-15 (Windows) limit and character list are the computer name's (osProfile, checked
# by compute.py); the resource name takes up to 64 characters (the page's note). Which characters a VM resource name
# refuses is not confirmed: ARM's general refusals are checked (no / \ % & ? # and no trailing period or space).
VM_NAME = NameRule(
    1,
    64,
    r"[^/\\%&?#\s][^/\\%&?#]*(?<![.\s])|[^/\\%&?#.\s]",
    "no / \\ % & ? # characters, and it does not end with a period or a space.",
)
# galleries: alphanumerics, underscores and periods, no hyphens; starts and ends with an alphanumeric. (Older copies of
# the page list only alphanumerics and periods; the current page and the portal take underscores too.)
GALLERY_NAME = NameRule(
    1,
    80,
    r"[A-Za-z0-9]([A-Za-z0-9_.]*[A-Za-z0-9])?",
    "alphanumerics, underscores and periods; it starts and ends with an alphanumeric.",
)
# galleries/images: alphanumerics, underscores, hyphens and periods; starts and ends with an alphanumeric
GALLERY_IMAGE_NAME = NameRule(
    1,
    80,
    r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?",
    "alphanumerics, underscores, hyphens and periods; it starts and ends with an alphanumeric.",
)
# galleries/images/versions: numbers and periods, each of the three parts a 32-bit integer (Major.Minor.Patch)
GALLERY_VERSION_NAME = NameRule(
    5,
    32,
    r"(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})",
    "three whole numbers (each a 32-bit integer) joined by periods, as in 1.0.0.",
)
# DesktopVirtualization hostpools, applicationgroups, workspaces: 3-64; alphanumerics, underscores, periods and
# hyphens. Not confirmed which characters may start and end them: checked as the other word names (start with an
# alphanumeric, end with an alphanumeric or an underscore).
AVD_NAME = NameRule(3, 64, WORD_NAME.pattern, WORD_NAME.rule)

TYPES: dict[str, ResourceType] = {
    "microsoft.resources/subscriptions": ResourceType(RESOURCES, arm_native=True),
    "microsoft.resources/resourcegroups": ResourceType(RESOURCES, arm_native=True),
    "microsoft.resources/resources": ResourceType(RESOURCES, arm_native=True),
    "microsoft.compute/virtualmachines": ResourceType(COMPUTE, VM_NAME),
    "microsoft.compute/virtualmachines/extensions": ResourceType(COMPUTE),
    "microsoft.compute/virtualmachines/runcommands": ResourceType(COMPUTE),
    "microsoft.compute/images": ResourceType(COMPUTE, WORD_NAME),
    "microsoft.compute/disks": ResourceType(DISK),
    "microsoft.compute/skus": ResourceType(SKUS),
    "microsoft.compute/locations/usages": ResourceType(COMPUTE),
    # the VM image lists of a region (marketplace.py)
    "microsoft.compute/locations/publishers": ResourceType(COMPUTE),
    "microsoft.compute/locations/publishers/artifacttypes/offers": ResourceType(COMPUTE),
    "microsoft.compute/locations/publishers/artifacttypes/offers/skus": ResourceType(COMPUTE),
    "microsoft.compute/locations/publishers/artifacttypes/offers/skus/versions": ResourceType(COMPUTE),
    # the status URLs of every Compute operation, galleries' and disks' too, carry the operation's own api-version
    "microsoft.compute/locations/operations": ResourceType(COMPUTE | GALLERY | DISK),
    "microsoft.compute/locations/operationresults": ResourceType(COMPUTE | GALLERY | DISK),
    "microsoft.compute/galleries": ResourceType(GALLERY, GALLERY_NAME),
    "microsoft.compute/galleries/images": ResourceType(GALLERY, GALLERY_IMAGE_NAME),
    "microsoft.compute/galleries/images/versions": ResourceType(GALLERY, GALLERY_VERSION_NAME),
    "microsoft.network/virtualnetworks": ResourceType(NETWORK, NameRule(2, 64, WORD_NAME.pattern, WORD_NAME.rule)),
    "microsoft.network/virtualnetworks/subnets": ResourceType(NETWORK, WORD_NAME),
    "microsoft.network/networkinterfaces": ResourceType(NETWORK, WORD_NAME),
    "microsoft.network/locations/operations": ResourceType(NETWORK),
    "microsoft.network/locations/operationresults": ResourceType(NETWORK),
    "microsoft.desktopvirtualization/hostpools": ResourceType(AVD, AVD_NAME, AVD_METADATA_REGIONS),
    # session hosts are named by AVD at registration (<host pool>/<host name>), never written by a client here
    "microsoft.desktopvirtualization/hostpools/sessionhosts": ResourceType(AVD),
    # user sessions are made by users signing in, never by a client
    "microsoft.desktopvirtualization/hostpools/usersessions": ResourceType(AVD),
    "microsoft.desktopvirtualization/hostpools/sessionhosts/usersessions": ResourceType(AVD),
    "microsoft.desktopvirtualization/applicationgroups": ResourceType(AVD, AVD_NAME, AVD_METADATA_REGIONS),
    "microsoft.desktopvirtualization/workspaces": ResourceType(AVD, AVD_NAME, AVD_METADATA_REGIONS),
    "microsoft.authorization/roleassignments": ResourceType(AUTHORIZATION),
    "microsoft.authorization/roledefinitions": ResourceType(AUTHORIZATION),
    "microsoft.authorization/permissions": ResourceType(AUTHORIZATION),
    "microsoft.quota/quotas": ResourceType(QUOTA),
    "microsoft.managedservices/registrationdefinitions": ResourceType(MANAGED_SERVICES),
    "microsoft.managedservices/registrationassignments": ResourceType(MANAGED_SERVICES),
}


@dataclass(frozen=True)
class Target:
    """What a request's path addresses: its resource type (as ARM spells types), and the name it writes, if any."""

    type: str
    name: str | None
    location: str | None  # a `locations/<region>` segment of the path


def target_of(path: str) -> Target | None:
    """The resource type of an ARM path (without the `/arm` prefix), or None when it names no type.

    `.../providers/NS/t1/n1/t2/n2` is type NS/t1/t2 naming n2. A path ending in a bare segment lists the child type
    it names (`.../virtualMachines/vm/extensions`), or runs an action on its parent (`.../virtualMachines/vm/start`,
    type virtualMachines): the segment is a child type only when the table knows that type.
    """
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        at = len(lowered) - 1 - lowered[::-1].index("providers")
        rest = parts[at + 1 :]
        if not rest:
            return None
        namespace, segments = rest[0], rest[1:]
    elif len(parts) >= 3 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups":
        namespace, segments = "Microsoft.Resources", ["resourceGroups", *parts[3:4]]
        if len(parts) > 4 and lowered[4] == "resources":
            segments = ["resources"]
    elif lowered == ["subscriptions"]:
        namespace, segments = "Microsoft.Resources", ["subscriptions"]
    elif len(parts) >= 3 and lowered[0] == "subscriptions" and lowered[2] == "resources":
        namespace, segments = "Microsoft.Resources", ["resources"]
    else:
        return None
    types, name = [t for t in segments[0::2]], None
    location = next((segments[i + 1] for i, t in enumerate(segments[:-1]) if t.lower() == "locations"), None)
    if len(segments) % 2 == 0 and segments:
        name = segments[-1]
    elif len(types) > 1 and f"{namespace}/{'/'.join(types)}".lower() not in TYPES:
        types = types[:-1]  # an action on the resource before it
    return Target(f"{namespace}/{'/'.join(types)}", name, location)


def check(request: Request, location_of: Callable[[], str | None], group_exists: Callable[[], bool]) -> None:
    """Refuse what ARM refuses of this request for its type: an api-version the type does not offer; on a PUT into
    an existing resource group (a missing one is ResourceGroupNotFound first), a name that breaks the type's rule
    or a location outside the type's regions. `location_of()` is where the request acts (NoRegisteredProviderFound
    names it)."""
    target = target_of(request.path.removeprefix("/arm"))
    if target is None:
        return
    known = TYPES.get(target.type.lower())
    if known is None:
        return  # a type the emulator does not serve: its route answers (lists.py: 404)
    version = request.q("api-version") or ""
    if version not in known.versions:
        listed = sorted(known.versions, reverse=True)
        if known.arm_native:
            raise ApiError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are '{','.join(listed)}'.",
            )
        short_type = target.type.split("/", 1)[1]
        regions = ", ".join(sorted(known.locations or _every_region()))
        raise ApiError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location '{location_of() or 'global'}' and API "
            f"version '{version}' for type '{short_type}'. The supported api-versions are "
            f"'{', '.join(listed)}'. The supported locations are '{regions}'.",
        )
    if request.method != "PUT" or target.name is None or not group_exists():
        return
    if known.name is not None:
        refusal = known.name.refusal(target.name)
        if refusal is not None:
            raise ApiError(400, "InvalidResourceName", refusal, target=target.name)
    if known.locations is not None:
        body = _body(request)
        wanted = body.get("location") if isinstance(body, dict) else None
        if isinstance(wanted, str) and wanted.replace(" ", "").lower() not in known.locations:
            raise ApiError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{wanted}' is not available for resource type '{target.type}'. "
                f"List of available regions for the resource type is "
                f"'{','.join(sorted(known.locations))}'.",
            )


def _body(request: Request) -> Any:
    try:
        return request.json()
    except (ValueError, ApiError):
        return None  # the provider refuses a malformed body in its own words


def _every_region() -> tuple[str, ...]:
    return tuple(REGIONS)
