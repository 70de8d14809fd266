"""Timer benchmarks: one tick of the Spot Group optimization over many groups in many tenants, through devhost and the
Azure emulator, and what a lifecycle sweep reads among many Cloud PCs with a few due.

Run: .venv/bin/python -m bench.timer_ticks [--tenants 50] [--groups 500] [--cloud-pcs 100000] [--due 100]
The optimization: each tenant its own Entra tenant and subscription in the emulator, each group a pooled host pool
there with one registered session host (made with the app's own adapters), and the app's rows written directly (a
deployment through the API would take the benchmark's time, not the tick's). The timer is run through the host's
admin endpoint; printed: the seconds from the tick to the last group's message processed (the queue empty: a message
is deleted once done), the groups whose load the tick recorded, and those left in the poison queue.
The sweep: the due-work index of as many Cloud PCs, each in its grace period, `--due` of them expired; printed: the
rows and requests the sweep's read took and its time, beside a read of the whole index for scale.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from azure_emulator.launcher import EmulatorProcess
from bench.scenario import app_host, print_result, storage_and_azure
from devhost.azurite import Azurite
from shared.bootstrap import Services, build_services
from shared.models.lifecycle import DueWork
from shared.models.session_hosts import SessionHost
from shared.models.sites import Site
from shared.models.spot_groups import SpotGroup
from shared.models.tenants import Tenant
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import HostPoolSpec
from shared.services.spot_pc.spot_group_power import slot_of
from shared.settings import Settings
from shared.storage.account import storage_account
from shared.storage.lifecycle import PARTITION
from shared.storage.table_service import RequestCounter
from shared.storage.tables import EntityRepository
from tests.utils.arm_admin import ArmAdmin
from tests.utils.onboarding import grant_app
from tests.utils.progress import marketplace_vm, until_done

ROOT = Path(__file__).resolve().parent.parent
RG, REGION = "rg-spot", "westeurope"
MARKETPLACE = "microsoftwindowsdesktop_windows-11_win11-24h2-avd"
SLOW_OPERATIONS = ("createVm", "joinEntra", "runCommand")
SEEDING_THREADS = 8
NEVER = "0 0 0 1 1 *"  # the timer runs when the benchmark says, through the admin endpoint


def seed_tenant(services: Services, emulator: EmulatorProcess, index: int, groups: int, now: datetime) -> None:
    """A customer's tenant: its subscription and resource group, the app onboarded, and `groups` ready pooled Spot
    Groups, each with its host pool and one registered, running session host."""
    entra = str(uuid.uuid4())
    admin = ArmAdmin(emulator, entra)
    admin.resource_group(RG, REGION)
    grant_app(emulator, entra, admin.subscription_id)
    tenant_id, site_id = f"bench-{index:03d}", f"site-{index:03d}"
    stamp = {"created_date_time": now, "last_modified_date_time": now}
    ports = services.spot_group_work
    services.admin.tenants.upsert_tenant(
        Tenant(
            id=tenant_id,
            display_name=f"Bench {index}",
            entra_tenant_id=entra,
            subscription_ids=[admin.subscription_id],
            **stamp,
        )
    )
    site = Site(
        id=site_id,
        tenant_id=tenant_id,
        display_name="EU",
        region_name=REGION,
        subscription_id=admin.subscription_id,
        resource_group_name=RG,
        **stamp,
    )
    services.admin.sites.upsert_site(site)
    placement = Placement(admin.subscription_id, RG, REGION)
    for number in range(groups):
        group_id, pool = f"sg-{index:03d}-{number:03d}", f"hp-{index:03d}-{number:03d}"
        spec = HostPoolSpec(
            placement=placement,
            host_pool=pool,
            pool_type="pooled",
            max_sessions=4,
            friendly_name=pool,
            user_group_ids=(),
        )
        until_done(lambda op: ports.avd.ensure_host_pool(tenant_id, spec, op))  # noqa: B023 (called at once)
        vm = marketplace_vm(ports.compute, tenant_id, placement, MARKETPLACE, f"h{index:03d}{number:03d}")
        until_done(lambda op: ports.avd.register_session_host(tenant_id, placement, pool, vm, op))  # noqa: B023
        ports.spot_groups.put_spot_group(
            SpotGroup(
                id=group_id,
                tenant_id=tenant_id,
                name=group_id,
                friendly_name=group_id,
                profile_path=r"\\files\profiles",
                user_type="pooled",
                license_count=4,
                site_id=site_id,
                group_ids=[],
                image_set_id="bench",
                image_version="0.0.0",
                image_version_id="bench",
                vm_size="Standard_D2s_v5",
                max_sessions_per_host=4,
                host_pool_name=pool,
                status="ready",
                **stamp,
            )
        )
        ports.spot_groups.put_host(
            tenant_id,
            group_id,
            SessionHost(
                name=vm,
                index=0,
                status="running",
                power_state="running",
                image_version="0.0.0",
                running_since=now,
            ),
        )


def optimization_tick(
    tenants: int, groups: int, azurite: Azurite, emulator: EmulatorProcess, workdir: Path
) -> dict[str, Any]:
    control = emulator.session()
    for operation in SLOW_OPERATIONS:
        control.put(f"{emulator.base_url}/emulator/latency/{operation}", json={"seconds": 0})
    tag = f"tick{groups}"
    queue_name = f"bench-timer-{tag}"
    services = build_services(Settings(storage_connection_string=azurite.connection_string, table_name_prefix=tag))
    now = datetime.now(UTC)
    started = time.monotonic()
    per_tenant = [groups // tenants + (1 if i < groups % tenants else 0) for i in range(tenants)]
    with ThreadPoolExecutor(SEEDING_THREADS) as pool:
        for done in [pool.submit(seed_tenant, services, emulator, i, n, now) for i, n in enumerate(per_tenant)]:
            done.result()
    seeded_s = time.monotonic() - started
    host = app_host(azurite, emulator, tag, workdir, {"TIMER_WORK_QUEUE": queue_name, "SPOT_OPTIMIZE_SCHEDULE": NEVER})
    queues = storage_account(services.settings)
    work, poison = queues.queue(queue_name), queues.queue(f"{queue_name}-poison")
    try:
        tick = datetime.now(UTC)
        started = time.monotonic()
        invoked = requests.post(f"{host.base_url}/admin/functions/optimizeSpotGroups", json={"input": ""}, timeout=60)
        assert invoked.status_code == 202, invoked.text
        while waiting(work) or time.monotonic() - started < 1.0:  # the timer's own run queues them first
            time.sleep(0.1)
        wall = time.monotonic() - started
        poisoned = waiting(poison)
    finally:
        host.stop()
    ports = services.spot_group_work
    recorded = sum(
        1
        for tenant_id, group_id in ports.spot_groups.ready_keys()
        if ports.schedules.list_loads(tenant_id, group_id, slot_of(tick))
    )
    return {
        "tenants": tenants,
        "groups": groups,
        "seeded_s": seeded_s,
        "tick_to_last_processed_s": wall,
        "groups_recorded": recorded,
        "poisoned": poisoned,
        "target_s": 60.0,
    }


def waiting(queue: Any) -> int:
    """Messages in the queue, those being processed included (a processed one is deleted)."""
    try:
        return int(queue.get_queue_properties().approximate_message_count)
    except Exception:  # not made yet: nothing was ever sent to it
        return 0


def sweep_read(cloud_pcs: int, due: int, azurite: Azurite) -> dict[str, Any]:
    settings = Settings(storage_connection_string=azurite.connection_string, table_name_prefix=f"sweep{cloud_pcs}")
    services = build_services(settings)
    now = datetime.now(UTC)
    index = EntityRepository(services.storage, "LifecycleDue", DueWork, kind="Due work")

    def entry(number: int) -> tuple[DueWork, str, str]:
        expires = now - timedelta(minutes=number + 1) if number < due else now + timedelta(days=7, seconds=-number)
        work = DueWork(
            kind="graceExpiry",
            due_date_time=expires,
            tenant_id=f"t{number % 100:02d}",
            cloud_pc_id=f"cpc-{number:06d}",
            run=1,
            generation=1,
        )
        return work, PARTITION, work.key

    started = time.monotonic()
    chunks = [range(first, min(first + 5000, cloud_pcs)) for first in range(0, cloud_pcs, 5000)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda chunk: index.put_many(entry(n) for n in chunk), chunks))
    seeded_s = time.monotonic() - started
    requests, started = RequestCounter.in_this_thread(), time.monotonic()
    read = services.engine.due.list_due(now, top=1000)  # what one sweep reads, up to all that is due
    read_s, requests = time.monotonic() - started, RequestCounter.in_this_thread() - requests
    started = time.monotonic()
    everything = sum(1 for _ in index.row_keys("PartitionKey eq @p", {"p": PARTITION}))
    scan_s = time.monotonic() - started
    return {
        "cloud_pcs": cloud_pcs,
        "due": due,
        "seeded_s": seeded_s,
        "rows_read": len(read),
        "requests": requests,
        "read_s": read_s,
        "index_rows": everything,
        "index_scan_s": scan_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--groups", type=int, default=500, help="ready pooled Spot Groups, spread over the tenants")
    parser.add_argument("--cloud-pcs", type=int, default=100_000, help="Cloud PCs in the due-work index")
    parser.add_argument("--due", type=int, default=100, help="of them, whose grace period has expired")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with storage_and_azure() as (azurite, emulator, workdir):
        os.environ.update(emulator.app_settings())  # the app's adapters in this process, as on the host
        for result in (
            sweep_read(args.cloud_pcs, args.due, azurite),
            optimization_tick(args.tenants, args.groups, azurite, emulator, workdir),
        ):
            print_result(result)


if __name__ == "__main__":
    main()
