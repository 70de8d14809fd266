"""A Spot Group's session time limits: their bounds, the RDS policy values the configuration Run Command writes, and
a PATCH that merges them and configures every running host again (as a new profile path is)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.models.session_policies import SessionLimits
from shared.services.spot_pc.session_limits import POLICY_KEY, session_limit_script
from tests.fakes import Fakes
from tests.fakes.seed import TENANT
from tests.unit.test_spot_groups import body, deploy, deployed, fakes, update

__all__ = ["fakes"]  # the fixture, from the Spot Group tests


def policy_values(script: list[str]) -> dict[str, int | None]:
    """What each RDS time-limit value is set to by the script (None: removed)."""
    found: dict[str, int | None] = {}
    for line in script:
        if POLICY_KEY not in line or "-Name " not in line:
            continue
        name = line.split("-Name ", 1)[1].split(" ", 1)[0]
        found[name] = int(line.split("-Value ", 1)[1].split(" ", 1)[0]) if "New-ItemProperty" in line else None
    return found


def test_each_limit_is_its_policy_value_in_milliseconds_and_one_not_set_is_removed() -> None:
    script = session_limit_script(SessionLimits(idle_minutes=15, disconnected_minutes=120))
    assert script[0] == f"New-Item -Path '{POLICY_KEY}' -Force | Out-Null"
    assert POLICY_KEY == r"HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
    assert policy_values(script) == {
        "MaxIdleTime": 900_000,
        "MaxDisconnectionTime": 7_200_000,
        "MaxConnectionTime": None,
    }
    assert all(" -PropertyType DWord " in line for line in script if "New-ItemProperty" in line)
    assert set(policy_values(session_limit_script(None)).values()) == {None}


@pytest.mark.parametrize(
    ("limits", "bad"),
    [
        ({"idleMinutes": 0}, ["idleMinutes"]),
        ({"disconnectedMinutes": 7201, "activeMinutes": -5}, ["activeMinutes", "disconnectedMinutes"]),
        ({"idleMinutes": "soon", "activeMinutes": 60}, ["idleMinutes"]),
        ({"sleepMinutes": 5}, ["sleepMinutes"]),
    ],
)
def test_limits_outside_what_the_policy_offers_get_one_detail_each(limits: dict[str, Any], bad: list[str]) -> None:
    with pytest.raises(ValidationError) as refused:
        body("set", sessionLimits=limits)
    assert sorted(str(e["loc"][-1]) for e in refused.value.errors()) == bad
    assert all(e["loc"][0] == "sessionLimits" for e in refused.value.errors())
    assert body("set", sessionLimits={"idleMinutes": 1, "activeMinutes": 7200}).session_limits is not None


def test_a_new_host_gets_the_limits_in_its_one_configuration_run_command(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=7, sessionLimits={"idleMinutes": 30, "activeMinutes": 480})
    for host in fakes.spot_groups.list_hosts(TENANT, group_id):
        vm = fakes.compute.vms[(TENANT, host.name)]
        assert vm.commands == ["configureFslogix"]  # FSLogix and the limits together: no ARM write more
        [script] = vm.scripts
        assert any("FSLogix" in line for line in script)
        assert policy_values(script) == {
            "MaxIdleTime": 1_800_000,
            "MaxDisconnectionTime": None,
            "MaxConnectionTime": 28_800_000,
        }
        assert host.session_limits == SessionLimits(idle_minutes=30, active_minutes=480)


def test_a_change_of_the_limits_is_merged_and_applied_again_to_every_running_host(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=7, sessionLimits={"idleMinutes": 30})
    saved, run = update(fakes, group_id, sessionLimits={"disconnectedMinutes": 60})
    assert saved.status == "updating" and run is not None and run.reconfigure == [0, 1]
    assert saved.session_limits == SessionLimits(idle_minutes=30, disconnected_minutes=60)  # merged, not replaced
    assert deploy(fakes, run) == "succeeded"
    for host in fakes.spot_groups.list_hosts(TENANT, group_id):
        vm = fakes.compute.vms[(TENANT, host.name)]
        assert vm.commands == ["configureFslogix", "configureFslogix"]
        assert policy_values(vm.scripts[-1]) == {
            "MaxIdleTime": 1_800_000,
            "MaxDisconnectionTime": 3_600_000,
            "MaxConnectionTime": None,
        }
    same, nothing = update(fakes, group_id, sessionLimits={"idleMinutes": 30})
    assert nothing is None and same.status == "ready"  # nothing for Azure to follow
    cleared, run = update(fakes, group_id, sessionLimits=None)
    assert cleared.session_limits is None and run is not None and deploy(fakes, run) == "succeeded"
    assert all(
        set(policy_values(fakes.compute.vms[(TENANT, h.name)].scripts[-1]).values()) == {None}
        for h in fakes.spot_groups.list_hosts(TENANT, group_id)
    )
