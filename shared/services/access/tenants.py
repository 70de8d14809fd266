"""Tenant administration: create, update and delete, with the rules that guard them (an Entra tenant claimed once,
a backend changed only while nothing is made on it)."""

from __future__ import annotations

from typing import Protocol

from shared.errors import Conflict, ValidationFailed
from shared.models.tenants import ReclaimRule, Tenant, TenantCreate, TenantUpdate
from shared.ports.access_stores import RoleAssignmentStore, TenantStore, UniqueValueStore
from shared.ports.alerts import NoticeSender
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import TenantWatch
from shared.ports.new_records import NewRecordPorts
from shared.ports.stores import CloudPcStore, ConnectionStore, DeviceImageStore, PolicyStore, SiteStore
from shared.services.engine import mail_senders
from shared.services.engine.updates import merge_patch, update_with_etag

ENTRA_TENANT = "entraTenantId"  # the scope of unique Entra tenant ids


class TenantPorts(NewRecordPorts, Protocol):
    """A tenant's registration: its Entra tenant claimed once, its backend changed only while nothing is made on it."""

    @property
    def tenants(self) -> TenantStore: ...
    @property
    def unique(self) -> UniqueValueStore: ...
    @property
    def directory_subscriptions(self) -> TenantWatch | None: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def notices(self) -> NoticeSender: ...  # whether the app can send as the reclaim rule's sender


