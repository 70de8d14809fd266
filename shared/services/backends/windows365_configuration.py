"""The `windows365` backend's connections, device images and policies: what Windows 365 takes, and every change sent
to it through Graph."""

from __future__ import annotations

from typing import get_args

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.connections import Connection
from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage, GalleryStatus, ImageErrorCode
from shared.models.orchestrations import HealthCheckRun, PhasedStep
from shared.models.policies import AssignRequest, PolicyFields, ProvisioningPolicy
from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import (
    GallerySourcePorts,
    HealthCheckRunPorts,
    ImageImportPorts,
    PolicySyncPorts,
    UserSettingSyncPorts,
    Windows365Ports,
)
from shared.ports.windows365 import Windows365GalleryImage, Windows365Join, Windows365PolicySpec
from shared.services.backends import user_settings
from shared.services.backends.windows365_connection_checks import advance_checks
from shared.services.configuration.device_images import fail_import, imported
from shared.services.engine.windows365_refusals import refused_against_field, refused_as_conflict

MANAGED_IMAGE = "/providers/microsoft.compute/images/"


class Windows365Configuration:
    # Windows 365 is sent every change of a connection, by the health-check run
    checks_every_change = True
    image_kinds = frozenset({"managedImage"})  # Windows 365 uploads managed images only

    def check_admin_may_run_checks(self) -> None:
        raise Conflict(
            "Windows 365 runs this connection's health checks itself, when it is made or changed and every 6 "
            "hours, and lets no app start them (Graph's runHealthChecks takes no application permission); its "
            "latest results are shown here.",
            code="checkedByWindows365",
            target="connectionId",
        )

    def advance_health_checks(self, ports: HealthCheckRunPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
        return advance_checks(ports, run)

    def connection_deleted(self, ports: Windows365Ports, connection: Connection) -> None:
        if connection.windows365_id:
            with refused_as_conflict(f"delete connection '{connection.display_name}'", "connectionId"):
                ports.windows365.delete_connection(connection.tenant_id, connection.windows365_id)

    def gallery(self, ports: GallerySourcePorts, tenant_id: str) -> list[GalleryImage]:
        # the ones Windows 365 offers the tenant, all single-session: Windows 365's Cloud PCs are personal
        return [_offered(image) for image in ports.windows365_provisioning.list_gallery_images(tenant_id)]

    def check_image_source(self, data: DeviceImageCreate) -> None:
        # virtualendpoint-post-deviceimages takes "Microsoft.Compute/images/{name}"
        if MANAGED_IMAGE not in data.source_image_resource_id.lower():
            raise ValidationFailed.of(
                ErrorDetail(
                    "notTakenByBackend",
                    "Windows 365 uploads managed images only, not gallery image versions.",
                    "sourceImageResourceId",
                )
            )

    def import_image(self, ports: ImageImportPorts, image: DeviceImage) -> DeviceImage | None:
        return _import(ports, image)

    def image_deleted(self, ports: Windows365Ports, image: DeviceImage) -> None:
        if image.windows365_id is not None:
            with refused_as_conflict(f"delete device image '{image.display_name}'", "imageId"):
                ports.windows365_provisioning.delete_image(image.tenant_id, image.windows365_id)

    def check_policy(self, fields: PolicyFields, before: ProvisioningPolicy | None) -> None:
        _check_fields(fields)
        if before is not None and fields.cloud_pc_naming_template != before.cloud_pc_naming_template:
            raise ValidationFailed.of(
                ErrorDetail(  # Graph's update does not take it
                    "notTakenByBackend",
                    "Windows 365 keeps a policy's naming template as it was made: create a new policy for another one.",
                    "cloudPcNamingTemplate",
                )
            )

    def policy_made(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> ProvisioningPolicy:
        windows365, spec = ports.windows365_provisioning, policy_spec(ports, policy)
        try:  # one made by an earlier attempt whose answer was lost is adopted, not made twice
            remote = windows365.find_policy(policy.tenant_id, spec.display_name) or windows365.create_policy(
                policy.tenant_id, spec
            )
        except CloudError as exc:
            raise _refused(exc) from exc
        return policy.model_copy(update={"windows365_id": remote})

    def policy_changed(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> None:
        if policy.windows365_id:
            try:
                ports.windows365_provisioning.update_policy(
                    policy.tenant_id, policy.windows365_id, policy_spec(ports, policy)
                )
            except CloudError as exc:
                raise _refused(exc) from exc

    def policy_deleted(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        if policy.windows365_id:
            with refused_as_conflict(f"delete policy '{policy.display_name}'", "policyId"):
                ports.windows365_provisioning.delete_policy(policy.tenant_id, policy.windows365_id)

    def policy_assigned(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        if policy.windows365_id:  # Windows 365 provisions from its own assignments
            groups = [a.group_id for a in policy.assignments]
            try:
                ports.windows365_provisioning.assign_policy(policy.tenant_id, policy.windows365_id, groups)
            except CloudError as exc:
                raise _refused(exc) from exc

    # --- device images: uploaded to Windows 365, which validates them ---

    def create_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, data: UserSettingCreate, *, dry_run: bool
    ) -> UserSetting:
        return user_settings.create_user_setting(ports, tenant_id, data, dry_run=dry_run)

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
        return user_settings.update_user_setting(
            ports, tenant_id, setting_id, patch, if_match=if_match, dry_run=dry_run
        )

    def assign_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, setting_id: str, request: AssignRequest, *, dry_run: bool
    ) -> UserSetting:
        return user_settings.assign_user_setting(ports, tenant_id, setting_id, request, dry_run=dry_run)


def _offered(image: Windows365GalleryImage) -> GalleryImage:
    status = image.status if image.status in get_args(GalleryStatus) else "supportedWithWarning"  # a new member
    return GalleryImage(
        id=image.id,
        display_name=image.display_name,
        publisher_name=image.publisher_name,
        offer_name=image.offer_name,
        sku_name=image.sku_name,
        status=status,
        recommended_for=["personal"],
    )


def _import(ports: ImageImportPorts, image: DeviceImage) -> DeviceImage | None:
    """Uploaded once (an upload an earlier attempt made is found by name and version), then read: still `pending`
    while Windows 365 validates it, for the orchestrator to ask again; settled as Windows 365 settles it. Windows
    365's refusal of the upload fails the image with its words; a throttle or an outage raises, for the retries."""
    windows365, tenant_id = ports.windows365_provisioning, image.tenant_id
    try:
        if image.windows365_id is None:
            remote = windows365.upload_image(
                tenant_id, image.display_name, image.version, image.source_image_resource_id
            )
            image = ports.images.upsert_image(image.model_copy(update={"windows365_id": remote}), if_match=image.etag)
        assert image.windows365_id is not None
        state = windows365.read_image(tenant_id, image.windows365_id)
    except CloudError as exc:
        if exc.transient:
            raise
        return fail_import(ports, tenant_id, image.id, "internalServerError", f"Windows 365 refused the upload: {exc}")
    if state is None:
        return fail_import(ports, tenant_id, image.id, "internalServerError", "Windows 365 no longer has the image.")
    if state.status == "failed":
        code = state.error_code if state.error_code in get_args(ImageErrorCode) else None
        code = code or "internalServerError"
        return fail_import(ports, tenant_id, image.id, code, f"Windows 365 could not use the image: {code}.")
    if state.status != "ready":
        return image
    return imported(ports, image, os_version=state.operating_system)


# --- policies: Windows 365 holds them, every change is sent to it ---

# the policy's fields as Graph names them, to show Graph's refusal against the field it names
GRAPH_FIELDS = {
    "displayName": "displayName",
    "description": "description",
    "imageId": "imageId",
    "imageType": "imageType",
    "domainJoinConfigurations": "domainJoinConfigurations",
    "cloudPcNamingTemplate": "cloudPcNamingTemplate",
    "windowsSetting": "windowsSetting",
    "enableSingleSignOn": "enableSingleSignOn",
}


def _check_fields(fields: PolicyFields) -> None:
    """What Windows 365 does not take in a policy: refused with the field named, never ignored."""
    problems = []
    if fields.local_admin_enabled:
        problems.append(
            ErrorDetail(
                "notTakenByBackend",
                "Windows 365 makes a user a local administrator through user settings "
                "(cloudPcUserSetting), not through the provisioning policy.",
                "localAdminEnabled",
            )
        )
    if fields.power_rules is not None:
        problems.append(
            ErrorDetail(
                "notTakenByBackend",
                "Windows 365 Enterprise Cloud PCs run whether used or not: power rules are for "
                "Cloud PCs the app provisions itself (the azure backend).",
                "powerRules",
            )
        )
    if problems:
        raise ValidationFailed.of(*problems)


def policy_spec(ports: PolicySyncPorts, policy: ProvisioningPolicy) -> Windows365PolicySpec:
    joins = []
    for index, config in enumerate(policy.domain_join_configurations):
        remote = None
        if config.on_premises_connection_id:
            connection = ports.connections.get_connection(policy.tenant_id, config.on_premises_connection_id)
            if connection.windows365_id is None:
                raise ValidationFailed.of(
                    ErrorDetail(
                        "connectionNotInWindows365",
                        f"Connection '{connection.display_name}' is not in Windows 365 yet.",
                        f"domainJoinConfigurations[{index}].onPremisesConnectionId",
                    )
                )
            remote = connection.windows365_id
        joins.append(Windows365Join(config.domain_join_type, remote, config.region_name))
    image_id = policy.image_id
    if policy.image_type == "custom":  # Windows 365 names the image by its own id (the references check made it ready)
        image_id = ports.images.get_image(policy.tenant_id, policy.image_id).windows365_id or policy.image_id
    return Windows365PolicySpec(
        display_name=policy.display_name,
        description=policy.description,
        image_type=policy.image_type,
        image_id=image_id,
        image_display_name=policy.image_display_name,
        joins=tuple(joins),
        naming_template=policy.cloud_pc_naming_template,
        enable_single_sign_on=policy.enable_single_sign_on,
        locale=policy.windows_setting.locale,
    )


def _refused(exc: CloudError) -> Exception:
    return refused_against_field(exc, "policy", GRAPH_FIELDS)
