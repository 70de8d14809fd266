"""Windows 365 through Graph: its network connections, provisioning policies, images, user settings and Cloud PCs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.models.connections import CheckStatus


@dataclass(frozen=True)
class Windows365ConnectionSpec:
    """An Azure network connection as Windows 365 takes it (Graph's onPremisesConnection): the ids are ARM ids."""

    display_name: str
    connection_type: str  # hybridAzureADJoin | azureADJoin
    subscription_id: str
    resource_group_id: str  # where Windows 365 makes the Cloud PCs' network interfaces
    virtual_network_id: str
    subnet_id: str
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    organizational_unit: str | None = None


@dataclass(frozen=True)
class Windows365Check:
    """One of Windows 365's health checks of a connection, as it reported it."""

    display_name: str
    status: CheckStatus
    start_date_time: str | None = None  # ISO 8601, as Graph gives it
    end_date_time: str | None = None
    error_type: str | None = None
    recommended_action: str | None = None


@dataclass(frozen=True)
class Windows365ConnectionState:
    id: str
    display_name: str
    subnet_id: str | None
    health_check_status: CheckStatus
    start_date_time: str | None = None  # of the latest health-check run
    end_date_time: str | None = None
    checks: tuple[Windows365Check, ...] = ()


class Windows365Network(Protocol):
    """Windows 365's Azure network connections (every call is one Graph request; CloudError on a refusal).

    Windows 365 checks a connection's health itself, when it is made and every 6 hours: Graph's runHealthChecks takes
    no application permission (https://learn.microsoft.com/graph/api/cloudpconpremisesconnection-runhealthcheck), so
    an app can only read the results.
    """

    def find_connection(self, tenant_id: str, display_name: str, subnet_id: str) -> Windows365ConnectionState | None:
        """The tenant's connection of this name on this subnet, if one exists (to adopt it rather than make two)."""
        ...

    def create_connection(
        self, tenant_id: str, spec: Windows365ConnectionSpec, password: str | None
    ) -> Windows365ConnectionState:
        """Windows 365 runs its health checks on a new connection by itself."""
        ...

    def read_connection(self, tenant_id: str, connection_id: str) -> Windows365ConnectionState | None: ...

    def update_connection(
        self, tenant_id: str, connection_id: str, spec: Windows365ConnectionSpec, password: str | None
    ) -> None:
        """The name and domain-join settings (and password, when given) as they are now."""
        ...

    def delete_connection(self, tenant_id: str, connection_id: str) -> None:
        """Gone, also when it was already."""
        ...


@dataclass(frozen=True)
class Windows365Join:
    domain_join_type: str  # azureADJoin | hybridAzureADJoin
    connection_id: str | None = None  # Windows 365's id of the connection
    region_name: str | None = None  # a Microsoft-hosted network's region


@dataclass(frozen=True)
class Windows365PolicySpec:
    """A provisioning policy as Windows 365 takes it (Graph's cloudPcProvisioningPolicy)."""

    display_name: str
    description: str | None
    image_type: str  # gallery | custom
    image_id: str
    image_display_name: str
    joins: tuple[Windows365Join, ...]
    naming_template: str | None
    enable_single_sign_on: bool
    locale: str
    provisioning_type: str = "dedicated"


@dataclass(frozen=True)
class Windows365CloudPc:
    """A Cloud PC as Windows 365 reports it."""

    id: str
    display_name: str
    managed_device_name: str | None
    user_principal_name: str
    service_plan_id: str
    service_plan_name: str
    provisioning_policy_id: str | None
    status: str
    status_code: str | None = None  # statusDetail's code and message, when Windows 365 gives one
    status_message: str | None = None
    grace_period_end_date_time: str | None = None
    last_modified_date_time: str | None = None  # ISO 8601, as Graph gives it: when Windows 365 last changed it
    last_login_date_time: str | None = None  # ISO 8601: when its user last signed in to it; None: never, to Graph


@dataclass(frozen=True)
class Windows365Image:
    """A custom image as Windows 365 holds it (Graph's cloudPcDeviceImage)."""

    id: str
    status: str  # pending | ready | failed
    error_code: str | None = None  # cloudPcDeviceImageErrorCode, when it failed
    operating_system: str | None = None


@dataclass(frozen=True)
class Windows365Connection:
    """One remote connection to a Cloud PC, as Windows 365's remote connection report lists it; times in UTC."""

    sign_in_date_time: datetime
    sign_out_date_time: datetime | None  # None: not signed out yet


@dataclass(frozen=True)
class Windows365Recommendation:
    """A Cloud PC's row of Windows 365's usage category report, in the report's words."""

    cloud_pc_id: str
    usage_category: str  # UsageCategory: Undersized, Oversized, Rightsized or Underutilized on the page
    recommended_plan_id: str | None = None  # RecommendedPlanId, a servicePlanId: none for a Rightsized one
    recommended_plan_name: str | None = None  # RecommendedPlanName


@dataclass(frozen=True)
class Windows365Snapshot:
    """A restore point Windows 365 took of a Cloud PC (Graph's cloudPcSnapshot); times in ISO 8601, as Graph gives."""

    id: str
    created_date_time: str
    snapshot_type: str  # automatic | manual
    status: str
    expiration_date_time: str | None = None
    last_restored_date_time: str | None = None


@dataclass(frozen=True)
class Windows365GalleryImage:
    """A gallery image Windows 365 offers (Graph's cloudPcGalleryImage)."""

    id: str  # publisher_offer_sku
    display_name: str
    publisher_name: str
    offer_name: str
    sku_name: str
    status: str  # supported | supportedWithWarning | notSupported


@dataclass(frozen=True)
class Windows365AuditEvent:
    """One event of Windows 365's audit log (Graph's cloudPcAuditEvent)."""

    id: str
    activity_date_time: str  # ISO 8601, as Graph gives it
    activity: str
    result: str  # success | clientError | failure | timeout | other
    actor_id: str  # the user's or the application's id
    actor_name: str | None
    # (type, id, display name) of what it acted on; the type is beta's resourceType, "" where Graph names none (v1.0)
    resources: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class Windows365UserSettingSpec:
    """A user setting as the app sends it to Windows 365 (Graph's cloudPcUserSetting)."""

    display_name: str
    local_admin_enabled: bool
    reset_enabled: bool
    restore_point_frequency: str  # cloudPcRestorePointFrequencyType
    user_restore_enabled: bool


class Windows365Provisioning(Protocol):
    """Windows 365's provisioning policies and the Cloud PCs it provisions for them (CloudError on a refusal, a
    GraphError carrying Graph's status and words)."""

    def find_policy(self, tenant_id: str, display_name: str) -> str | None:
        """The id of the tenant's policy of this name, if one exists (to adopt it rather than make two)."""
        ...

    def create_policy(self, tenant_id: str, spec: Windows365PolicySpec) -> str: ...

    def update_policy(self, tenant_id: str, policy_id: str, spec: Windows365PolicySpec) -> None: ...

    def delete_policy(self, tenant_id: str, policy_id: str) -> None:
        """Gone, also when it was already."""
        ...

    def assign_policy(self, tenant_id: str, policy_id: str, group_ids: list[str]) -> None:
        """The policy's assignments become exactly these groups."""
        ...

    def list_gallery_images(self, tenant_id: str) -> list[Windows365GalleryImage]: ...

    def upload_image(self, tenant_id: str, display_name: str, version: str, source_image_resource_id: str) -> str:
        """The id of the tenant's image of this name and version: the one an earlier attempt uploaded, or a new
        upload of the managed image (which Windows 365 then validates by itself)."""
        ...

    def read_image(self, tenant_id: str, image_id: str) -> Windows365Image | None: ...

    def delete_image(self, tenant_id: str, image_id: str) -> None:
        """Gone, also when it was already."""
        ...

    def find_user_setting(self, tenant_id: str, display_name: str) -> str | None:
        """The id of the tenant's user setting of this name, if one exists (to adopt it rather than make two)."""
        ...

    def create_user_setting(self, tenant_id: str, spec: Windows365UserSettingSpec) -> str: ...

    def update_user_setting(self, tenant_id: str, setting_id: str, spec: Windows365UserSettingSpec) -> None: ...

    def delete_user_setting(self, tenant_id: str, setting_id: str) -> None:
        """Gone, also when it was already."""
        ...

    def assign_user_setting(self, tenant_id: str, setting_id: str, group_ids: list[str]) -> None:
        """The user setting's assignments become exactly these groups."""
        ...

    def list_cloud_pcs(self, tenant_id: str) -> list[Windows365CloudPc]: ...

    def list_snapshots(self, tenant_id: str, cloud_pc_id: str) -> list[Windows365Snapshot]:
        """The Cloud PC's restore points, as Windows 365 keeps them."""
        ...

    def list_audit_events(self, tenant_id: str, since: str) -> list[Windows365AuditEvent]:
        """Windows 365's audit log from `since` (ISO 8601) on, oldest first."""
        ...

    def list_remote_connections(self, tenant_id: str, cloud_pc_id: str, since: datetime) -> list[Windows365Connection]:
        """The connections to the Cloud PC signed in at or after `since`, oldest first."""
        ...

    def list_recommendations(self, tenant_id: str, cloud_pc_ids: Sequence[str]) -> list[Windows365Recommendation]:
        """The usage category report's rows of these Cloud PCs (Windows 365's ids); one it has not judged yet has
        none."""
        ...

    def act(self, tenant_id: str, cloud_pc_id: str, action: str, body: dict[str, str] | None = None) -> None:
        """One of the Cloud PC's actions (`reboot`, `rename`, `reprovision`, `endGracePeriod`, `troubleshoot`),
        which Windows 365 carries out by itself afterwards."""
        ...
