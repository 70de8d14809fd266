"""Windows 365's roles on a `windows365` tenant's report, read from what Windows 365 itself last said: a connection's
"First party app permissions" checks and its custom images' uploads, the latest word winning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.catalog.app_access import WINDOWS365_ROLES
from shared.models.connections import Connection, HealthCheck, HealthCheckStatusDetail
from shared.models.images import DeviceImage
from shared.models.sites import Site
from shared.ports.bundles import OnboardingPorts
from shared.services.backends.windows365_roles import windows365_role_checks

SUB = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
VNET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-eu"
T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
READER, INTERFACES, NETWORK = WINDOWS365_ROLES


class Listed:
    """The one page a tenant's connections and images fit in here."""

    def __init__(self, connections: list[Connection], images: list[DeviceImage]) -> None:
        self.connections, self.images = connections, images

    def list_connections(self, tenant_id: str, *, top: int = 100, skip_token: str | None = None) -> Any:
        return self.connections, None

    def list_all_images(self, tenant_id: str) -> list[DeviceImage]:
        return self.images


def connection(checks: list[tuple[str, str, str | None]]) -> Connection:
    results = [HealthCheck(name=n, display_name=n, status=s, end_date_time=T0, error_type=e) for n, s, e in checks]
    return Connection(
        id="c1",
        created_date_time=T0,
        last_modified_date_time=T0,
        tenant_id="t",
        display_name="HQ",
        site_id="s1",
        connection_type="azureADJoin",
        subscription_id=SUB,
        resource_group_name="rg-cloudpcs",
        region_name="westeurope",
        virtual_network_id=VNET,
        subnet_id=f"{VNET}/subnets/cloudpcs",
        cloud_pc_backend="windows365",
        health_check_status="failed",
        health_check_status_detail=HealthCheckStatusDetail(health_checks=results),
    )


def image(status: str, error_code: str | None, at: datetime) -> DeviceImage:
    return DeviceImage(
        id="i1",
        created_date_time=at,
        last_modified_date_time=at,
        tenant_id="t",
        display_name="Golden",
        site_id="s1",
        version="1.0.0",
        source_image_resource_id=f"/subscriptions/{SUB}/resourceGroups/rg-images/providers/"
        "Microsoft.Compute/images/golden",
        status=status,
        error_code=error_code,
        windows365_id="w1",
    )


def site(granted: datetime | None) -> Site:
    return Site(
        id="s1",
        created_date_time=T0,
        last_modified_date_time=T0,
        tenant_id="t",
        display_name="EU",
        region_name="westeurope",
        subscription_id=SUB,
        resource_group_name="rg-cloudpcs",
        subnet_id=f"{VNET}/subnets/cloudpcs",
        windows365_roles_granted_date_time=granted,
    )


def checks(listed: Listed, sites: list[Site] | None = None) -> dict[str, tuple[str, bool | None]]:
    ports = OnboardingPorts(
        sites=None,  # type: ignore[arg-type]
        access=None,  # type: ignore[arg-type]
        app_client_id=None,
        authority_host="",
        graph_endpoint="",
        portal_url=None,
        backends=None,  # type: ignore[arg-type]
        connections=listed,  # type: ignore[arg-type]
        images=listed,  # type: ignore[arg-type]
    )
    found = windows365_role_checks(ports, "t", sites or [])
    return {check.role.name: (check.scope, check.held) for check in found}


def test_each_role_is_what_its_check_last_said_and_a_check_that_failed_otherwise_tells_nothing() -> None:
    found = checks(
        Listed(
            [
                connection(
                    [
                        (READER.checked_by or "", "passed", None),
                        (INTERFACES.checked_by or "", "failed", INTERFACES.error_type),
                        (
                            NETWORK.checked_by or "",
                            "failed",
                            "permissionCheckTransientServiceError",
                        ),  # Windows 365's own hiccup
                    ]
                )
            ],
            [],
        )
    )
    assert found == {
        READER.name: (f"/subscriptions/{SUB}", True),
        INTERFACES.name: (f"/subscriptions/{SUB}/resourceGroups/rg-cloudpcs", False),
        NETWORK.name: (VNET, None),
    }


def test_a_later_upload_that_windows_365_could_read_outweighs_an_earlier_failed_check() -> None:
    failed = connection([(READER.checked_by or "", "failed", READER.error_type)])
    assert checks(Listed([failed], []))[READER.name][1] is False
    later = image("ready", None, T0 + timedelta(hours=1))
    assert checks(Listed([failed], [later]))[READER.name][1] is True
    earlier = image("failed", "sourceImageNotFound", T0 - timedelta(hours=1))
    assert checks(Listed([], [earlier]))[READER.name] == (f"/subscriptions/{SUB}", False)
    assert checks(Listed([], [image("pending", None, T0)]))[READER.name][1] is None  # nothing said yet


def test_a_site_asks_for_all_three_held_as_the_grant_said_until_windows_365_says_otherwise() -> None:
    asked = checks(Listed([], []), [site(None)])  # no connection yet: asked where the site says, not known
    assert asked == {
        READER.name: (f"/subscriptions/{SUB}", None),
        INTERFACES.name: (f"/subscriptions/{SUB}/resourceGroups/rg-cloudpcs", None),
        NETWORK.name: (VNET, None),
    }
    granted = checks(Listed([], []), [site(T0 - timedelta(hours=1))])
    assert {held for _, held in granted.values()} == {True}
    # Windows 365's check after the grant outweighs it; a grant after a failed check outweighs that
    failed = connection([(INTERFACES.checked_by or "", "failed", INTERFACES.error_type)])
    assert checks(Listed([failed], []), [site(T0 - timedelta(hours=1))])[INTERFACES.name][1] is False
    assert checks(Listed([failed], []), [site(T0 + timedelta(hours=1))])[INTERFACES.name][1] is True
