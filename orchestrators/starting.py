"""Starting orchestrations under deterministic ids, where a duplicate start means the same work."""

from __future__ import annotations

import asyncio
from typing import Any

import azure.durable_functions as df

from orchestrators import names

STARTS_AT_ONCE = 20
RUNNING = {df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Running}


async def start_once(client: df.DurableOrchestrationClient, name: str, instance_id: str, payload: Any) -> bool:
    """Start `name` as `instance_id` unless that instance is already running; True if this call started it."""
    existing = await client.get_status(instance_id)
    if existing is not None and getattr(existing, "runtime_status", None) in RUNNING:
        return False
    try:
        await client.start_new(name, instance_id, payload)
    except Exception as exc:  # lost a race with a duplicate: the other caller started it
        if "already exists" not in str(exc).lower():
            raise
        return False
    return True


async def start_provisioning(
    client: df.DurableOrchestrationClient, tenant_id: str, cloud_pcs: list[dict[str, Any]], max_attempts: int
) -> int:
    """One orchestration per Cloud PC run, started directly: no orchestration's history depends on the tenant.

    The instance id is deterministic, so a re-delivered message or a second reconcile collapses into the
    same instance; starts go out STARTS_AT_ONCE at a time to keep the host's API responsive.
    """

    async def start(item: dict[str, Any]) -> bool:
        payload = {"tenantId": tenant_id, "maxAttempts": max_attempts, **item}
        instance_id = names.cloud_pc_instance_id(tenant_id, item["cloudPcId"], item["run"])
        try:
            await client.start_new(names.PROVISION_CLOUD_PC, instance_id, payload)
        except Exception as exc:  # already running: that run is under way
            if "already exists" not in str(exc).lower():
                raise
            return False
        return True

    started = 0
    for first in range(0, len(cloud_pcs), STARTS_AT_ONCE):
        results = await asyncio.gather(*(start(item) for item in cloud_pcs[first : first + STARTS_AT_ONCE]))
        started += sum(results)
    return started
