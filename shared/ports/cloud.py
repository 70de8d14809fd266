"""The ports the domain calls the cloud through (directory, network checks, compute, secrets, Cloud PC actions):
one module, the whole boundary to Azure and Graph read in one place; each Protocol stays small."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from shared.models.connections import CheckStatus
from shared.models.spot_schedules import LoadBalancing
from shared.models.spot_sessions import SessionState

# the codes of a refusal for want of a permission (ARM's, ARM's linked access check's, Graph's): retrying cannot help,
# only the customer's admin can, by following the onboarding report
# (and the app's own code for a tenant whose admin never consented to it: Entra gives it no token at all)
NO_CONSENT = "appNotConsented"
PERMISSION_DENIED = frozenset(
    {"AuthorizationFailed", "LinkedAuthorizationFailed", "Authorization_RequestDenied", NO_CONSENT}
)
# the code of a request the app holds back itself, ARM's budget of the subscription (reads, writes or deletes) being
# nearly spent
REQUEST_BUDGET = "subscriptionRequestBudget"
# the code of a call that got no answer at all (connection refused or reset): an outage, waited out
UNANSWERED = "serviceUnavailable"
# the code of a call the service took and did not answer within the call's timeout (a hung service): waited out as an
# outage, and never waited on for longer than that timeout (shared/cloud/azure/transport.py)
NOT_ANSWERING = "serviceNotAnswering"
# the code of an action on a user session that is no longer there (signed out, logged off, or its host gone)
SESSION_GONE = "sessionNotFound"
# Refusals the same request meets however often it is sent, so another provisioning attempt cannot help: a full
# subnet, a quota, a size or image the region does not offer, a value Azure does not take (ARM's common deployment
# errors, learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors, and Compute's
# quota and SKU pages). Capacity (AllocationFailed) and failed operations are not among them: a new attempt may land.
REFUSED_FOR_GOOD = frozenset(
    code.casefold()
    for code in (
        *PERMISSION_DENIED, "SubnetIsFull", "QuotaExceeded", "OperationNotAllowed", "SkuNotAvailable",
        "PlatformImageNotFound", "ImageNotFound", "GalleryImageNotFound", "InvalidParameter",
        "InvalidResourceReference",
    )
)  # fmt: skip


def refused_for_good(code: str) -> bool:
    """Whether a refusal with this code would meet the same refusal again (REFUSED_FOR_GOOD)."""
    return code.casefold() in REFUSED_FOR_GOOD


ONBOARDING_HINT = (
    "The app lacks this permission in the customer's tenant: grant it as the tenant's onboarding report says "
    "(GET /api/tenants/{tenantId}/onboarding, the portal's Onboarding page)."
)


class CloudError(Exception):
    """A cloud call failed; `code` is the provider's error code, `step` the step that failed. A refusal for want of
    a permission says where the admin finds the fix, wherever it is shown."""

    status: int | None = None  # the HTTP status of the answer, where the call was answered
    retry_after_s: float | None = None  # when the service said to ask again

    def __init__(self, step: str, code: str, message: str, reason: str | None = None) -> None:
        if code in PERMISSION_DENIED and ONBOARDING_HINT not in message:
            message = f"{message} {ONBOARDING_HINT}"
        super().__init__(message)
        self.step = step
        self.code = code
        # a transient one: why it holds the call, in words naming the service (the timeline's heldByAzure line)
        self.reason = reason

    @property
    def permission_denied(self) -> bool:
        return self.code in PERMISSION_DENIED

    @property
    def transient(self) -> bool:
        """Worth asking again as it was: a throttle, the service's own failure, or no answer at all. Anything else
        is the service's refusal or a failed operation, which the same call would meet again."""
        if self.status is None:
            return self.code.casefold() in (UNANSWERED.casefold(), NOT_ANSWERING.casefold())
        return self.status == 429 or self.status >= 500


