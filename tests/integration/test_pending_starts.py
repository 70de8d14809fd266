"""The pending-start sweep on Azurite and the local Durable engine: the app's timer starts a Cloud PC a dead
reconcile left in pendingProvision, and leaves alone one whose orchestration is under way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from shared.models.orchestrations import PROVISIONING_CALLS_PER_EXECUTION
from shared.ports.engine_ports import EnginePorts
from tests.integration.conftest import create_app
from tests.utils.durable_session import durable_engine, orchestrators_of

TENANT = "tenant-starts"
Status = df.OrchestrationRuntimeStatus
UNDER_WAY = (Status.Pending, Status.Running)
SWEEP = "startPendingProvisioning"  # the timer function

stub = df.Blueprint()


@stub.orchestration_trigger(context_name="context", orchestration=names.PROVISION_CLOUD_PC)
def provision_cloud_pc(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Stands in for the provisioning run: under way until the test ends, as a run whose first call waits."""
    yield context.wait_for_external_event("never")


def pending(ports: EnginePorts, user: str, at: datetime) -> CloudPc:
    """A Cloud PC a reconcile created at `at` and never started."""
    cloud_pc = CloudPc.model_validate(
        {
            "id": f"cpc-{user}",
            "tenant_id": TENANT,
            "created_date_time": at,
            "last_modified_date_time": at,
            "display_name": f"PC {user}",
            "user_id": user,
            "user_principal_name": f"{user}@contoso.com",
            "service_plan_id": "w365-enterprise-2vcpu-8gb-128gb",
            "service_plan_name": "2 vCPU",
            "provisioning_policy_id": "p",
            "provisioning_policy_name": "P",
            "run": 1,
        }
    )
    return ports.cloud_pcs.upsert_cloud_pc(cloud_pc)


def instance_id(cloud_pc: CloudPc) -> str:
    return names.cloud_pc_instance_id(TENANT, cloud_pc.id, cloud_pc.run)


def test_the_sweep_starts_what_a_dead_reconcile_left_and_leaves_a_run_under_way_alone(services: Services) -> None:
    now = datetime.now(UTC)
    clock = [now]
    ports = replace(services.engine, clock=lambda: clock[0])
    app = create_app(replace(services, engine=ports))
    (sweep,) = [f.get_user_function() for f in app.get_functions() if f.get_function_name() == SWEEP]
    # a reconcile created three Cloud PCs, the last just now, and died before it had started them
    ann, bob = pending(ports, "ann", now - timedelta(minutes=2)), pending(ports, "bob", now - timedelta(minutes=2))
    cat = pending(ports, "cat", now - timedelta(seconds=5))
    ports.cloud_pcs.add_start_check(TENANT, now - timedelta(seconds=1), creating=False)

    async def scenario() -> None:
        async with durable_engine(orchestrators_of(stub), "PendingStarts") as (client, binding):
            # Bob's run was started (it is Pending or Running, its first call not made yet): his row still says so
            run = {"tenantId": TENANT, "cloudPcId": bob.id, "run": bob.run}
            await client.start_new(names.PROVISION_CLOUD_PC, instance_id(bob), run)
            bobs = await client.get_status(instance_id(bob))

            await sweep(timer=None, client=binding)
            anns = await client.get_status(instance_id(ann))
            assert anns.runtime_status in UNDER_WAY
            assert json.loads(anns.input_) == {
                **run,
                "cloudPcId": ann.id,
                "state": None,
                "calls": 0,
                "perExecution": PROVISIONING_CALLS_PER_EXECUTION,
            }
            again = await client.get_status(instance_id(bob), show_history=True)
            assert again.runtime_status in UNDER_WAY and again.created_time == bobs.created_time  # not restarted
            assert [e["EventType"] for e in again.historyEvents].count("ExecutionStarted") <= 1
            assert not await client.get_status(instance_id(cat))  # 5 s old: a reconcile may be starting it
            assert len(ports.cloud_pcs.list_due_start_checks(clock[0])) == 1  # so the check stays due

            clock[0] = now + timedelta(minutes=1)
            await sweep(timer=None, client=binding)
            assert (await client.get_status(instance_id(cat))).runtime_status in UNDER_WAY
            for cloud_pc, first in ((ann, anns), (bob, bobs)):  # each started once, never again
                assert (await client.get_status(instance_id(cloud_pc))).created_time == first.created_time
            assert ports.cloud_pcs.list_due_start_checks(clock[0]) == []

    asyncio.run(scenario())


def test_start_checks_are_read_by_due_time_and_creating_is_cleared(services: Services) -> None:
    cloud_pcs, now = services.engine.cloud_pcs, datetime.now(UTC)
    later = cloud_pcs.add_start_check(TENANT, now + timedelta(seconds=30), creating=True)
    due = cloud_pcs.add_start_check("other", now - timedelta(seconds=1), creating=True)
    assert [(c.key, c.tenant_id, c.creating) for c in cloud_pcs.list_due_start_checks(now)] == [(due, "other", True)]
    cloud_pcs.clear_creating(later)
    cloud_pcs.clear_creating("gone")  # a check the sweep removed already: nothing to do
    checks = cloud_pcs.list_due_start_checks(now + timedelta(minutes=1))
    assert [(c.key, c.creating) for c in checks] == [(due, True), (later, False)]
    for check in checks:
        cloud_pcs.delete_start_check(check.key)
    cloud_pcs.delete_start_check(due)  # idempotent
    assert cloud_pcs.list_due_start_checks(now + timedelta(minutes=1)) == []
