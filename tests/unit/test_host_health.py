"""The healing rule: which pooled hosts are broken, for how long, and how many are replaced at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.mgmt.desktopvirtualization.models import Status

from shared.models.failures import StepDetail
from shared.models.session_hosts import SessionHost
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.host_health import (
    HEAL_AFTER,
    HOST_UNHEALTHY,
    NEEDS_REPLACEMENT,
    mark_unhealthy,
    plan_healing,
    plan_repairs,
)

T0 = datetime(2026, 6, 15, 9, tzinfo=UTC)
# every session host status of AVD's API (SessionHostProperties.status of the REST spec), and whether a running host
# reporting it is broken: only Available and Upgrading (the agent updating itself, back once done) take sessions;
# Shutdown is a personal host's rest (its VM off while its user is away) but a fault of a pooled host meant to run
PASSES = {"Available": (False, False), "Upgrading": (False, False), "Shutdown": (True, False)}
BROKEN = (
    "Unavailable",
    "Disconnected",
    "UpgradeFailed",
    "NoHeartbeat",
    "NotJoinedToDomain",
    "DomainTrustRelationshipLost",
    "SxSStackListenerNotReady",
    "FSLogixNotHealthy",
    "NeedsAssistance",
)


def host(index: int, power: str = "running", since: datetime | None = None, status: str = "running") -> SessionHost:
    return SessionHost(
        name=f"h{index}", index=index, status=status, power_state=power, image_version="1", unhealthy_since=since
    )


def live(**statuses: str) -> dict[str, SessionHostRecord]:
    return {name: SessionHostRecord(name, status, True, 0) for name, status in statuses.items()}


def test_a_host_is_unhealthy_while_it_should_run_and_its_agent_or_pool_says_otherwise() -> None:
    hosts = [host(0), host(1), host(2), host(3, "deallocated"), host(4)]
    pool = live(h0="Available", h1="NeedsAssistance", h3="Shutdown", h4="Upgrading")  # h2 is not listed
    assert [(h.name, h.unhealthy_since) for h in mark_unhealthy(hosts, pool, T0)] == [("h1", T0), ("h2", T0)]
    # healthy again: the mark goes
    marked = [host(1, since=T0)]
    assert [h.unhealthy_since for h in mark_unhealthy(marked, live(h1="Available"), T0 + HEAL_AFTER)] == [None]


def test_a_host_unhealthy_for_the_delay_is_replaced_with_the_reason() -> None:
    hosts = [host(0), host(1, since=T0), host(2)]
    pool = live(h0="Available", h1="NoHeartbeat", h2="Available")
    assert plan_healing(hosts, pool, T0 + HEAL_AFTER - timedelta(seconds=1)) == ([], None)
    decisions, held = plan_healing(hosts, pool, T0 + HEAL_AFTER)
    assert [(d.host, d.reason) for d in decisions] == [("h1", "replaced h1: its agent reports NoHeartbeat for 15 min")]
    assert held is None


def test_at_most_a_third_of_the_pool_is_replaced_at_once() -> None:
    hosts = [host(i, since=T0) for i in range(4)] + [host(i) for i in range(4, 9)]
    pool = live(**{f"h{i}": "Unavailable" for i in range(4)}, **{f"h{i}": "Available" for i in range(4, 9)})
    decisions, held = plan_healing(hosts, pool, T0 + HEAL_AFTER)
    assert [d.host for d in decisions] == ["h0", "h1", "h2"] and held is not None and "1 more wait" in held
    # one already being replaced takes a place
    detail = StepDetail(code=HOST_UNHEALTHY, step="heal", message="replaced")
    replacing = hosts[0].model_copy(update={"status": "removing", "status_detail": detail})
    decisions, _ = plan_healing([replacing, *hosts[1:]], pool, T0 + HEAL_AFTER)
    assert [d.host for d in decisions] == ["h1", "h2"]


def test_a_pool_wide_outage_replaces_nothing_and_says_why() -> None:
    hosts = [host(i, since=T0) for i in range(3)]
    decisions, held = plan_healing(hosts, live(), T0 + HEAL_AFTER)  # the pool lists none of them
    assert decisions == [] and held is not None and "outage" in held
    # a pool of one broken host is healed: there is nothing to tell an outage from
    decisions, held = plan_healing(hosts[:1], live(), T0 + HEAL_AFTER)
    assert [d.host for d in decisions] == ["h0"] and held is None


def test_a_broken_personal_host_is_restarted_then_its_agent_installed_again_then_its_users_consent_asked() -> None:
    pool = live(h0="NoHeartbeat", h1="Shutdown")  # h1's user is away: its VM off is its rest, not a fault
    hosts = [host(0, since=T0), host(1, "deallocated", since=None)]
    assert [h.name for h in mark_unhealthy(hosts, pool, T0, personal=True)] == []  # h0 marked already, h1 fine
    assert plan_repairs(hosts, pool, T0 + HEAL_AFTER - timedelta(seconds=1)) == []
    steps = []
    repairs, since = 0, T0
    for _ in range(4):
        now = since + HEAL_AFTER
        decisions = plan_repairs(
            [
                host(0, since=since).model_copy(
                    update={
                        "repairs": repairs,
                        "status_detail": (
                            StepDetail(code=NEEDS_REPLACEMENT, step="repair", message="asked") if repairs > 2 else None
                        ),
                    }
                )
            ],
            pool,
            now,
        )
        steps += [d.step for d in decisions]
        repairs, since = repairs + 1, now
    assert steps == ["restart", "reinstallAgent", "askConsent"]  # and asked once, not at every run after
    # healthy again: the mark, the repairs and the request for consent go
    asked = host(0, since=T0).model_copy(
        update={"repairs": 2, "status_detail": StepDetail(code=NEEDS_REPLACEMENT, step="repair", message="asked")}
    )
    (cleared,) = mark_unhealthy([asked], live(h0="Available"), T0, personal=True)
    assert (cleared.unhealthy_since, cleared.repairs, cleared.status_detail) == (None, 0, None)


def test_the_rule_reads_every_status_of_avds_enum_as_avd_means_it() -> None:
    assert {s.value for s in Status} == set(PASSES) | set(BROKEN), "the enum and this table agree"
    for status in [s.value for s in Status]:
        pooled, personal = PASSES.get(status, (True, True))
        for is_personal, broken in ((False, pooled), (True, personal)):
            marked = mark_unhealthy([host(0)], live(h0=status), T0, personal=is_personal)
            assert bool(marked) is broken, (status, is_personal)


@pytest.mark.parametrize("status", BROKEN)
def test_a_pooled_host_broken_so_is_replaced_and_a_personal_one_repaired(status: str) -> None:
    decisions, _ = plan_healing([host(0, since=T0), host(1)], live(h0=status, h1="Available"), T0 + HEAL_AFTER)
    assert [(d.host, d.reason) for d in decisions] == [("h0", f"replaced h0: its agent reports {status} for 15 min")]
    [repair] = plan_repairs([host(0, since=T0)], live(h0=status), T0 + HEAL_AFTER)
    assert (repair.host, repair.step) == ("h0", "restart")
