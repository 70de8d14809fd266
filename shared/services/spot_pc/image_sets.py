"""Image sets as admins manage them, one aggregate: create one from a marketplace image, edit it, add versions,
ask for a capture, delete.

A version is saved before its set points at it, and each save is conditional (create-only, or on the etag read),
so two admins adding versions at once get two numbers, never one version twice. Building a version is the
`build_image_version` orchestration's work (shared/services/spot_pc/image_builds.py); this module only records.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, PreconditionFailed, ValidationFailed
from shared.models.image_sets import (
    FIRST_VERSION,
    VERSION_UNDER_WAY,
    CustomizationScript,
    ImageSet,
    ImageSetCreate,
    ImageSetUpdate,
    ImageSetVersion,
    ImageSetVersionCreate,
)
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun
from shared.models.sites import Site
from shared.ports.configuration_ports import MarketplacePorts
from shared.ports.new_records import NewRecordPorts
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupStore
from shared.ports.stores import SiteStore
from shared.services.engine.updates import merge_patch, update_with_etag
from shared.services.spot_pc.marketplace_images import images_in
from shared.services.spot_pc.spot_pc_transitions import (
    IMAGE_SET_VERSIONS,
    IMAGE_SETS,
    ImageSetAction,
    VersionAction,
)

ATTEMPTS = 5  # a version number taken by a concurrent request is tried again with the next one
# a build or removal with no write for this long may have lost its orchestration: the resume sweep starts it
# again, a no-op while it runs, so this bounds only how often a slow one (a global replication) is looked at
QUIET = timedelta(minutes=10)


class ImageSetPorts(NewRecordPorts, MarketplacePorts, Protocol):
    """A tenant's image sets, kept in its sites from the marketplace images offered there, and the Spot Groups that
    hold their versions."""

    @property
    def image_sets(self) -> ImageSetStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...


def create_image_set(
    ports: ImageSetPorts, tenant_id: str, data: ImageSetCreate, *, dry_run: bool = False
) -> tuple[ImageSet, ImageSetVersion]:
    """The set and its version 0.0.0, to be built straight from the marketplace image, which must be offered in
    the region of the site it is built in."""
    home, regions = _home_and_regions(ports, tenant_id, data)
    if data.source_image_id.lower() not in {image.id for image in images_in(ports, tenant_id, home)}:
        raise ValidationFailed.of(
            ErrorDetail(
                "referenceNotFound",
                f"'{data.source_image_id}' is not a marketplace image this service offers in {home.region_name}; "
                "see marketplaceImages.",
                "sourceImageId",
            )
        )
    now = ports.clock()
    image_set = ImageSet(
        id=ports.new_id(),
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        display_name=data.display_name,
        description=data.description,
        site_id=data.site_id,
        global_=data.global_,
        home_site_id=home.id,
        source_image_id=data.source_image_id,
        notes=data.notes,
        latest_version=FIRST_VERSION,
    )
    version = _new_version(image_set, FIRST_VERSION, None, regions, data.notes, now=now)
    if dry_run:
        return image_set, version
    version = ports.image_sets.put_version(version, if_none_match=True)
    return ports.image_sets.put_image_set(image_set, if_none_match=True), version


def _home_and_regions(ports: ImageSetPorts, tenant_id: str, data: ImageSetCreate) -> tuple[Site, list[str]]:
    """The site a set is built and kept in, and the regions its versions are replicated to: its site's region,
    or for a global set every region the tenant has a site in (the home site's first)."""
    if data.site_id is not None:
        site = ports.sites.find_site(tenant_id, data.site_id)
        if site is None:
            raise ValidationFailed.of(
                ErrorDetail("referenceNotFound", f"Site '{data.site_id}' does not exist in this tenant.", "siteId")
            )
        return site, [site.region_name]
    sites = sorted(ports.sites.list_all_sites(tenant_id), key=lambda s: (s.created_date_time, s.id))
    if not sites:
        raise ValidationFailed.of(
            ErrorDetail(
                "referenceNotFound", "A global image set is built in one of the tenant's sites; add a site.", "global"
            )
        )
    return sites[0], list(dict.fromkeys(s.region_name for s in sites))


def _new_version(
    image_set: ImageSet,
    number: str,
    base: str | None,
    regions: list[str],
    notes: str | None,
    *,
    now: datetime,
    scripts: list[CustomizationScript] | None = None,
) -> ImageSetVersion:
    return ImageSetVersion(
        id=number,
        tenant_id=image_set.tenant_id,
        image_set_id=image_set.id,
        version=number,
        created_date_time=now,
        last_modified_date_time=now,
        notes=notes,
        base_version=base,
        regions=regions,
        customization_scripts=scripts or [],
    )


def update_image_set(
    ports: ImageSetPorts,
    tenant_id: str,
    image_set_id: str,
    patch: ImageSetUpdate,
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> ImageSet:
    return update_with_etag(
        lambda: ports.image_sets.get_image_set(tenant_id, image_set_id),
        lambda current: merge_patch(current, patch, ImageSetUpdate, ports.clock()),
        lambda changed, etag: ports.image_sets.put_image_set(changed, if_match=etag),
        if_match=if_match,
        dry_run=dry_run,
    )


def create_version(
    ports: ImageSetPorts, tenant_id: str, image_set_id: str, data: ImageSetVersionCreate, *, dry_run: bool = False
) -> ImageSetVersion:
    """The set's next version (0.0.1 after 0.0.0), built from `base_version` (default: the newest ready one)."""
    for _ in range(ATTEMPTS):
        image_set = ports.image_sets.get_image_set(tenant_id, image_set_id)
        if image_set.status == "deleting":
            raise Conflict("The image set is being deleted.", code="wrongStatus", target="imageSetId")
        versions = ports.image_sets.list_versions(tenant_id, image_set_id)
        base = _base_of(versions, data.base_version)
        number = next_version(versions)
        regions = _regions_now(ports.sites, image_set, base)
        version = _new_version(
            image_set, number, base.version, regions, data.notes, now=ports.clock(), scripts=data.customization_scripts
        )
        if dry_run:
            return version
        try:
            version = ports.image_sets.put_version(version, if_none_match=True)
        except Conflict:
            continue  # another request took this number: count again
        _point_set_at(ports.image_sets, tenant_id, image_set_id, version)
        # a delete of the set may have marked it since it was read above (see delete_image_set): this version goes
        if ports.image_sets.get_image_set(tenant_id, image_set_id).status == "deleting":
            ports.image_sets.delete_version(tenant_id, image_set_id, version.version)
            raise Conflict("The image set is being deleted.", code="wrongStatus", target="imageSetId")
        return version
    raise Conflict("Versions kept being added while this one was; try again.", code="conflict")


def next_version(versions: list[ImageSetVersion]) -> str:
    """One patch number up from the highest version (versions are Major.Minor.Patch)."""
    highest = max((tuple(int(p) for p in v.version.split(".")) for v in versions), default=None)
    if highest is None:
        return FIRST_VERSION
    major, minor, patch = highest
    return f"{major}.{minor}.{patch + 1}"


def _base_of(versions: list[ImageSetVersion], wanted: str | None) -> ImageSetVersion:
    if wanted is not None:
        base = next((v for v in versions if v.version == wanted), None)
        if base is None:
            raise ValidationFailed.of(
                ErrorDetail("referenceNotFound", f"Version {wanted} does not exist in this image set.", "baseVersion")
            )
        if base.status != "ready":
            raise Conflict(
                f"Version {wanted} is {base.status}; a new version builds on a ready one.",
                code="wrongStatus",
                target="baseVersion",
            )
        return base
    ready = [v for v in versions if v.status == "ready"]
    if not ready:
        raise Conflict(
            "No version of this image set is ready yet to build on; wait for one, or fix the failed one.",
            code="wrongStatus",
            target="baseVersion",
        )
    return max(ready, key=lambda v: tuple(int(p) for p in v.version.split(".")))


def _regions_now(sites: SiteStore, image_set: ImageSet, base: ImageSetVersion) -> list[str]:
    """A global set follows the tenant's sites as they are when a version is made; a site's set stays put."""
    if not image_set.global_:
        return base.regions
    home = sites.find_site(image_set.tenant_id, image_set.home_site_id)
    ordered = sorted(sites.list_all_sites(image_set.tenant_id), key=lambda s: (s.created_date_time, s.id))
    regions = [home.region_name] if home else base.regions[:1]
    return list(dict.fromkeys([*regions, *(s.region_name for s in ordered)]))


def _point_set_at(store: ImageSetStore, tenant_id: str, image_set_id: str, version: ImageSetVersion) -> None:
    """The set's latest version becomes `version` unless a newer one got there first."""
    key = tuple(int(p) for p in version.version.split("."))
    for _ in range(ATTEMPTS):
        image_set = store.get_image_set(tenant_id, image_set_id)
        if image_set.status == "deleting" or tuple(int(p) for p in image_set.latest_version.split(".")) > key:
            return
        changed = IMAGE_SETS.move(image_set, "follow", version.status, latest_version=version.version)
        try:
            store.put_image_set(changed, if_match=image_set.etag)
            return
        except PreconditionFailed:
            continue


def record_status(
    store: ImageSetStore, version: ImageSetVersion, action: VersionAction, **fields: object
) -> ImageSetVersion:
    """Save a version after `action` (on the etag read), and its set's status when it is the set's latest."""
    changed = IMAGE_SET_VERSIONS.move(version, action, **fields)
    saved = store.put_version(changed, if_match=version.etag)
    image_set = store.find_image_set(version.tenant_id, version.image_set_id)
    if image_set is not None and image_set.latest_version == version.version:
        _point_set_at(store, version.tenant_id, version.image_set_id, saved)
    return saved


def record_set_status(store: ImageSetStore, image_set: ImageSet, action: ImageSetAction) -> ImageSet:
    """A set's own status: `deleting` while it is removed, or `failed` when its removal failed."""
    return store.put_image_set(IMAGE_SETS.move(image_set, action), if_match=image_set.etag)


def request_capture(ports: ImageSetPorts, tenant_id: str, image_set_id: str, number: str) -> ImageSetVersion:
    """The admin has customized the build VM: `capturing` now, so a second request is refused (409)."""
    version = ports.image_sets.get_version(tenant_id, image_set_id, number)
    if version.status != "awaitingCustomization":
        raise Conflict(
            f"Version {number} is {version.status}; only a version awaiting customization can be captured.",
            code="wrongStatus",
            target="version",
        )
    try:
        return record_status(ports.image_sets, version, "capture")
    except PreconditionFailed:
        raise Conflict(
            f"Version {number} changed meanwhile; read it again.", code="wrongStatus", target="version"
        ) from None


def _refuse_under_way(versions: list[ImageSetVersion], what: str) -> None:
    """A version being built or removed has Azure work under way that needs its records until it ends."""
    busy = [v for v in versions if v.status in VERSION_UNDER_WAY]
    if busy:
        raise Conflict(
            f"Version {busy[0].version} is {busy[0].status}; {what} once it is ready or failed.",
            code="wrongStatus",
            target="version",
        )


def delete_version(
    ports: ImageSetPorts, tenant_id: str, image_set_id: str, number: str, *, if_match: str | None
) -> tuple[ImageSetVersion, ImageRemovalRun | None]:
    """Remove a version: at once when it never got a gallery image, else `deleting` while the removal runs.

    The set's latest version stays (a new number is always one up from it, so no number is used twice), and so
    does the base a build may still start from: add a newer version first, or delete the whole set.
    """
    image_set = ports.image_sets.get_image_set(tenant_id, image_set_id)
    version = ports.image_sets.get_version(tenant_id, image_set_id, number)
    if if_match and if_match != "*" and version.etag != if_match:
        raise PreconditionFailed.stale("Image set version", number)
    _refuse_under_way([version], "delete it")
    users = [g.name for g in ports.spot_groups.using_image_set(tenant_id, image_set_id) if g.image_version == number]
    if users:
        raise Conflict(
            f"Version {number} is used by the Spot Group '{users[0]}'; move it to another version first.",
            code="inUse",
            target="version",
        )
    if image_set.status == "deleting":
        raise Conflict("The image set is being deleted.", code="wrongStatus", target="imageSetId")
    if number == image_set.latest_version:
        raise Conflict(
            f"Version {number} is the set's latest; add a newer version first, or delete the image set.",
            code="wrongStatus",
            target="version",
        )
    if version.image_version_id is None:  # nothing of it in Azure: the build VM went when its build ended
        ports.image_sets.delete_version(tenant_id, image_set_id, number)
        return version, None
    deleting = ports.image_sets.put_version(IMAGE_SET_VERSIONS.move(version, "delete"), if_match=version.etag)
    return deleting, ImageRemovalRun(tenant_id=tenant_id, image_set_id=image_set_id, version=number)


def delete_image_set(
    ports: ImageSetPorts, tenant_id: str, image_set_id: str, *, if_match: str | None
) -> tuple[ImageSet, ImageRemovalRun]:
    """`deleting` while its gallery image versions and definition are removed; then its records go."""
    image_set = ports.image_sets.get_image_set(tenant_id, image_set_id)
    if if_match and if_match != "*" and image_set.etag != if_match:
        raise PreconditionFailed.stale("Image set", image_set_id)
    users = ports.spot_groups.using_image_set(tenant_id, image_set_id)
    if users:
        raise Conflict(
            f"The Spot Group '{users[0].name}' uses a version of this image set; move it first.",
            code="inUse",
            target="imageSetId",
        )
    versions = ports.image_sets.list_versions(tenant_id, image_set_id)
    _refuse_under_way(versions, "delete the set")
    deleting = IMAGE_SETS.move(image_set, "delete", last_modified_date_time=ports.clock())
    deleting = ports.image_sets.put_image_set(deleting, if_match=image_set.etag)
    # listed again after the mark: a version added meanwhile is either seen here or sees the mark and goes
    # (create_version), so no build starts in a set being removed
    versions = ports.image_sets.list_versions(tenant_id, image_set_id)
    try:
        _refuse_under_way(versions, "delete the set")
    except Conflict:
        ports.image_sets.put_image_set(image_set.model_copy(update={"etag": None}), if_match=deleting.etag)
        raise
    with_image = [v.version for v in versions if v.image_version_id is not None]
    return deleting, ImageRemovalRun(tenant_id=tenant_id, image_set_id=image_set_id, versions=with_image)


def unfinished_work(ports: ImageSetPorts, *, quiet_since: datetime) -> list[ImageBuildRun | ImageRemovalRun]:
    """The builds and removals to start again: each saved before its orchestration was started, so a crash
    between the two leaves one `building` or `deleting` with nothing running. Starting one under way is a no-op
    (one instance per version or set); one that finished without recording its end starts afresh, its phases
    being idempotent."""
    sets, versions = ports.image_sets.list_quiet(quiet_since, VERSION_UNDER_WAY)
    runs: list[ImageBuildRun | ImageRemovalRun] = []
    for version in versions:
        ids = {"tenant_id": version.tenant_id, "image_set_id": version.image_set_id}
        if version.status == "deleting":
            runs.append(ImageRemovalRun(**ids, version=version.version))
        else:
            runs.append(ImageBuildRun(**ids, version=version.version))
    for image_set in sets:
        listed = ports.image_sets.list_versions(image_set.tenant_id, image_set.id)
        with_image = [v.version for v in listed if v.image_version_id is not None]
        runs.append(ImageRemovalRun(tenant_id=image_set.tenant_id, image_set_id=image_set.id, versions=with_image))
    return runs
