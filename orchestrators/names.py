"""Registration names of orchestrators and activities: the one place both sides refer to them by."""

from __future__ import annotations

CONNECTION_HEALTH_CHECK = "connection_health_check"
IMPORT_DEVICE_IMAGE = "import_device_image"

ADVANCE_HEALTH_CHECK = "advance_health_check"
RECORD_UNFINISHED_HEALTH_CHECKS = "record_unfinished_health_checks"
ADVANCE_IMAGE_IMPORT = "advance_image_import"
FAIL_DEVICE_IMAGE = "fail_device_image"


def health_check_instance_id(tenant_id: str, connection_id: str, run: int) -> str:
    """One orchestration per requested run: a duplicate request for the same run collapses."""
    return f"health-{tenant_id}-{connection_id}-{run}"


def image_import_instance_id(tenant_id: str, image_id: str) -> str:
    return f"image-{tenant_id}-{image_id}"


PROVISION_CLOUD_PC = "provision_cloud_pc"

ADVANCE_PROVISIONING = "advance_provisioning"
FAIL_PROVISIONING = "fail_provisioning"


def cloud_pc_instance_prefix(tenant_id: str) -> str:
    """What the instance ids of a tenant's Cloud PC runs start with (to list them)."""
    return f"cpc-{tenant_id}-"


def cloud_pc_instance_id(tenant_id: str, cloud_pc_id: str, run: int) -> str:
    """One orchestration per Cloud PC run: a duplicate message or a second reconcile collapses into it."""
    return f"{cloud_pc_instance_prefix(tenant_id)}{cloud_pc_id}-r{run}"


RUN_CLOUD_PC_ACTION = "run_cloud_pc_action"
ADVANCE_CLOUD_PC_ACTION = "advance_cloud_pc_action"


def cloud_pc_action_instance_id(tenant_id: str, cloud_pc_id: str, request_id: str) -> str:
    """One orchestration per action request: a bulk action's repeated item collapses into its first start."""
    return f"act-{tenant_id}-{cloud_pc_id}-{request_id}"


BUILD_IMAGE_VERSION = "build_image_version"
ADVANCE_IMAGE_BUILD = "advance_image_build"
CAPTURE_REQUESTED = "captureRequested"  # the external event the capture route raises on a waiting build


def image_build_instance_id(tenant_id: str, image_set_id: str, version: str) -> str:
    """One orchestration per image-set version: a repeated start collapses into the build under way."""
    return f"imgbuild-{tenant_id}-{image_set_id}-{version}"


REMOVE_IMAGE_SET_RESOURCES = "remove_image_set_resources"
ADVANCE_IMAGE_REMOVAL = "advance_image_removal"


def image_removal_instance_id(tenant_id: str, image_set_id: str, version: str | None) -> str:
    """One removal per set, or per version of it: a repeated delete collapses into the removal under way."""
    return f"imgremove-{tenant_id}-{image_set_id}-{version or 'set'}"


RUN_SPOT_GROUP_WORK = "run_spot_group_work"
ADVANCE_SPOT_GROUP = "advance_spot_group"
# the external event the cancel route raises on an image update's host runs: one waiting for its turn asks again
IMAGE_UPDATE_CANCELLED = "imageUpdateCancelled"


def spot_group_instance_id(tenant_id: str, spot_group_id: str, work: str) -> str:
    """One deployment and one removal per group: a repeated request collapses into the one under way."""
    return f"spotgroup-{tenant_id}-{spot_group_id}-{work}"


FOLLOW_HOST_POWER = "follow_host_power"
ADVANCE_HOST_POWER = "advance_host_power"


def host_power_instance_id(tenant_id: str, spot_group_id: str, event_id: str) -> str:
    """One per timeline line: a run repeated in its slot, which asks again, collapses into the one under way."""
    return f"hostpower-{tenant_id}-{spot_group_id}-{event_id}"


def host_scaling_instance_id(tenant_id: str, spot_group_id: str, host: int, host_work: str) -> str:
    """One per host and kind (made, deleted): the optimization starting it again while it runs collapses into it,
    and once it ended a later host of the same index (made again) starts afresh."""
    return f"spotgroup-{tenant_id}-{spot_group_id}-scale-{host_work}-h{host}"


def spot_group_host_instance_id(run_instance_id: str, revision: int, host: int) -> str:
    """A host's run within its group's: one per change of the group, so a later change never meets an old one."""
    return f"{run_instance_id}-r{revision}-h{host}"


MIRROR_WINDOWS365_CLOUD_PCS = "mirror_windows365_cloud_pcs"  # the orchestration and its one activity
READ_WINDOWS365_CLOUD_PCS = "read_windows365_cloud_pcs"


def windows365_mirror_instance_id(tenant_id: str, asked: str | None = None) -> str:
    """One follower per tenant: a second start while it reads collapses into it. With `asked` (the id of a change
    asked of Windows 365), the change's own follower, started when the tenant's was already under way."""
    return f"w365-{tenant_id}" if asked is None else f"w365-{tenant_id}-{asked}"
