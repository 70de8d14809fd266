"""Azure network connections, one aggregate: the wizard's rules, credentials in the secret store, health-check runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.connections import Connection, ConnectionCreate, ConnectionUpdate, HealthCheckStatusDetail
from shared.models.sites import SUBNET_ID
from shared.ports.access_stores import TenantStore
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.configuration_ports import HealthCheckRunPorts
from shared.ports.stores import PolicyStore
from shared.services.configuration.health_checks import pending_checks
from shared.services.engine.updates import update_with_etag

MAX_CONNECTIONS_PER_TENANT = 10


class ConnectionPorts(HealthCheckRunPorts, Protocol):
    """What the admin's changes of a connection read, besides what its health-check runs do."""

    @property
    def tenants(self) -> TenantStore: ...
    @property
    def policies(self) -> PolicyStore: ...  # a connection a policy uses stays

    @property
    def backends(self) -> BackendChoice[ConfigurationBackend]: ...
    @property
    def new_id(self) -> Callable[[], str]: ...


def _referenced_site_missing(target: str, site_id: str) -> ValidationFailed:
    return ValidationFailed.of(
        ErrorDetail("referenceNotFound", f"Site '{site_id}' does not exist in this tenant.", target)
    )


def with_usage(ports: ConnectionPorts, connections: list[Connection]) -> list[Connection]:
    """Set `inUse` from the tenant's policies (a handful per tenant, read once)."""
    if not connections:
        return connections
    used = {
        cid for policy in ports.policies.list_all_policies(connections[0].tenant_id) for cid in policy.connection_ids
    }
    return [c.model_copy(update={"in_use": c.id in used}) for c in connections]


def get_connection(ports: ConnectionPorts, tenant_id: str, connection_id: str) -> Connection:
    return with_usage(ports, [ports.connections.get_connection(tenant_id, connection_id)])[0]


def create_connection(
    ports: ConnectionPorts, tenant_id: str, data: ConnectionCreate, *, dry_run: bool = False
) -> Connection:
    site = ports.sites.find_site(tenant_id, data.site_id)
    if site is None:
        raise _referenced_site_missing("siteId", data.site_id)
    subnet_id = data.subnet_id or site.subnet_id
    if not subnet_id:
        raise ValidationFailed.of(
            ErrorDetail("subnetRequired", "subnetId is required because the site names no subnet.", "subnetId")
        )
    if ports.connections.count_connections(tenant_id) >= MAX_CONNECTIONS_PER_TENANT:
        raise Conflict(
            f"A tenant can have at most {MAX_CONNECTIONS_PER_TENANT} connections; delete one first.",
            code="limitExceeded",
            target="connections",
        )
    match = SUBNET_ID.match(subnet_id)
    assert match is not None  # validated by the model or the site
    if match.group("sub").lower() != site.subscription_id.lower():
        # a network interface joins only a virtual network of its own subscription and region
        # (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface), and the app makes
        # the Cloud PCs' network interfaces in the site's resource group
        raise ValidationFailed.of(
            ErrorDetail(
                "subnetSubscriptionMismatch",
                f"The subnet must be in the site's subscription ({site.subscription_id}): Azure joins a network "
                "interface only to a virtual network of its own subscription.",
                "subnetId",
            )
        )
    now = ports.clock()
    connection = Connection(
        id=ports.new_id(),
        cloud_pc_backend=ports.tenants.get_tenant(tenant_id).cloud_pc_backend,
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        display_name=data.display_name,
        site_id=site.id,
        connection_type=data.connection_type,
        ad_domain_name=data.ad_domain_name,
        ad_domain_username=data.ad_domain_username,
        organizational_unit=data.organizational_unit,
        subscription_id=match.group("sub").lower(),
        resource_group_name=match.group("rg"),
        region_name=site.region_name,
        virtual_network_id=subnet_id.rsplit("/subnets/", 1)[0],
        subnet_id=subnet_id,
        health_check_status="pending",
        health_check_status_detail=HealthCheckStatusDetail(health_checks=pending_checks(data.connection_type)),
        health_check_run=1,
    )
    if dry_run:
        return connection
    if data.ad_domain_password is not None:
        ports.secrets.set_secret(connection.password_secret_name, data.ad_domain_password.get_secret_value())
    return ports.connections.upsert_connection(connection, if_none_match=True)


