"""Starting orchestrations under deterministic ids, where a duplicate start means the same work."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import azure.durable_functions as df

from orchestrators import names

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
    """Fan out in batches of BATCH_SIZE; a batch's id follows from its content, so a re-delivered message collapses."""
    started = 0
    for start in range(0, len(cloud_pcs), names.BATCH_SIZE):
        chunk = cloud_pcs[start : start + names.BATCH_SIZE]
        digest = hashlib.sha256(json.dumps(chunk, sort_keys=True).encode()).hexdigest()[:20]
        payload = {"tenantId": tenant_id, "maxAttempts": max_attempts, "cloudPcs": chunk}
        if await start_once(client, names.PROVISION_BATCH, f"batch-{tenant_id}-{digest}", payload):
            started += len(chunk)
    return started