class CloudThrottled(CloudError):
    """The cloud throttled a call that answers no Progress (a read): ask again after `retry_after_s`."""

    def __init__(
        self, step: str, retry_after_s: float, code: str = "TooManyRequests", reason: str | None = None
    ) -> None:
        super().__init__(step, code, f"{step}: Azure said not now ({code}); retry after {retry_after_s:g} s", reason)
        self.status = 429
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class GroupLicense:
    """A Windows 365 license a group assigns the user (Entra group-based licensing): only the group can take it away.

    `state` is Entra's (Active, ActiveWithError, Disabled, Error) and `error` its reason when the group's license
    could not be applied (CountViolation when the tenant had no free unit), else None.
    """

    service_plan_id: str
    group_id: str
    state: str = "Active"
    error: str | None = None


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    user_principal_name: str
    display_name: str = ""
    licenses: tuple[str, ...] = ()  # service plan ids; a plan id may repeat (two licenses)
    # the plans groups assign the user, applied or not; a plan here is in `licenses` too once applied, and may be
    # assigned directly as well
    group_licenses: tuple[GroupLicense, ...] = ()

    def groups_assigning(self, service_plan_id: str) -> list[str]:
        """The groups the user holds this plan's license through: while one does, the license cannot be moved."""
        return [g.group_id for g in self.group_licenses if g.service_plan_id == service_plan_id and g.error is None]


@dataclass(frozen=True)
class DirectoryGroup:
    id: str
    display_name: str
    description: str | None = None


class Directory(Protocol):
    """Entra ID as the provisioning engine and the portal's group picker read it (Graph in production)."""

    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        """The users that exist among `user_ids`; unknown ids are left out."""
        ...

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        """Direct members' user ids (nested groups are not expanded); None if the group does not exist."""
        ...

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        """Which of `group_ids` the user is a direct member of (Graph: checkMemberGroups), without listing groups."""
        ...

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        """Licenses assigned per service plan across the tenant (Graph: subscribedSkus consumedUnits)."""
        ...

    def find_groups(self, tenant_id: str, name_prefix: str | None, top: int) -> list[DirectoryGroup]:
        """Security groups whose display name starts with `name_prefix` in any case (every one without it), the
        first `top` by display name: a look-up for a person picking groups, not a listing of the directory."""
        ...

    def get_group(self, tenant_id: str, group_id: str) -> DirectoryGroup | None:
        """One group by id, to name it to a person; None if it does not exist."""
        ...


@dataclass(frozen=True)
class NetworkTarget:
    """What a connection's health checks look at, and where one check run's probe VM lives.

    The probe (a short-lived VM with a NIC in the subnet) is made in `resource_group` of `subscription_id`, in
    `region_name`, named after `probe_key` (one per connection and run). The domain-join password is read by
    the adapter from the secret store under `password_secret_name`, and goes to Azure as a protected parameter.
    """

    connection_type: str
    region_name: str
    subscription_id: str
    resource_group: str
    virtual_network_id: str | None
    subnet_id: str | None
    probe_key: str = ""
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    organizational_unit: str | None = None
    password_secret_name: str | None = None


@dataclass(frozen=True)
class CheckOutcome:
    """A check's result; `running`: not finished, call again after `retry_after_s` passing back `operation`."""

    status: CheckStatus
    error_type: str | None = None
    recommended_action: str | None = None
    retry_after_s: float = 0.0
    operation: str | None = None


class NetworkChecks(Protocol):
    """The health checks of an Azure network connection, each answered without waiting.

    Checks of the control plane read ARM (the network, its free addresses, the app's permissions). Checks
    inside the network (DNS, domain join, endpoints, device sync) run as Run Commands on the run's probe VM,
    which `prepare_probe` makes in the connection's subnet first and `remove_probe` removes afterwards.
    """

    def run_check(
        self, tenant_id: str, check: str, target: NetworkTarget, operation: str | None = None
    ) -> CheckOutcome: ...

    def prepare_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        """Done once the probe VM runs in the subnet; CloudError when it cannot be made."""
        ...

    def remove_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        """Done once the probe VM, its disk and NIC are gone (also when they never were)."""
        ...


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


