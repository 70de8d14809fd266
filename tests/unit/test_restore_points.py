"""A Cloud PC's restore points: read from Windows 365 for its Cloud PCs, newest first; none for the app's own."""

from __future__ import annotations

import pytest

from shared.errors import Conflict
from shared.ports.windows365 import Windows365Snapshot
from shared.services.cloud_pcs.cloud_pc_actions import create_snapshot, restore_snapshot
from shared.services.cloud_pcs.restore_points import restore_points
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, cloud_pc, tenant


def test_windows_365_s_restore_points_are_listed_newest_first() -> None:
    fakes = Fakes()
    tenant(fakes, backend="windows365")
    cloud_pc(fakes, "adele", status="provisioned", windows365_id="w365-pc")
    fakes.windows365.snapshots["w365-pc"] = [
        Windows365Snapshot("older", "2026-11-02T09:00:00Z", "automatic", "ready"),
        Windows365Snapshot("newer", "2026-11-02T21:00:00Z", "manual", "ready", "2026-11-09T21:00:00Z"),
    ]
    points = restore_points(fakes.engine_ports(), TENANT, "cpc-adele")
    assert [(p.id, p.snapshot_type) for p in points] == [("newer", "manual"), ("older", "automatic")]
    assert points[0].expiration_date_time is not None and points[1].expiration_date_time is None


def test_a_cloud_pc_the_app_provisions_has_none_to_list_take_or_restore() -> None:
    fakes = Fakes()
    tenant(fakes)
    cloud_pc(fakes, "ben", status="provisioned")
    ports = fakes.engine_ports()
    for attempt in (
        lambda: restore_points(ports, TENANT, "cpc-ben"),
        lambda: create_snapshot(ports, TENANT, "cpc-ben", "r1"),
        lambda: restore_snapshot(ports, TENANT, "cpc-ben", "s1", "r2"),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "backendNotServed"
    assert fakes.windows365.acted == [] and fakes.script.calls["list_snapshots"] == 0


def test_a_restore_is_asked_of_windows_365_and_followed() -> None:
    fakes = Fakes()
    tenant(fakes, backend="windows365")
    cloud_pc(fakes, "adele", status="provisioned", windows365_id="w365-pc")
    performed = restore_snapshot(fakes.engine_ports(), TENANT, "cpc-adele", "s1", "r1")
    assert performed.follow_backend and fakes.windows365.acted == [("w365-pc", "restore")]
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").status == "provisioned"  # Windows 365 reports the rest
