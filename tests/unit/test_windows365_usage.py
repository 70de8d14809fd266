"""A windows365 tenant's usage from Windows 365's remote connection report, on the fakes: the last seven days' rows
written whole (a second run the same), a Cloud PC Windows 365 cannot answer for waits, and an azure tenant, whose
use watch counts as it goes, reads no report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.ports.windows365 import Windows365Connection
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, cloud_pc, tenant

NOW = datetime(2026, 11, 20, 2, 15, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_the_report_s_connections_of_the_last_seven_days_become_the_days_rows() -> None:
    fakes = Fakes(NOW)
    tenant(fakes, backend="windows365")
    cloud_pc(fakes, "adele", status="provisioned", windows365_id="w365-adele")
    cloud_pc(fakes, "ben", status="provisioned", windows365_id="w365-ben")
    fakes.windows365.remote_connections["w365-adele"] = [
        Windows365Connection(at(10, 9), at(10, 17)),  # before the window: read by an earlier day's run
        Windows365Connection(at(18, 23), at(19, 1)),
        Windows365Connection(at(19, 9), at(19, 9, 30)),
        Windows365Connection(at(20, 2), None),  # signed in now: counted to now
    ]
    ports = fakes.engine_ports()
    backend = ports.backends.of(TENANT)
    assert backend.import_usage(ports, TENANT, NOW) == 3
    assert backend.import_usage(ports, TENANT, NOW) == 3  # the same rows again, replaced whole
    rows = fakes.usage.list_usage_days(TENANT, date(2026, 11, 1), date(2026, 11, 20))
    assert [(r.day.day, r.cloud_pc_id, round(r.connected_minutes), r.sessions) for r in rows] == [
        (18, "cpc-adele", 60, 1),
        (19, "cpc-adele", 90, 1),
        (20, "cpc-adele", 15, 1),
    ]
    assert fakes.script.calls["list_remote_connections"] == 4  # a request per Cloud PC per run


def test_a_cloud_pc_windows_365_cannot_answer_for_waits_for_the_next_run() -> None:
    fakes = Fakes(NOW)
    tenant(fakes, backend="windows365")
    cloud_pc(fakes, "adele", status="provisioned", windows365_id="w365-adele")
    fakes.windows365.remote_connections["w365-adele"] = [Windows365Connection(at(19, 9), at(19, 10))]
    fakes.script.fail("list_remote_connections", code="TooManyRequests")
    ports = fakes.engine_ports()
    assert ports.backends.of(TENANT).import_usage(ports, TENANT, NOW) == 0
    assert ports.backends.of(TENANT).import_usage(ports, TENANT, NOW + timedelta(days=1)) == 1


def test_an_azure_tenant_reads_no_report() -> None:
    fakes = Fakes(NOW)
    tenant(fakes)
    cloud_pc(fakes, "ben", status="provisioned")
    ports = fakes.engine_ports()
    assert ports.backends.of(TENANT).import_usage(ports, TENANT, NOW) == 0
    assert fakes.script.calls["list_remote_connections"] == 0
