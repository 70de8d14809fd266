"""Sweeps against a real Azurite: only due work is read, two at once do it once, a crashed one is resumed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import due_sweep, lifecycle

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TENANT = "tenant-sweep"


def at(ports: EnginePorts, moment: datetime) -> EnginePorts:
    return replace(ports, clock=lambda: moment, grace_period=timedelta(days=7), cleanup_delay=timedelta(hours=3))


def provisioned(ports: EnginePorts, index: int) -> CloudPc:
    cloud_pc = CloudPc.model_validate(
        {
            "id": f"cpc-{index:03d}",
            "tenant_id": TENANT,
            "created_date_time": T0,
            "last_modified_date_time": T0,
            "display_name": f"PC {index}",
            "user_id": f"user-{index}",
            "user_principal_name": f"u{index}@contoso.com",
            "service_plan_id": "w365-enterprise-2vcpu-8gb-128gb",
            "service_plan_name": "2 vCPU",
            "provisioning_policy_id": "p",
            "provisioning_policy_name": "P",
            "status": "provisioned",
            "managed_device_name": f"CPC-{index:05d}",
        }
    )
    return ports.cloud_pcs.upsert_cloud_pc(cloud_pc)


def deprovision_lines(ports: EnginePorts, cloud_pc_id: str) -> list[str]:
    events = ports.cloud_pcs.list_events(TENANT, cloud_pc_id)
    return [e.name for e in events if e.name == "deprovisioned"]


def test_two_concurrent_sweeps_deprovision_each_expired_cloud_pc_once(services: Services) -> None:
    then = at(services.engine, T0)
    cloud_pcs = [lifecycle.enter_grace(then, provisioned(then, i), "test") for i in range(12)]
    still_in_grace = lifecycle.enter_grace(at(services.engine, T0 + timedelta(days=6)), provisioned(then, 99), "later")
    later = at(services.engine, T0 + timedelta(days=7, seconds=1))
    # the one entered later is not due yet: its entry sorts after `now`
    assert {w.cloud_pc_id for w in later.due.list_due(later.clock())} == {c.id for c in cloud_pcs}

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        start.wait()
        try:
            due_sweep.sweep(later)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for cloud_pc in cloud_pcs:
        assert later.cloud_pcs.find_cloud_pc(TENANT, cloud_pc.id) is None
        assert deprovision_lines(later, cloud_pc.id) == ["deprovisioned"]
    assert later.cloud_pcs.get_cloud_pc(TENANT, still_in_grace.id).status == "inGracePeriod"
    assert later.due.list_due(later.clock()) == []
    clean_ups = later.due.list_due(later.clock() + timedelta(hours=4))
    assert sorted(w.cloud_pc_id for w in clean_ups if w.kind == "cleanUp") == sorted(c.id for c in cloud_pcs)


def test_a_sweep_that_crashed_mid_way_is_finished_by_the_next(services: Services) -> None:
    then = at(services.engine, T0)
    cloud_pc = lifecycle.enter_grace(then, provisioned(then, 1), "test")
    later = at(services.engine, T0 + timedelta(days=8))
    assert len(later.due.list_due(later.clock())) == 1
    # the crashed run deprovisioned but died before it could mark the work done
    lifecycle.deprovision(later, TENANT, cloud_pc.id, cloud_pc.run, "Grace period ended")
    assert due_sweep.sweep(later) == 1
    assert later.due.list_due(later.clock()) == []
    assert deprovision_lines(later, cloud_pc.id) == ["deprovisioned"]


def test_a_restored_cloud_pc_survives_its_old_grace_entry(services: Services) -> None:
    then = at(services.engine, T0)
    cloud_pc = lifecycle.enter_grace(then, provisioned(then, 2), "test")
    lifecycle.restore_from_grace(then, cloud_pc)
    later = at(services.engine, T0 + timedelta(days=8))
    assert due_sweep.sweep(later) == 1
    assert later.cloud_pcs.get_cloud_pc(TENANT, cloud_pc.id).status == "provisioned"