@dataclass(frozen=True)
class Windows365Image:
    """A custom image as Windows 365 holds it (Graph's cloudPcDeviceImage)."""

    id: str
    status: str  # pending | ready | failed
    error_code: str | None = None  # cloudPcDeviceImageErrorCode, when it failed
    operating_system: str | None = None


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

    def act(self, tenant_id: str, cloud_pc_id: str, action: str, body: dict[str, str] | None = None) -> None:
        """One of the Cloud PC's actions (`reboot`, `rename`, `reprovision`, `endGracePeriod`, `troubleshoot`),
        which Windows 365 carries out by itself afterwards."""
        ...


@dataclass(frozen=True)
class ManagedImage:
    resource_id: str
    os_type: str = "Windows"
    hyper_v_generation: str = "V2"
    os_state: str = "Generalized"
    os_disk_size_gb: int = 64
    data_disk_count: int = 0
    details: dict[str, str] = field(default_factory=dict)


class ImageSources(Protocol):
    """Where a custom image comes from: a managed image or gallery image version, read to check it can be one."""

    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None: ...


@dataclass(frozen=True)
class SubnetChoice:
    """A subnet an admin can put a connection in: where it is, and how many addresses are left in it."""

    id: str
    name: str
    virtual_network: str
    resource_group: str
    region: str
    address_prefix: str | None
    free_addresses: int | None  # None when Azure did not say


@dataclass(frozen=True)
class ImageChoice:
    """An image a device image can be imported from: a managed image, or a gallery image version."""

    id: str
    name: str  # a managed image's name; a version as gallery/definition/version
    kind: str  # managedImage or galleryImageVersion
    resource_group: str
    regions: tuple[str, ...]  # where a VM can be made from it: the image's region, or the version's target regions
    hyper_v_generation: str | None


@dataclass(frozen=True)
class SubscriptionChoice:
    """A subscription the tenant's identity sees: one it holds a role in, at the subscription or below."""

    id: str  # the subscription's GUID
    name: str  # its display name, the owner's choice
    state: str  # Enabled, Warned, PastDue, Disabled or Deleted


@dataclass(frozen=True)
class ResourceGroupChoice:
    name: str
    region: str


class AzureInventory(Protocol):
    """What an admin picks from in the customer's Azure, read with the tenant's own identity. A refusal (no role
    there yet) is a CloudError whose code says so."""

    def subscriptions(self, tenant_id: str) -> list[SubscriptionChoice]: ...

    def resource_groups(self, tenant_id: str, subscription_id: str) -> list[ResourceGroupChoice]: ...

    def resource_group_exists(self, tenant_id: str, subscription_id: str, name: str) -> bool: ...

    def subnets(self, tenant_id: str, subscription_id: str, region: str) -> list[SubnetChoice]:
        """Every subnet of the subscription's virtual networks in `region`."""
        ...

    def images(self, tenant_id: str, subscription_id: str) -> list[ImageChoice]:
        """Every managed image and gallery image version of the subscription."""
        ...


class TenantAccess(Protocol):
    """What a customer tenant lets the app do, as Entra and ARM tell the app itself (read-only)."""

    def graph_permissions(self, entra_tenant_id: str) -> list[str] | None:
        """The Graph application permissions granted; None when no admin has consented to the app there."""
        ...

    def missing_actions(
        self, tenant_id: str, subscription_id: str, resource_group: str | None, actions: tuple[str, ...]
    ) -> list[str] | None:
        """Those of `actions` the app's role assignments do not grant on the resource group (None: on the
        subscription); None: not known (no such group)."""
        ...

    def service_role_held(
        self, tenant_id: str, subscription_id: str, scope: str, app_id: str, role_definition_id: str
    ) -> bool | None:
        """Whether another service's principal in the tenant (by its app id) holds the built-in role on the scope (in
        the subscription), assigned there or above; False when it has no principal there; None: not known."""
        ...