def update_connection(
    ports: ConnectionPorts,
    tenant_id: str,
    connection_id: str,
    patch: ConnectionUpdate,
    *,
    if_match: str | None,
    dry_run: bool,
) -> Connection:
    """Rename, or change the domain-join settings; a credential change queues a new health-check run."""

    def change(current: Connection) -> Connection:
        fields = patch.model_dump(exclude_unset=True, by_alias=False, exclude={"ad_domain_password"})
        if patch.changes_credentials and current.connection_type != "hybridAzureADJoin":
            raise ValidationFailed.of(
                ErrorDetail(
                    "domainFieldsNotAllowed",
                    "An Entra join connection takes no Active Directory domain or credentials.",
                    sorted(patch.model_fields_set - {"display_name"})[0],
                )
            )
        for required in ("display_name", "ad_domain_name", "ad_domain_username"):
            if (
                required in fields
                and fields[required] is None
                and (required == "display_name" or current.ad_domain_name)
            ):
                alias = ConnectionUpdate.model_fields[required].alias or required
                raise ValidationFailed.of(ErrorDetail("missing", f"{alias} cannot be removed.", alias))
        backend = ports.backends.named(current.cloud_pc_backend)
        if patch.changes_credentials or backend.checks_every_change:
            fields |= _new_run(current)
        return current.model_copy(update={**fields, "last_modified_date_time": ports.clock()})

    def save(connection: Connection, etag: str | None) -> Connection:
        if patch.ad_domain_password is not None:
            ports.secrets.set_secret(connection.password_secret_name, patch.ad_domain_password.get_secret_value())
        return ports.connections.upsert_connection(connection, if_match=etag)

    updated = update_with_etag(
        lambda: ports.connections.get_connection(tenant_id, connection_id),
        change,
        save,
        if_match=if_match,
        dry_run=dry_run,
    )
    return with_usage(ports, [updated])[0]


def _new_run(current: Connection) -> dict[str, object]:
    return {
        "health_check_run": current.health_check_run + 1,
        "health_check_status": "pending",
        "health_check_status_detail": HealthCheckStatusDetail(health_checks=pending_checks(current.connection_type)),
    }


def request_health_checks(
    ports: ConnectionPorts, tenant_id: str, connection_id: str, *, by_admin: bool = False
) -> Connection:
    """Queue a new run: the connection goes back to pending; older runs' results will be ignored. An admin's
    request is refused where the backend lets no app start the checks."""

    def change(current: Connection) -> Connection:
        if by_admin:
            ports.backends.named(current.cloud_pc_backend).check_admin_may_run_checks()
        return current.model_copy(update={**_new_run(current), "last_modified_date_time": ports.clock()})

    return update_with_etag(
        lambda: ports.connections.get_connection(tenant_id, connection_id),
        change,
        lambda connection, etag: ports.connections.upsert_connection(connection, if_match=etag),
        if_match=None,
    )


def recheck(
    ports: ConnectionPorts, tenant_id: str, connection_id: str, *, unchanged_since: datetime
) -> Connection | None:
    """The periodic run of the checks, requested unless the connection changed since `unchanged_since` (this tick's
    request already made, by a message delivered before, or an admin's since): then None."""
    connection = ports.connections.find_connection(tenant_id, connection_id)
    if connection is None or connection.last_modified_date_time >= unchanged_since:
        return None
    return request_health_checks(ports, tenant_id, connection_id)


def delete_connection(ports: ConnectionPorts, tenant_id: str, connection_id: str, *, if_match: str | None) -> None:
    connection = get_connection(ports, tenant_id, connection_id)
    if connection.in_use:
        raise Conflict(
            f"Connection '{connection.display_name}' is used by a provisioning policy; change the policy first.",
            code="inUse",
            target="connectionId",
        )
    ports.backends.named(connection.cloud_pc_backend).connection_deleted(ports, connection)
    ports.connections.delete_connection(tenant_id, connection_id, if_match=if_match or connection.etag)
    ports.secrets.delete_secret(connection.password_secret_name)
