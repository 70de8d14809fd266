"""Provisioning-policy repository: partition key = tenant id, row key = policy id."""

from __future__ import annotations

from shared.models.policies import ProvisioningPolicy
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class PolicyRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "ProvisioningPolicies", ProvisioningPolicy, kind="Provisioning policy")

    def get_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy:
        return self._rows.get(tenant_id, policy_id, target="policyId")

    def find_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy | None:
        return self._rows.find(tenant_id, policy_id)

    def list_policies(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ProvisioningPolicy], str | None]:
        return self._rows.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def list_all_policies(self, tenant_id: str) -> list[ProvisioningPolicy]:
        """Every policy of a tenant (a handful): what targeting and in-use checks read."""
        return list(self._rows.scan("PartitionKey eq @t", {"t": tenant_id}))

    def upsert_policy(
        self, policy: ProvisioningPolicy, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ProvisioningPolicy:
        return self._rows.put(policy, policy.tenant_id, policy.id, if_match=if_match, if_none_match=if_none_match)

    def delete_policy(self, tenant_id: str, policy_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, policy_id, if_match=if_match)