class SecretStore(Protocol):
    """Write-only secrets such as domain-join passwords (Key Vault in production)."""

    def set_secret(self, name: str, value: str) -> None: ...

    def get_secret(self, name: str) -> str: ...

    def delete_secret(self, name: str) -> None: ...


# --- provisioning ------------------------------------------------------------------------------
# Every provisioning call is idempotent, keyed by a deterministic resource name, and answers with its
# Progress: done, or not yet (a long-running operation or throttling) and when to ask again. The
# orchestrator waits on a durable timer between asks, so no activity slot sits idle while Azure works.
# A call that started a long-running operation returns the operation to poll (its status URL); the run
# state carries it, and the next call passes it back as `operation`, so the adapter polls instead of
# starting again.


@dataclass(frozen=True)
class Progress:
    done: bool
    retry_after_s: float = 0.0
    resource_id: str | None = None  # the ARM/Graph id of what the call created, once done
    operation: str | None = None  # not done: what to pass back as `operation` on the next call
    # not done because Azure said not now (its code: a throttle, a busy resource, an outage, a service not
    # answering), not because the operation is still running: the wait is held, spends no attempt, and the timeline
    # says why
    held: str | None = None
    # not done: why, in words (what held the call, naming the service, or what runs on in Azure); every "not yet"
    # of an adapter says it (tests/unit/test_not_yet_reasons.py), and a held one's is its timeline line
    reason: str | None = None


# How a Run Command that takes several steps reports each: a line `STEP_OUTCOME <step> succeeded`, or
# `STEP_OUTCOME <step> failed ERRORTYPE=<code> <message>` (ProvisioningCompute.run_steps)
STEP_OUTCOME = "CPCSTEP"


@dataclass(frozen=True)
class Placement:
    """Where a Cloud PC's Azure resources live: the site's subscription and resource group, and the region."""

    subscription_id: str
    resource_group: str
    region_name: str


@dataclass(frozen=True)
class VmSpec:
    name: str  # deterministic, unique per Cloud PC, run and provisioning attempt
    nic_name: str  # likewise; the NIC is made first, in `subnet_id`
    computer_name: str  # the device (NetBIOS) name from the naming template
    placement: Placement
    vm_size: str
    image_type: str  # "gallery" | "custom"
    image_id: str  # gallery id (publisher_offer_sku), managed image or gallery image version resource id
    os_disk_size_gb: int
    subnet_id: str | None  # None: the Microsoft-hosted network (the app's own network in the region)
    # hibernation enabled, where the size and the image support it (the adapter reads both); only a VM made so can
    # be hibernated, and VmInspection.hibernation_enabled says whether it was
    hibernation: bool = False


@dataclass(frozen=True)
class JoinSpec:
    """How a Cloud PC joins: Entra join, or hybrid join to an AD domain with a connection's credentials."""

    device_name: str
    join_type: str  # "azureADJoin" | "hybridAzureADJoin"
    domain_name: str | None = None
    organizational_unit: str | None = None
    domain_username: str | None = None
    password_secret_name: str | None = None  # the join account's password, read from the secret store


