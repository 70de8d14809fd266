"""Where a Cloud PC's user connects: the AVD host pool of its policy in its site on `azure`, Windows 365's own
addresses on `windows365`; nowhere before it is provisioned or once it is in its grace period."""

from __future__ import annotations

import pytest

from shared.errors import Conflict, NotFound
from shared.models.cloud_pcs import BuildSettings
from shared.models.tenants import BackendName
from shared.services.cloud_pcs.desktop_brokering import FEED_URL, WEB_CLIENT_URL, launch_info
from tests.fakes import Fakes
from tests.fakes.seed import GALLERY_IMAGE, REGION, SUBSCRIPTION, TENANT, cloud_pc, tenant

BUILD = BuildSettings(
    image_type="gallery",
    image_id=GALLERY_IMAGE,
    image_display_name="Windows 11",
    domain_join_type="azureADJoin",
    region_name=REGION,
    subscription_id=SUBSCRIPTION,
    resource_group="rg-cloudpcs",
    vm_size="Standard_D2s_v5",
    os_disk_size_gb=128,
    naming_template="CPC-%USERNAME:4%-%RAND:5%",
)


def test_an_azure_cloud_pc_is_reached_through_its_policy_s_host_pool_in_its_site() -> None:
    fakes = Fakes()
    tenant(fakes)
    cloud_pc(fakes, "ann", "Finance", status="provisioned", build=BUILD)
    info = launch_info(fakes.engine_ports(), TENANT, "cpc-ann")
    provider = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-cloudpcs/providers/Microsoft.DesktopVirtualization"
    pool = f"cpc-finance-{REGION}"
    assert info.model_dump() == {  # camelCase on the wire
        "cloudPcId": "cpc-ann",
        "feedUrl": FEED_URL,
        "webClientUrl": WEB_CLIENT_URL,
        "hostPoolId": f"{provider}/hostPools/{pool}",
        "workspaceId": f"{provider}/workspaces/{pool}-ws",
        "applicationGroupId": f"{provider}/applicationGroups/{pool}-dag",
        "startsOnConnect": True,
    }


def test_a_windows_365_cloud_pc_is_reached_through_windows_365_without_asking_graph() -> None:
    fakes = Fakes()
    tenant(fakes, backend="windows365")
    cloud_pc(fakes, "adele", status="provisionedWithWarnings", windows365_id="w365-pc")
    info = launch_info(fakes.engine_ports(), TENANT, "cpc-adele")
    assert (info.feed_url, info.web_client_url) == (FEED_URL, "https://windows365.microsoft.com")
    assert info.host_pool_id is info.workspace_id is info.application_group_id is None
    assert not info.starts_on_connect and fakes.windows365.acted == []


@pytest.mark.parametrize("backend", ["azure", "windows365"])
@pytest.mark.parametrize(
    ("status", "why"),
    [
        ("pendingProvision", "not provisioned yet"),
        ("provisioning", "not provisioned yet"),
        ("inGracePeriod", "its user has lost it"),
    ],
)
def test_nobody_connects_before_provisioned_or_in_grace(backend: BackendName, status: str, why: str) -> None:
    fakes = Fakes()
    tenant(fakes, backend=backend)
    cloud_pc(fakes, "ann", status=status, build=BUILD, windows365_id="w365-pc")
    with pytest.raises(Conflict) as refused:
        launch_info(fakes.engine_ports(), TENANT, "cpc-ann")
    assert (refused.value.code, refused.value.target) == ("wrongStatus", "status")
    assert status in str(refused.value) and why in str(refused.value)


def test_an_unknown_cloud_pc_is_not_found() -> None:
    fakes = Fakes()
    tenant(fakes)
    with pytest.raises(NotFound):
        launch_info(fakes.engine_ports(), TENANT, "cpc-nobody")
