"""The `azure` backend's connections, device images and policies: the app's own rules, and nothing sent elsewhere."""

from __future__ import annotations

from shared.catalog.gallery_images import GALLERY_IMAGES, gallery_of
from shared.errors import ErrorDetail, ValidationFailed
from shared.models.connections import Connection
from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage
from shared.models.orchestrations import HealthCheckRun, PhasedStep
from shared.models.policies import AssignRequest, PolicyFields, ProvisioningPolicy
from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
from shared.ports.cloud_errors import NOT_LINKED, CloudError
from shared.ports.configuration_ports import (
    GallerySourcePorts,
    HealthCheckRunPorts,
    ImageImportPorts,
    PolicySyncPorts,
    UserSettingSyncPorts,
    Windows365Ports,
)
from shared.services.configuration import device_images, health_check_runs
from shared.services.spot_pc import marketplace_images


class AzureConfiguration:
    checks_every_change = False  # the app checks again what a change of credentials can break
    image_kinds = frozenset({"managedImage", "galleryImageVersion"})

    def check_admin_may_run_checks(self) -> None:
        pass

    def advance_health_checks(self, ports: HealthCheckRunPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
        return health_check_runs.advance_own_checks(ports, run)

    def connection_deleted(self, ports: Windows365Ports, connection: Connection) -> None:
        pass

    def gallery(self, ports: GallerySourcePorts, tenant_id: str) -> list[GalleryImage]:
        # Azure Marketplace's images of the tenant's regions: what its VMs can be made from. Until the app can read
        # them (no site yet, the tenant not linked or consented, its role not granted), Windows 365's gallery stands
        # in, which every region offers: a policy can be made while onboarding goes on
        try:
            images = marketplace_images.marketplace_images(ports, tenant_id)
        except CloudError as exc:
            if exc.code != NOT_LINKED and not exc.permission_denied:
                raise
            images = []
        return gallery_of(images) if images else list(GALLERY_IMAGES)

    def check_image_source(self, data: DeviceImageCreate) -> None:
        pass  # the import reads the source, managed image or gallery image version

    def import_image(self, ports: ImageImportPorts, image: DeviceImage) -> DeviceImage | None:
        source = ports.image_sources.get_managed_image(image.tenant_id, image.source_image_resource_id)
        problem = device_images.source_image_problem(source)
        if problem is not None:
            return device_images.fail_import(ports, image.tenant_id, image.id, *problem)
        return device_images.imported(ports, image)

    def image_deleted(self, ports: Windows365Ports, image: DeviceImage) -> None:
        pass

    def check_policy(self, fields: PolicyFields, before: ProvisioningPolicy | None) -> None:
        pass

    def policy_made(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> ProvisioningPolicy:
        return policy

    def policy_changed(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> None:
        pass

    def policy_deleted(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        pass

    def policy_assigned(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        pass

    def create_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, data: UserSettingCreate, *, dry_run: bool
    ) -> UserSetting:
        raise _no_user_settings()

    def update_user_setting(
        self,
        ports: UserSettingSyncPorts,
        tenant_id: str,
        setting_id: str,
        patch: UserSettingUpdate,
        *,
        if_match: str | None,
        dry_run: bool,
    ) -> UserSetting:
        raise _no_user_settings()

    def assign_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, setting_id: str, request: AssignRequest, *, dry_run: bool
    ) -> UserSetting:
        raise _no_user_settings()


def _no_user_settings() -> ValidationFailed:
    return ValidationFailed.of(
        ErrorDetail(
            "notTakenByBackend",
            "User settings are Windows 365's: a tenant on the azure backend has none (its Cloud PCs take their local "
            "admin and restore settings from their policy).",
        )
    )