class ProvisioningCompute(Protocol):
    """Azure Compute and Network (ARM) as provisioning uses them."""

    def allocate_capacity(self, tenant_id: str, placement: Placement, vm_size: str) -> Progress:
        """The VM size is offered in the region (resource SKUs) and the regional vCPU quota has room (usages)."""
        ...

    def create_vm(self, tenant_id: str, spec: VmSpec, operation: str | None = None) -> Progress:
        """The VM with its own NIC (system identity, the plan's size and disk, the image); resource_id: the VM's."""
        ...

    def attached_nic(self, tenant_id: str, placement: Placement, nic_name: str) -> Progress:
        """Done once the NIC is attached to its VM with a private address; resource_id: the NIC's."""
        ...

    def run_command(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        command: str,
        script: list[str],
        operation: str | None = None,
    ) -> Progress:
        """Run Command `command` on the VM; a failed script raises CloudError."""
        ...

    def run_steps(
        self, tenant_id: str, placement: Placement, vm_name: str, command: str, script: list[str], step: str,
        operation: str | None = None,
    ) -> Progress:  # fmt: skip
        """`step` of the Run Command `command`, whose script takes several steps and writes each one's outcome as a
        STEP_OUTCOME line: the command is made once (one ARM write for all its steps) and read by each step after.
        Done once the command reached `step` and it succeeded; CloudError with the step's own code when it failed."""
        ...

    def delete_vm(self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None = None) -> Progress:
        """The VM with its OS disk (and the role assignments scoped to it); done when gone."""
        ...

    def delete_nic(
        self, tenant_id: str, placement: Placement, nic_name: str, operation: str | None = None
    ) -> Progress: ...


class DeviceDirectory(Protocol):
    """Device objects in Entra ID and, for hybrid join, computer accounts in on-premises AD."""

    def join_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        """The join extension on the VM, then wait for the Entra device object (hybrid: the synced one)."""
        ...

    def delete_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def disable_computer_account(
        self, tenant_id: str, placement: Placement, join: JoinSpec, subnet_id: str | None, operation: str | None = None
    ) -> Progress:
        """Disable (never delete) the on-premises computer account named `join.device_name`."""
        ...


class DeviceManagement(Protocol):
    """Intune enrolment and primary user (Graph), and the user's right to sign in (an Azure role on the VM)."""

    def enroll_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        """MDM enrolment (Entra join: the join extension's mdmId), then wait for the Intune managed device."""
        ...

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress: ...

    def assign_user(
        self, tenant_id: str, placement: Placement, vm_name: str, user_id: str, administrator: bool
    ) -> Progress:
        """Virtual Machine User Login (Administrator Login with local admin) for the user on the VM."""
        ...

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress: ...


# --- Cloud PC actions ------------------------------------------------------------------------------------
# What an admin does to a provisioned Cloud PC's VM (named by provisioning_steps.vm_name, at its Placement).
# The writes are idempotent and answer Progress as provisioning's calls do (done: resource_id is the VM's);
# the reads answer at once, and a throttled read raises CloudThrottled.

# a powered-off Cloud PC is deallocated: it bills no compute; hibernate deallocates a VM made with hibernation enabled,
# its memory kept on its OS disk
PowerAction = Literal["start", "restart", "deallocate", "hibernate"]


@dataclass(frozen=True)
class VmInspection:
    """A VM as Azure shows it: `power_state` as Azure names it (running, deallocated, stopped, starting, ...;
    "unknown" when it shows none), and each extension's provisioningState by the extension's name."""

    power_state: str
    provisioning_state: str
    vm_size: str
    os_disk_size_gb: int | None
    extensions: dict[str, str] = field(default_factory=dict)
    hibernation_enabled: bool = False  # additionalCapabilities.hibernationEnabled: it may be hibernated


@dataclass(frozen=True)
class DeviceRecord:
    """An Entra device object; `trust_type` AzureAd (Entra joined) or ServerAd (hybrid joined)."""

    id: str
    account_enabled: bool
    trust_type: str | None


@dataclass(frozen=True)
class ManagedDeviceRecord:
    """An Intune managed device; `primary_user_id` None until one is set, `compliance_state` when Intune has one."""

    id: str
    primary_user_id: str | None
    compliance_state: str | None = None


