"""Starting orchestrations under deterministic ids, where a duplicate start means the same work."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import azure.durable_functions as df
from opentelemetry.trace import SpanKind

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import (
    Contract,
    HealthCheckRun,
    ImageBuildRun,
    ImageImport,
    ImageRemovalRun,
    ProvisionInput,
    SpotGroupRun,
    Traced,
    Windows365MirrorRun,
)

STARTS_AT_ONCE = 20
START_TRIES = 3  # a start refused by an instance that then ended is tried again; one that keeps ending is an error
TRACED_IDS = ("tenant_id", "cloud_pc_id", "spot_group_id", "image_set_id")
INSTANCE = "cloudpc.instance_id"  # the span attribute naming the orchestration instance a start is for
# The statuses in which the host refuses a second start with the same id (host.json's
# overridableExistingInstanceStates "NonRunningStates"); a finished instance is replaced instead.
UNDER_WAY = frozenset(
    {
        df.OrchestrationRuntimeStatus.Pending,
        df.OrchestrationRuntimeStatus.Running,
        df.OrchestrationRuntimeStatus.ContinuedAsNew,
        df.OrchestrationRuntimeStatus.Suspended,
    }
)


async def start_orchestration(
    client: df.DurableOrchestrationClient, name: str, instance_id: str, payload: Contract
) -> bool:
    """Start `name` as `instance_id` with `payload`; True if this call started it, False if it was under way.

    The start is tried first, so the usual case is one request. A refused start is only "already exists"
    when the instance's status says so: the SDK surfaces every refusal as a bare Exception whose text is
    the host's, so its wording decides nothing here. An instance that ended between the refusal and the status read
    is replaced now, so the start is tried again. Anything else - the host down, a bad name - is raised.
    """
    ids = telemetry.ids_of(payload.model_dump(by_alias=True, include=set(TRACED_IDS)))
    with telemetry.span(f"start {name}", kind=SpanKind.PRODUCER, ids=ids, attributes={INSTANCE: instance_id}):
        if isinstance(payload, Traced):  # the orchestration's activities continue this span's trace
            payload = payload.model_copy(update={"traceparent": telemetry.traceparent()})
        return await _start(client, name, instance_id, payload)


async def _start(client: df.DurableOrchestrationClient, name: str, instance_id: str, payload: Contract) -> bool:
    body = payload.model_dump(mode="json", by_alias=True)
    tries = 1
    while True:
        try:
            await client.start_new(name, instance_id, body)
            return True
        except Exception as refused:
            try:
                existing = await client.get_status(instance_id)
            except Exception:
                raise refused from None  # the status could not be read either: the start's error is the one to see
            # an unknown instance answers a status without a runtime status (404 with an empty body)
            status = getattr(existing, "runtime_status", None)
            if status in UNDER_WAY:
                return False
            if status is None or tries == START_TRIES:
                raise
            tries += 1  # it ended between the refusal and the read, so the host now replaces it: start again


async def follow_backend(client: df.DurableOrchestrationClient, tenant_id: str, asked: str) -> bool:
    """Follow a tenant's Cloud PCs after a change was asked of a backend that carries it out on its own, as Windows
    365 does, whose Cloud PCs its mirror follows (`asked`: the request's or the message's id); True if a follower began.

    One follower a tenant reads for all; but one under way may be on its last read, made before the change, and end
    without seeing it. So when the tenant's follower is under way, the change gets one of its own, which reads from
    now on (its id is the change's, so a repeat of the same message collapses into it)."""
    run = Windows365MirrorRun(tenant_id=tenant_id)
    for instance in (
        names.windows365_mirror_instance_id(tenant_id),
        names.windows365_mirror_instance_id(tenant_id, asked),
    ):
        if await start_orchestration(client, names.MIRROR_WINDOWS365_CLOUD_PCS, instance, run):
            return True
    return False


async def start_all(client: df.DurableOrchestrationClient, name: str, starts: Sequence[tuple[str, Contract]]) -> int:
    """Each (instance id, payload) started as by `start_orchestration`, STARTS_AT_ONCE at a time; how many began.

    The bound keeps the host's API responsive while a reconcile starts thousands of runs.
    """
    started = 0
    for first in range(0, len(starts), STARTS_AT_ONCE):
        batch = starts[first : first + STARTS_AT_ONCE]
        results = await asyncio.gather(*(start_orchestration(client, name, iid, payload) for iid, payload in batch))
        started += sum(results)
    return started


async def start_provisioning(client: df.DurableOrchestrationClient, runs: Sequence[ProvisionInput]) -> int:
    """One orchestration per Cloud PC run, started directly: no orchestration's history depends on the tenant.

    The instance id is deterministic, so a re-delivered message or a second reconcile collapses into the
    same instance. How many attempts a run gets is the app's setting, read by the activity, not the input.
    """
    starts = [(names.cloud_pc_instance_id(run.tenant_id, run.cloud_pc_id, run.run), run) for run in runs]
    return await start_all(client, names.PROVISION_CLOUD_PC, starts)


async def start_image_work(client: df.DurableOrchestrationClient, run: ImageBuildRun | ImageRemovalRun) -> bool:
    """A version's build, or a version's or set's removal, under its one instance id; True if this call began it."""
    if isinstance(run, ImageBuildRun):
        instance = names.image_build_instance_id(run.tenant_id, run.image_set_id, run.version)
        return await start_orchestration(client, names.BUILD_IMAGE_VERSION, instance, run)
    instance = names.image_removal_instance_id(run.tenant_id, run.image_set_id, run.version)
    return await start_orchestration(client, names.REMOVE_IMAGE_SET_RESOURCES, instance, run)


async def start_spot_group_work(client: df.DurableOrchestrationClient, run: SpotGroupRun) -> bool:
    """A group's deployment or removal, or a host its scaling makes or deletes, under its one instance id; True if
    this call began it."""
    instance = (
        names.host_scaling_instance_id(run.tenant_id, run.spot_group_id, run.host or 0, run.host_work or "add")
        if run.work == "scale"
        else names.spot_group_instance_id(run.tenant_id, run.spot_group_id, run.work)
    )
    return await start_orchestration(client, names.RUN_SPOT_GROUP_WORK, instance, run)


async def start_background_work(
    client: df.DurableOrchestrationClient,
    run: ImageBuildRun | ImageRemovalRun | SpotGroupRun | HealthCheckRun | ImageImport,
) -> bool:
    """Whichever of the runs above `run` is, or a connection's health checks, or a device image's import."""
    if isinstance(run, SpotGroupRun):
        return await start_spot_group_work(client, run)
    if isinstance(run, HealthCheckRun):
        instance = names.health_check_instance_id(run.tenant_id, run.connection_id, run.run)
        return await start_orchestration(client, names.CONNECTION_HEALTH_CHECK, instance, run)
    if isinstance(run, ImageImport):
        instance = names.image_import_instance_id(run.tenant_id, run.image_id)
        return await start_orchestration(client, names.IMPORT_DEVICE_IMAGE, instance, run)
    return await start_image_work(client, run)
