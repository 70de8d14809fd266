"""The quiet-work sweep on Azurite and the local Durable engine: an image build or removal, or a Spot Group
deployment, saved without its orchestration (a crash between the two) is started by the app's timer, and one under
way is left alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from azure_emulator.launcher import EmulatorProcess
from orchestrators import names
from shared.bootstrap import Services
from shared.models.image_sets import ImageSetCreate
from shared.models.spot_groups import SpotGroup
from shared.services.spot_pc import image_sets
from tests.integration.conftest import create_app
from tests.utils.arm_admin import ArmAdmin
from tests.utils.durable_session import durable_engine, orchestrators_of
from tests.utils.factories import site_body
from tests.utils.function_client import FunctionClient
from tests.utils.onboarding import grant_app

SWEEP = "resumeQuietWork"  # the timer function
UNDER_WAY = (df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Running)
SOURCE = "microsoftwindowsdesktop_windows-11_win11-24h2-ent"

stub = df.Blueprint()


@stub.orchestration_trigger(context_name="context", orchestration=names.BUILD_IMAGE_VERSION)
def build_image_version(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Stands in for a build: under way until the test ends."""
    yield context.wait_for_external_event("never")


@stub.orchestration_trigger(context_name="context", orchestration=names.REMOVE_IMAGE_SET_RESOURCES)
def remove_image_set_resources(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.wait_for_external_event("never")


@stub.orchestration_trigger(context_name="context", orchestration=names.RUN_SPOT_GROUP_WORK)
def run_spot_group_work(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.wait_for_external_event("never")


def test_builds_and_removals_with_nothing_running_are_started_once(
    services: Services, client: FunctionClient, make_tenant: Callable[..., str], azure_emulator: EmulatorProcess
) -> None:
    entra = str(uuid.uuid4())  # onboarded: an image set's source is checked against its site region's marketplace
    arm = ArmAdmin(azure_emulator, entra)
    arm.resource_group("rg-cloudpcs")
    grant_app(azure_emulator, entra, arm.subscription_id)
    tenant_id = make_tenant(entraTenantId=entra)
    reply = client.post(f"/api/tenants/{tenant_id}/sites", site_body(subscriptionId=arm.subscription_id))
    assert reply.status == 201, reply.text
    site_id = reply.json()["id"]
    now = datetime.now(UTC)
    clock = [now]
    admin = replace(services.admin, clock=lambda: clock[0])
    sweep = _timer(replace(services, admin=admin))

    def saved(name: str) -> tuple[str, str]:
        body = {"displayName": name, "siteId": site_id, "sourceImageId": SOURCE}
        image_set, first = image_sets.create_image_set(admin, tenant_id, ImageSetCreate.model_validate(body))
        return image_set.id, first.version

    # a crash after saving: a set whose 0.0.0 is `building`, a set marked `deleting` and a Spot Group `deploying`,
    # with nothing running
    building = saved("Building")
    deleting = saved("Deleting")
    version = services.admin.image_sets.get_version(tenant_id, *deleting)
    services.admin.image_sets.put_version(version.model_copy(update={"status": "ready"}), if_match=version.etag)
    image_sets.delete_image_set(admin, tenant_id, deleting[0], if_match=None)
    build_id = names.image_build_instance_id(tenant_id, *building)
    removal_id = names.image_removal_instance_id(tenant_id, deleting[0], None)
    group = services.admin.spot_groups.put_spot_group(
        SpotGroup.model_validate(
            {
                "id": "group-1",
                "tenantId": tenant_id,
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "name": "sales",
                "friendlyName": "Sales",
                "profilePath": r"\\files\profiles",
                "userType": "pooled",
                "licenseCount": 1,
                "siteId": site_id,
                "groupIds": ["g"],
                "imageSetId": deleting[0],
                "imageVersion": "0.0.0",
                "imageVersionId": "/x",
                "vmSize": "Standard_D4s_v5",
                "maxSessionsPerHost": 6,
                "hostPoolName": "spotpc-sales",
            }
        )
    )
    deploy_id = names.spot_group_instance_id(tenant_id, group.id, "deploy")

    async def scenario() -> None:
        async with durable_engine(orchestrators_of(stub), "ImageWork") as (durable, binding):
            await sweep(timer=None, client=binding)  # just written: maybe starting right now, so left alone
            for instance in (build_id, removal_id, deploy_id):
                assert not await durable.get_status(instance)

            clock[0] = now + image_sets.QUIET + timedelta(minutes=1)
            await sweep(timer=None, client=binding)
            first = {i: await durable.get_status(i) for i in (build_id, removal_id, deploy_id)}
            assert all(status.runtime_status in UNDER_WAY for status in first.values())

            await sweep(timer=None, client=binding)  # under way now: not started again
            for instance, status in first.items():
                assert (await durable.get_status(instance)).created_time == status.created_time

    asyncio.run(scenario())


def _timer(services: Services) -> Any:
    app = create_app(services)
    (sweep,) = [f.get_user_function() for f in app.get_functions() if f.get_function_name() == SWEEP]
    return sweep
