"""Metering with a fake clock: a VM's power records, written as the app's clock stood, into the hours it existed
and ran on each UTC day of a range, and each Spot Group's peak of hosts existing at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.models.costs import MeteredDay, MeteredResource, PowerChange, PowerRecord
from shared.services.costs.metering import meter, peak_hosts
from tests.fakes import FakeClock

DAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday, midnight UTC


def host(name: str = "host-0", group: str = "g-1", size: str = "Standard_D4s_v5") -> MeteredResource:
    return MeteredResource(
        tenant_id="t1",
        resource_id=f"/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/{name}",
        kind="sessionHost",
        display_name=name,
        vm_size=size,
        region="westeurope",
        priority="spot",
        disk_tier="P10",
        spot_group_id=group,
    )


class Recorder:
    """The power records VMs leave, each at the fake clock's time, as the app's hooks write them."""

    def __init__(self) -> None:
        self.clock = FakeClock(DAY)
        self.records: list[PowerRecord] = []

    def at(self, hours: float, change: PowerChange, resource: MeteredResource | None = None) -> None:
        """`change` of the VM `hours` after DAY's midnight, as the clock then says."""
        self.clock.now = DAY + timedelta(hours=hours)
        self.records.append(PowerRecord(**(resource or host()).model_dump(), change=change, date_time=self.clock()))


def hours(days: list[MeteredDay]) -> list[tuple[date, str, float, float]]:
    return [(d.day, d.resource.vm_size, d.existed_hours, d.running_hours) for d in days]


def test_a_host_started_and_stopped_across_midnight_counts_on_each_day() -> None:
    vm = Recorder()
    vm.at(22, "created")  # Monday 22:00
    vm.at(27, "stopped")  # Tuesday 03:00
    assert hours(meter(vm.records, DAY, DAY + timedelta(days=2))) == [
        (date(2026, 11, 2), "Standard_D4s_v5", 2.0, 2.0),
        (date(2026, 11, 3), "Standard_D4s_v5", 24.0, 3.0),  # deallocated: it still exists, its disk bills
    ]


def test_a_deallocated_host_exists_all_day_and_runs_none_of_it() -> None:
    vm = Recorder()
    vm.at(9, "created")
    vm.at(17, "stopped")
    tuesday = DAY + timedelta(days=1)
    assert hours(meter(vm.records, tuesday, tuesday + timedelta(days=1))) == [
        (date(2026, 11, 3), "Standard_D4s_v5", 24.0, 0.0)
    ]


def test_a_month_boundary_splits_the_run_between_the_months() -> None:
    vm = Recorder()
    vm.at(28 * 24 + 20, "created")  # 30 November 20:00
    vm.at(28 * 24 + 28, "deleted")  # 1 December 04:00
    december = datetime(2026, 12, 1, tzinfo=UTC)
    assert hours(meter(vm.records, DAY - timedelta(days=1), december)) == [
        (date(2026, 11, 30), "Standard_D4s_v5", 4.0, 4.0)
    ]
    assert hours(meter(vm.records, december, datetime(2027, 1, 1, tzinfo=UTC))) == [
        (date(2026, 12, 1), "Standard_D4s_v5", 4.0, 4.0)
    ]


def test_a_retried_start_or_stop_counts_once() -> None:
    vm = Recorder()
    vm.at(8, "created")
    vm.at(8, "created")  # the same row written again
    vm.at(9, "stopped")
    vm.at(10, "started")
    vm.at(10.25, "started")  # a retried start: it runs already
    vm.at(17, "stopped")
    vm.at(17.5, "stopped")  # a retried stop: it is stopped already
    vm.at(20, "deleted")
    vm.at(21, "deleted")
    assert hours(meter(vm.records, DAY, DAY + timedelta(days=1))) == [(date(2026, 11, 2), "Standard_D4s_v5", 12.0, 8.0)]


def test_a_vm_resized_mid_day_has_an_entry_for_each_size() -> None:
    vm = Recorder()
    vm.at(8, "created", host(size="Standard_D2s_v5"))
    vm.at(12, "stopped", host(size="Standard_D2s_v5"))  # deallocated to be resized
    vm.at(12.5, "started", host(size="Standard_D8s_v5"))
    vm.at(18, "deleted", host(size="Standard_D8s_v5"))
    assert sorted(hours(meter(vm.records, DAY, DAY + timedelta(days=1)))) == [
        (date(2026, 11, 2), "Standard_D2s_v5", 4.5, 4.0),
        (date(2026, 11, 2), "Standard_D8s_v5", 5.5, 5.5),
    ]


def test_a_range_is_metered_only_up_to_its_end() -> None:
    vm = Recorder()
    vm.at(9, "created")  # and still running at noon, when the report is asked for
    assert hours(meter(vm.records, DAY, DAY + timedelta(hours=12))) == [
        (date(2026, 11, 2), "Standard_D4s_v5", 3.0, 3.0)
    ]


def test_peak_hosts_counts_the_most_hosts_of_a_group_existing_at_once() -> None:
    vm = Recorder()
    vm.at(8, "created", host("host-0"))
    vm.at(9, "created", host("host-1"))
    vm.at(11, "created", host("host-2"))
    vm.at(12, "deleted", host("host-1"))
    vm.at(12, "created", host("host-3"))  # made as another went: three at once, not four
    vm.at(13, "stopped", host("host-2"))  # deallocated, it still exists
    vm.at(10, "created", host("other-0", group="g-2"))
    vm.at(18, "deleted", host("host-0"))
    assert peak_hosts(vm.records, DAY, DAY + timedelta(days=1)) == {"g-1": 3, "g-2": 1}
    assert peak_hosts(vm.records, DAY + timedelta(hours=12, minutes=30), DAY + timedelta(days=1)) == {
        "g-1": 3,
        "g-2": 1,
    }
    assert peak_hosts(vm.records, DAY, DAY + timedelta(hours=8, minutes=30)) == {"g-1": 1}
