"""What a Cloud PC is built from: the policy's current settings resolved (network, placement, image, size), its name."""

from __future__ import annotations

from typing import Protocol

from shared.catalog.marketplace_images import os_disk_size_gb
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import NotFound
from shared.models.cloud_pcs import BuildSettings, CloudPc
from shared.models.languages import DEFAULT_LANGUAGE
from shared.models.policies import DomainJoinConfiguration
from shared.ports.stores import CloudPcStore, ConnectionStore, DeviceImageStore, PolicyStore, SiteStore
from shared.services.configuration.image_rules import ImageRefused, resolve_image
from shared.services.configuration.naming import expand_template, parse_template

NAME_ATTEMPTS = 20


class BuildSettingsPorts(Protocol):
    """The policy, its connections, sites and images a Cloud PC is built from, and the device names taken."""

    @property
    def policies(self) -> PolicyStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...  # a device name is claimed there


class ProvisioningFailed(Exception):
    """Provisioning cannot go on; the message names the step for the admin."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(message)
        self.step, self.code = step, code


def _network(
    ports: BuildSettingsPorts, cloud_pc: CloudPc, configs: list[DomainJoinConfiguration]
) -> dict[str, str | None]:
    """The first usable domain-join configuration: a healthy connection, or a region of the hosted network."""
    for config in configs:
        if config.region_name:
            site = next(
                (s for s in ports.sites.list_all_sites(cloud_pc.tenant_id) if s.region_name == config.region_name),
                None,
            )
            if site is None:
                raise ProvisioningFailed(
                    "allocateCapacity",
                    "noSiteInRegion",
                    f"the tenant has no site in {config.region_name} to hold Cloud PCs on the hosted network",
                )
            return {
                "join": config.domain_join_type,
                "region": config.region_name,
                "site": site.id,
                "subscription": site.subscription_id,
                "resource_group": site.resource_group_name,
            }
        connection = ports.connections.find_connection(cloud_pc.tenant_id, config.on_premises_connection_id or "")
        site = ports.sites.find_site(cloud_pc.tenant_id, connection.site_id) if connection is not None else None
        if connection is not None and connection.usable and site is not None:
            return {
                "join": config.domain_join_type,
                "connection": connection.id,
                "region": connection.region_name,
                "site": site.id,
                # the VM and its NIC go in the site's group, where the app holds its role; only the subnet is
                # the network's (of the same subscription: a connection's subnet is checked to be the site's)
                "subscription": connection.subscription_id,
                "resource_group": site.resource_group_name,
                "subnet": connection.subnet_id,
                "domain": connection.ad_domain_name,
                "username": connection.ad_domain_username,
                "secret": connection.password_secret_name if connection.ad_domain_name else None,
                "ou": connection.organizational_unit,
            }
    raise ProvisioningFailed("attachNetwork", "connectionNotHealthy", "Azure network connection isn't healthy")


def build_settings(ports: BuildSettingsPorts, cloud_pc: CloudPc) -> BuildSettings:
    """The policy's CURRENT settings, resolved: the first healthy connection, the image, the plan's size."""
    try:
        policy = ports.policies.get_policy(cloud_pc.tenant_id, cloud_pc.provisioning_policy_id)
    except NotFound:
        raise ProvisioningFailed("begin", "policyNotFound", "the provisioning policy no longer exists") from None
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    network = _network(ports, cloud_pc, list(policy.domain_join_configurations))
    try:
        image = resolve_image(ports.images.find_image, cloud_pc.tenant_id, policy.image_type, policy.image_id)
    except ImageRefused as refused:
        raise ProvisioningFailed("createVm", refused.code, f"the policy's image: {refused}") from None
    return BuildSettings(
        image_type=policy.image_type,
        image_id=image.source_id,
        image_display_name=image.display_name,
        domain_join_type=str(network["join"]),
        on_premises_connection_id=network.get("connection"),
        region_name=str(network["region"]),
        subscription_id=str(network["subscription"]),
        resource_group=str(network["resource_group"]),
        site_id=network.get("site"),
        subnet_id=network.get("subnet"),
        ad_domain_name=network.get("domain"),
        ad_domain_username=network.get("username"),
        password_secret_name=network.get("secret"),
        organizational_unit=network.get("ou"),
        vm_size=plan.vm_size,
        os_disk_size_gb=os_disk_size_gb(image.source_id, plan.storage_in_gb),  # the plan's, or the image's if larger
        local_admin_enabled=policy.local_admin_enabled,
        naming_template=policy.cloud_pc_naming_template,
        locale=policy.windows_setting.locale if policy.windows_setting else DEFAULT_LANGUAGE,
        hibernation=policy.power_rules is not None and policy.power_rules.stops_hosts and policy.power_rules.hibernate,
    )


def claim_device_name(ports: BuildSettingsPorts, cloud_pc: CloudPc, template_text: str) -> str:
    """A device name from the naming template, claimed atomically so no two Cloud PCs of a tenant share it."""
    template, problems = parse_template(template_text)
    if template is None:
        raise ProvisioningFailed("begin", "invalidNamingTemplate", problems[0].message)
    for n in range(NAME_ATTEMPTS):
        name = expand_template(template, cloud_pc.user_principal_name, f"{cloud_pc.id}:{cloud_pc.generation}:{n}")
        if ports.cloud_pcs.claim_device_name(cloud_pc.tenant_id, name, cloud_pc.id):
            return name
    raise ProvisioningFailed("begin", "deviceNameUnavailable", "no unique device name could be made from the template")
