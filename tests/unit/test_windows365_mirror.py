"""Following the Cloud PCs Windows 365 provisions: a status the app does not know is in progress until one it knows
arrives, and a change's timeline line is written before the status it explains, once however often it is written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.catalog.service_plans import WINDOWS365_ID_BY_PLAN_ID
from shared.errors import PreconditionFailed
from shared.models.cloud_pcs import CloudPc
from shared.ports.windows365 import Windows365CloudPc
from shared.services.backends.windows365_mirror import mirror
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT, cloud_pc

REMOTE = "w365-adele"


def reported(status: str, changed: str, **fields: Any) -> Windows365CloudPc:
    return Windows365CloudPc(
        id=REMOTE,
        display_name="Finance - Adele",
        managed_device_name="CPC-adele-1",
        user_principal_name="adele@contoso.com",
        service_plan_id=WINDOWS365_ID_BY_PLAN_ID[PLAN],
        service_plan_name="Windows 365 Enterprise",
        provisioning_policy_id=None,
        status=status,
        last_modified_date_time=changed,
        **fields,
    )


def followed(fakes: Fakes) -> list[tuple[str, str]]:
    return [
        (line.outcome, line.message or "")
        for line in fakes.cloud_pcs.list_events(TENANT, "cpc-adele")
        if line.name == "windows365StatusChanged"
    ]


def seeded(status: str = "provisioned") -> Fakes:
    fakes = Fakes()
    cloud_pc(fakes, "adele", status=status, windows365_id=REMOTE)
    return fakes


@pytest.mark.parametrize("status", ["refreshPolicyConfiguration", "unknownFutureValue"])
def test_a_status_the_app_does_not_know_is_followed_as_in_progress_until_a_known_one_arrives(status: str) -> None:
    fakes = seeded()
    fakes.windows365.cloud_pcs[REMOTE] = reported(status, "2026-11-02T09:00:05Z")
    first = mirror(fakes.engine_ports(), TENANT)
    assert first.in_flight  # read again: Windows 365 is at work the app cannot name
    held = fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele")
    assert (held.status, held.windows365_status) == ("provisioned", status)  # the last status it knows, kept
    [(outcome, message)] = followed(fakes)
    assert outcome == "info" and f"reports {status}, a status this app does not know yet" in message
    assert "in progress" in message
    fakes.clock.advance(seconds=30)
    assert mirror(fakes.engine_ports(), TENANT).in_flight  # the same again: still followed, no second line
    assert len(followed(fakes)) == 1
    fakes.windows365.cloud_pcs[REMOTE] = reported("provisioned", "2026-11-02T09:01:00Z")
    assert not mirror(fakes.engine_ports(), TENANT).in_flight
    assert followed(fakes)[-1] == ("succeeded", "Windows 365 reports provisioned")
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").windows365_status == "provisioned"


def test_a_license_awaited_for_a_resize_is_in_progress() -> None:
    fakes = seeded()
    fakes.windows365.cloud_pcs[REMOTE] = reported("resizePendingLicense", "2026-11-02T09:00:05Z")
    assert mirror(fakes.engine_ports(), TENANT).in_flight
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").status == "resizePendingLicense"


class Refused:
    """The Cloud PC store, whose first `times` record writes are refused (another writer changed the row meanwhile)."""

    def __init__(self, fakes: Fakes, times: int) -> None:
        self._store, self._fakes, self.left, self.lines_then = fakes.cloud_pcs, fakes, times, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def upsert_cloud_pc(self, cloud_pc: CloudPc, if_match: str | None = None) -> CloudPc:
        if self.left:
            self.left, self.lines_then = self.left - 1, len(followed(self._fakes))
            raise PreconditionFailed.stale("cloudPc", cloud_pc.id)
        return self._store.upsert_cloud_pc(cloud_pc, if_match=if_match)


def failed_report(fakes: Fakes) -> None:
    fakes.windows365.cloud_pcs[REMOTE] = reported(
        "failed", "2026-11-02T09:00:05Z", status_code="intuneEnrollFailed", status_message="Intune enrollment failed"
    )


def test_a_failure_s_line_is_written_before_its_status_and_once_when_the_write_is_made_again() -> None:
    fakes = seeded("provisioning")
    failed_report(fakes)
    store = Refused(fakes, times=1)
    assert mirror(fakes.engine_ports(cloud_pcs=store), TENANT).changed == 1  # read again, written on what it is now
    assert store.lines_then == 1  # the reason was there before the status was written
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").status == "failed"
    assert followed(fakes) == [("failed", "Windows 365 reports failed: Intune enrollment failed")]


def test_a_record_another_writer_keeps_changing_waits_for_the_next_read_and_the_others_are_written() -> None:
    fakes = seeded("provisioning")
    cloud_pc(fakes, "ben", status="provisioning", windows365_id="remote-ben")
    failed_report(fakes)
    fakes.windows365.cloud_pcs["remote-ben"] = replace(
        reported("provisioned", "2026-11-02T09:00:05Z"), id="remote-ben", user_principal_name="ben@contoso.com"
    )
    contended = mirror(fakes.engine_ports(cloud_pcs=Refused(fakes, times=3)), TENANT)
    assert contended.in_flight and contended.changed == 1  # adele's three tries refused: read again later, no error
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").status == "provisioning"
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-ben").status == "provisioned"
    fakes.clock.advance(seconds=30)
    assert mirror(fakes.engine_ports(), TENANT).changed == 1
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").status == "failed"
    assert followed(fakes) == [("failed", "Windows 365 reports failed: Intune enrollment failed")]


def test_a_sign_in_windows_365_reports_is_when_its_user_last_connected_and_no_status_line() -> None:
    fakes = seeded()
    fakes.windows365.cloud_pcs[REMOTE] = reported("provisioned", "2026-11-02T09:00:05Z")
    mirror(fakes.engine_ports(), TENANT)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").last_connected_date_time is None  # never, to Graph
    lines = followed(fakes)
    fakes.windows365.cloud_pcs[REMOTE] = reported(
        "provisioned", "2026-11-02T09:00:05Z", last_login_date_time="2026-11-02T10:15:00.1234567Z"
    )
    assert mirror(fakes.engine_ports(), TENANT).changed == 1
    seen = fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").last_connected_date_time
    assert seen is not None and seen.isoformat() == "2026-11-02T10:15:00.123456+00:00"
    assert followed(fakes) == lines  # a sign-in changes no status
    fakes.windows365.cloud_pcs[REMOTE] = reported("provisioned", "2026-11-02T09:00:05Z")
    assert mirror(fakes.engine_ports(), TENANT).changed == 0  # Graph without it forgets nothing the app saw
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-adele").last_connected_date_time == seen