class CloudPcOperations(Protocol):
    """Power, resize and a bigger OS disk for a Cloud PC's VM, and the read-only checks of troubleshooting."""

    def power_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, action: PowerAction, operation: str | None = None
    ) -> Progress:
        """Azure's VM action `action`, done once its operation succeeded; CloudError vmNotFound without the VM."""
        ...

    def resize_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, vm_size: str, operation: str | None = None
    ) -> Progress:
        """hardwareProfile.vmSize (a running VM restarts); done at once when the VM has that size already."""
        ...

    def grow_os_disk(
        self, tenant_id: str, placement: Placement, vm_name: str, size_gb: int, operation: str | None = None
    ) -> Progress:
        """The managed OS disk to at least `size_gb`, never shrunk; Azure grows it only while the VM is deallocated."""
        ...

    def inspect_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> VmInspection | None:
        """Power and provisioning state, size, OS disk size and extensions, in one read; None without the VM."""
        ...

    def find_device(self, tenant_id: str, device_name: str) -> DeviceRecord | None:
        """The Entra device with that display name, if any."""
        ...

    def find_managed_device(self, tenant_id: str, device_name: str) -> ManagedDeviceRecord | None:
        """The Intune managed device with that device name, if any."""
        ...

    def has_sign_in_role(self, tenant_id: str, placement: Placement, vm_name: str, user_id: str) -> bool:
        """The user itself holds Virtual Machine User Login or Administrator Login on the VM (or a scope above)."""
        ...


class LicenseAssignment(Protocol):
    """The users' Windows 365 licenses, as a resize moves them (Graph subscribedSkus and assignLicense)."""

    def free_licenses(self, tenant_id: str, service_plan_id: str) -> int:
        """Licenses of the plan's SKU the tenant has and no user holds."""
        ...

    def switch_license(self, tenant_id: str, user_id: str, add_plan: str, remove_plan: str | None) -> Progress:
        """The user holds `add_plan`'s license and no longer `remove_plan`'s; CloudError `noFreeLicense` if none."""
        ...


@dataclass(frozen=True)
class GalleryImage:
    """Where an image set's versions live: an Azure Compute Gallery and one image definition in it."""

    placement: Placement  # the gallery's subscription, resource group and region
    gallery: str
    definition: str


class ImageBuilding(Protocol):
    """Azure Compute Gallery as image sets use it: a build VM captured into replicated image versions."""

    def ensure_image_definition(
        self, tenant_id: str, image: GalleryImage, source_image_id: str, operation: str | None = None
    ) -> Progress:
        """The gallery, then the image definition (Windows, generalized, Hyper-V Gen2, Trusted Launch as the VMs
        captured into it are, its publisher, offer and sku from the marketplace id `publisher_offer_sku` it starts
        from); done when both exist; resource_id: the definition's."""
        ...

    def generalize_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> Progress:
        """Mark the sysprepped, deallocated VM generalized (Azure refuses a running VM)."""
        ...

    def create_image_version(
        self,
        tenant_id: str,
        image: GalleryImage,
        version: str,
        source_vm_id: str,
        regions: list[str],
        operation: str | None = None,
    ) -> Progress:
        """A version captured from the generalized VM and replicated to `regions` (the gallery's own first);
        done once replicated; resource_id: the version's."""
        ...

    def delete_image_version(
        self, tenant_id: str, image: GalleryImage, version: str, operation: str | None = None
    ) -> Progress:
        """Done when the version is gone (also when it never existed)."""
        ...

    def delete_image_definition(self, tenant_id: str, image: GalleryImage, operation: str | None = None) -> Progress:
        """Done when the definition is gone (the gallery stays: other image sets share it); CloudError while it
        still has versions."""
        ...


HostPoolType = Literal["pooled", "personal"]


@dataclass(frozen=True)
class HostPoolSpec:
    """A Spot Group's Azure Virtual Desktop environment: a host pool, its desktop application group (named
    `<host_pool>-dag`) and a workspace (`<host_pool>-ws`) holding that application group."""

    placement: Placement
    host_pool: str
    pool_type: HostPoolType  # pooled: BreadthFirst load balancing; personal: Automatic assignment
    max_sessions: int  # per session host (pooled); 1 for personal
    friendly_name: str
    user_group_ids: tuple[str, ...]  # Entra groups given Desktop Virtualization User on the application group
    start_vm_on_connect: bool = False  # AVD starts a user's deallocated host when they connect