def _claim_entra_id(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    """One app tenant per Entra tenant, claimed atomically (two racing registrations cannot both win)."""
    if not entra_tenant_id:
        return

    def holds(owner_id: str) -> bool:
        owner = ports.tenants.find_tenant(owner_id)
        return owner is not None and (owner.entra_tenant_id or "").lower() == entra_tenant_id.lower()

    owner = ports.unique.claim(ENTRA_TENANT, entra_tenant_id, tenant_id, holds=holds)
    if owner != tenant_id:
        raise Conflict(
            f"Entra tenant '{entra_tenant_id}' is already registered as tenant '{owner}'.",
            code="alreadyExists",
            target="entraTenantId",
        )


def _release_entra_id(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    if entra_tenant_id:
        ports.unique.release(ENTRA_TENANT, entra_tenant_id, tenant_id)


def _check_entra_free(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    """For validateOnly: the same answer without claiming."""
    other = ports.tenants.find_tenant_by_entra_id(entra_tenant_id) if entra_tenant_id else None
    if other is not None and other.id != tenant_id:
        raise Conflict(
            f"Entra tenant '{entra_tenant_id}' is already registered as tenant '{other.id}'.",
            code="alreadyExists",
            target="entraTenantId",
        )


def _entra_link_changed(ports: TenantPorts, tenant: Tenant, previous: str | None) -> None:
    """Graph change notifications follow the link; best effort (never raises), the renewal timer catches up."""
    if ports.directory_subscriptions is None or tenant.entra_tenant_id == previous:
        return
    if tenant.entra_tenant_id:
        ports.directory_subscriptions.tenant_linked(tenant, previous)
    else:
        ports.directory_subscriptions.tenant_removed(tenant.id)


def _check_backend_free(ports: TenantPorts, current: Tenant, updated: Tenant) -> None:
    """A tenant's backend changes only while nothing was made with it: its Cloud PCs, connections, device images and
    policies each live in one backend (VMs in the customer's subscription, or Windows 365's own objects) and would be
    stranded by the other."""
    if updated.cloud_pc_backend == current.cloud_pc_backend:
        return
    tenant_id = current.id
    held = {
        "Cloud PCs": sum(ports.cloud_pcs.count_cloud_pcs_by_status(tenant_id).values()),
        "connections": len(ports.connections.list_connections(tenant_id, top=1)[0]),
        "device images": len(ports.images.list_images(tenant_id, top=1)[0]),
        "provisioning policies": len(ports.policies.list_policies(tenant_id, top=1)[0]),
    }
    holding = [name for name, count in held.items() if count]
    if holding:
        raise Conflict(
            f"Tenant '{tenant_id}' still has {', '.join(holding)} on its '{current.cloud_pc_backend}' backend; "
            "deprovision and delete them before it moves to another.",
            code="backendInUse",
            target="cloudPcBackend",
        )


def _check_reclaim_sender(ports: TenantPorts, tenant: Tenant, before: ReclaimRule | None) -> None:
    """A sender the reclaim rule names anew must be a mailbox the app can send as, where the tenant's Graph can tell:
    a tenant not linked, or not consented to yet, is not asked (its sender is checked when a rule next names one)."""
    rule = tenant.reclaim
    if rule is None or not rule.email_user or not rule.mailbox:
        return
    if before is not None and before.email_user and (before.mailbox or "").lower() == rule.mailbox.lower():
        return
    try:
        problems = mail_senders.sender_problems(ports.notices, tenant.id, rule.mailbox, "reclaim.mailbox")
    except CloudError:
        return
    if problems:
        raise ValidationFailed.of(*problems)


def create_tenant(ports: TenantPorts, data: TenantCreate, *, dry_run: bool = False) -> Tenant:
    now = ports.clock()
    tenant = Tenant(id=ports.new_id(), created_date_time=now, last_modified_date_time=now, **data.model_dump())
    if dry_run:
        _check_entra_free(ports, tenant.entra_tenant_id, tenant.id)
        return tenant
    _claim_entra_id(ports, tenant.entra_tenant_id, tenant.id)
    try:
        saved = ports.tenants.upsert_tenant(tenant, if_none_match=True)
    except Exception:
        _release_entra_id(ports, tenant.entra_tenant_id, tenant.id)
        raise
    _entra_link_changed(ports, saved, None)
    return saved


def update_tenant(
    ports: TenantPorts, tenant_id: str, patch: TenantUpdate, *, if_match: str | None, dry_run: bool = False
) -> Tenant:
    previous: list[str | None] = []

    def change(current: Tenant) -> Tenant:
        previous[:] = [current.entra_tenant_id]
        updated = merge_patch(current, patch, TenantCreate, ports.clock())
        _check_entra_free(ports, updated.entra_tenant_id, tenant_id)
        _check_backend_free(ports, current, updated)
        _check_reclaim_sender(ports, updated, current.reclaim)
        return updated

    def save(tenant: Tenant, etag: str | None) -> Tenant:
        before = previous[0] if previous else None
        moved = (tenant.entra_tenant_id or "").lower() != (before or "").lower()
        if moved:
            _claim_entra_id(ports, tenant.entra_tenant_id, tenant_id)
        try:
            saved = ports.tenants.upsert_tenant(tenant, if_match=etag)
        except Exception:
            if moved:
                _release_entra_id(ports, tenant.entra_tenant_id, tenant_id)
            raise
        if moved:
            _release_entra_id(ports, before, tenant_id)
        return saved

    saved = update_with_etag(
        lambda: ports.tenants.get_tenant(tenant_id), change, save, if_match=if_match, dry_run=dry_run
    )
    if not dry_run and previous:
        _entra_link_changed(ports, saved, previous[0])
    return saved


def delete_tenant(ports: TenantPorts, tenant: Tenant, *, if_match: str | None, roles: RoleAssignmentStore) -> None:
    """A tenant without sites; its role assignments go with it, so nobody keeps access to what is gone."""
    tenant_id = tenant.id
    if ports.sites.any_sites(tenant_id):
        raise Conflict(f"Tenant '{tenant_id}' still has sites; delete them first.", code="inUse", target="tenantId")
    ports.tenants.delete_tenant(tenant_id, if_match=if_match or tenant.etag)
    roles.delete_tenant_assignments(tenant_id)
    _release_entra_id(ports, tenant.entra_tenant_id, tenant_id)
    if ports.directory_subscriptions is not None:
        ports.directory_subscriptions.tenant_removed(tenant_id)
