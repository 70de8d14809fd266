"""Cloud PC repository (partition = tenant) and its timeline (partition = tenant and Cloud PC)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.errors import Conflict
from shared.models.cloud_pcs import CloudPc, CloudPcEvent
from shared.models.names import DeviceNameClaim
from shared.storage.tables import EntityRepository, TableStorage


class CloudPcRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "CloudPcs", CloudPc, kind="Cloud PC")
        self._events = EntityRepository(storage, "CloudPcEvents", CloudPcEvent, kind="Cloud PC event")
        self._names = EntityRepository(storage, "DeviceNames", DeviceNameClaim, kind="Device name")

    # --- Cloud PCs ---------------------------------------------------------------------------
    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc:
        return self._rows.get(tenant_id, cloud_pc_id, target="cloudPcId")

    def find_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc | None:
        return self._rows.find(tenant_id, cloud_pc_id)

    def list_cloud_pcs(
        self, tenant_id: str, filters: dict[str, str], *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[CloudPc], str | None]:
        clauses = ["PartitionKey eq @tenant"] + [f"{name} eq @{name}" for name in sorted(filters)]
        return self._rows.page(" and ".join(clauses), {"tenant": tenant_id, **filters}, top=top, skip_token=skip_token)

    def list_all_cloud_pcs(self, tenant_id: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @tenant", {"tenant": tenant_id}))

    def list_users_cloud_pcs(self, tenant_id: str, user_id: str) -> list[CloudPc]:
        return list(
            self._rows.scan("PartitionKey eq @tenant and userId eq @user", {"tenant": tenant_id, "user": user_id})
        )

    def list_cloud_pcs_in_status(self, tenant_id: str, status: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @t and status eq @s", {"t": tenant_id, "s": status}))

    def list_cloud_pcs_of_plan(self, tenant_id: str, plan_id: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @t and servicePlanId eq @p", {"t": tenant_id, "p": plan_id}))

    def insert_cloud_pcs(self, cloud_pcs: Iterable[CloudPc]) -> list[CloudPc]:
        """Create-only; returns the ones this call created (another writer may have made the rest)."""
        return self._rows.create_many((cloud_pc, cloud_pc.tenant_id, cloud_pc.id) for cloud_pc in cloud_pcs)

    def upsert_cloud_pc(self, cloud_pc: CloudPc, *, if_match: str | None = None) -> CloudPc:
        return self._rows.put(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, if_match=if_match)

    def merge_cloud_pc(self, cloud_pc: CloudPc, fields: Iterable[str]) -> None:
        """Update some fields without reading first (the orchestration owns the row while provisioning)."""
        self._rows.merge(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, fields)

    def delete_cloud_pc(self, tenant_id: str, cloud_pc_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, cloud_pc_id, if_match=if_match)

    # --- timeline ----------------------------------------------------------------------------
    # A Cloud PC's timeline is its own partition. Its row keys carry the Cloud PC id although the partition
    # already does: event ids repeat from one Cloud PC to the next, and the local emulator looks rows up by
    # row key first, so repeated keys made each write scan every Cloud PC's timeline (6x slower at 5,000).
    @staticmethod
    def _event_keys(tenant_id: str, cloud_pc_id: str, event_id: str) -> tuple[str, str]:
        return f"{tenant_id}_{cloud_pc_id}", f"{cloud_pc_id}.{event_id}"

    def upsert_event(self, tenant_id: str, event: CloudPcEvent) -> None:
        self._events.put(event, *self._event_keys(tenant_id, event.cloud_pc_id, event.id))

    def upsert_events(self, tenant_id: str, events: Iterable[CloudPcEvent]) -> None:
        """One transaction per Cloud PC (a partition) for up to 100 lines."""
        self._events.put_many((event, *self._event_keys(tenant_id, event.cloud_pc_id, event.id)) for event in events)

    def find_event(self, tenant_id: str, cloud_pc_id: str, event_id: str) -> CloudPcEvent | None:
        return self._events.find(*self._event_keys(tenant_id, cloud_pc_id, event_id))

    def list_events(
        self, tenant_id: str, cloud_pc_id: str, *, top: int = 1000, skip_token: str | None = None
    ) -> tuple[list[CloudPcEvent], str | None]:
        return self._events.page(
            "PartitionKey eq @pc", {"pc": f"{tenant_id}_{cloud_pc_id}"}, top=top, skip_token=skip_token
        )

    # --- device names, unique per tenant -----------------------------------------------------
    def claim_device_name(self, tenant_id: str, name: str, cloud_pc_id: str) -> bool:
        """Atomically reserve a device name; True if it is (now) this Cloud PC's."""
        try:
            self._names.put(DeviceNameClaim(name=name, cloud_pc_id=cloud_pc_id), tenant_id, name, if_none_match=True)
            return True
        except Conflict:
            owner = self._names.find(tenant_id, name)
            return owner is not None and owner.cloud_pc_id == cloud_pc_id

    def release_device_name(self, tenant_id: str, name: str) -> None:
        self._names.delete(tenant_id, name)