@dataclass(frozen=True)
class SessionHostRecord:
    """A session host as the host pool reports it."""

    vm_name: str
    status: str  # AVD's: Available, Unavailable, Shutdown, NeedsAssistance, Upgrading, ...
    allow_new_session: bool
    sessions: int
    assigned_user_id: str | None = None  # personal pools: the user it is assigned to


@dataclass(frozen=True)
class UserSessionRecord:
    """A user's session on one of a host pool's session hosts, as the pool reports it."""

    vm_name: str  # the session host's VM
    session_id: str  # AVD's id of the session on its host (a number, unique on that host only)
    user_principal_name: str
    state: SessionState  # disconnected: the user left without signing out, and the session keeps its place
    started: datetime | None


class DesktopVirtualization(Protocol):
    """Azure Virtual Desktop (Microsoft.DesktopVirtualization) as Spot Groups use it."""

    def ensure_host_pool(self, tenant_id: str, spec: HostPoolSpec, operation: str | None = None) -> Progress:
        """The host pool, the application group with the groups' role on it, and the workspace; changes to the
        spec (max sessions, friendly name, groups) are applied to ones that exist; resource_id: the host pool's."""
        ...

    def register_session_host(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, operation: str | None = None
    ) -> Progress:
        """Install the AVD agent on the running, joined VM with a registration token of the host pool (a protected
        Run Command parameter: never stored, shown or logged); done once the host pool lists the session host."""
        ...

    def drain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """No new sessions on the host (allowNewSession false); the ones there stay. Done also for a host that is
        not in the pool (none can start there)."""
        ...

    def undrain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """New sessions on the host again (allowNewSession true), as after a drain the schedule no longer wants.
        Done also for a host that is not in the pool."""
        ...

    def balance_load(self, tenant_id: str, placement: Placement, host_pool: str, order: LoadBalancing) -> bool:
        """A pooled host pool places new users `order` (breadth-first: the emptiest host; depth-first: the fullest
        with room); patched only when it does not already. True when it was changed."""
        ...

    def remove_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """The host out of the host pool (its VM is not touched); done also when it was not in it."""
        ...

    def list_session_hosts(self, tenant_id: str, placement: Placement, host_pool: str) -> list[SessionHostRecord]:
        """Every session host of the pool; a throttled read raises CloudThrottled."""
        ...

    def delete_host_pool(
        self, tenant_id: str, placement: Placement, host_pool: str, operation: str | None = None
    ) -> Progress:
        """The workspace, the application group, then the host pool (its session hosts first); done when gone."""
        ...

    def list_user_sessions(self, tenant_id: str, placement: Placement, host_pool: str) -> list[UserSessionRecord]:
        """Every user session on the pool's session hosts (none when the pool is not there); a throttled read
        raises CloudThrottled."""
        ...

    def send_session_message(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str, title: str,
        message: str,
    ) -> None:  # fmt: skip
        """Show the user a message in their session. The actions on a session raise CloudError with code
        SESSION_GONE when it (or its host) is not there, and CloudThrottled when Azure says not now."""
        ...

    def disconnect_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        """Disconnect the user: the session stays on its host, for them to reconnect to."""
        ...

    def log_off_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        """Log the user off at once (what they have not saved is lost): the session ends."""
        ...


class SubscriptionApi(Protocol):
    """Graph's /subscriptions as this service uses it (shared.cloud.azure.graph_subscriptions in production)."""

    def create(
        self,
        entra_tenant_id: str,
        resource: str,
        notification_url: str,
        lifecycle_url: str,
        client_state: str,
        expires: datetime,
    ) -> tuple[str, datetime]: ...

    def renew(self, entra_tenant_id: str, subscription_id: str, expires: datetime) -> datetime | None: ...

    def delete(self, entra_tenant_id: str, subscription_id: str) -> None: ...
