"""The Spot PC state machines: every (status, action) pair of Spot Groups, session hosts, image updates, image
sets and their versions."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from shared.errors import Conflict
from shared.models.image_sets import VersionStatus
from shared.models.session_hosts import SessionHost
from shared.services.engine.state_machines import StateMachine
from shared.services.spot_pc.spot_pc_transitions import (
    IMAGE_SET_VERSIONS,
    IMAGE_SETS,
    IMAGE_UPDATES,
    SESSION_HOSTS,
    SPOT_GROUPS,
)

VERSIONS: tuple[str, ...] = get_args(VersionStatus)
# Written out by hand, independently of the module: (allowed from, status after)
EXPECTED: dict[str, dict[str, tuple[set[str], str]]] = {
    "Spot Group": {
        "update": ({"ready", "failed"}, "updating"),
        "updateImage": ({"ready", "failed"}, "updating"),
        "delete": ({"ready", "failed", "updating", "deleting"}, "deleting"),  # not while it is first deployed
        "finish": ({"deploying", "updating", "ready"}, "ready"),
        "fail": ({"deploying", "updating", "deleting", "failed"}, "failed"),
    },
    "session host": {
        "register": ({"creating", "removing", "running"}, "running"),
        "drain": ({"creating", "running", "removing", "failed"}, "removing"),
        "fail": ({"creating", "running", "removing", "failed"}, "failed"),
    },
    "image update": {
        "awaitWindow": ({"running", "waitingForWindow"}, "waitingForWindow"),
        "resume": ({"running", "waitingForWindow"}, "running"),
        "cancel": ({"running", "waitingForWindow"}, "cancelling"),
        "succeed": ({"running", "waitingForWindow", "cancelling", "succeeded"}, "succeeded"),
        "fail": ({"running", "waitingForWindow", "cancelling", "failed"}, "failed"),
        "rollBack": ({"running", "waitingForWindow", "cancelling", "rolledBack"}, "rolledBack"),
        "stop": ({"running", "waitingForWindow", "cancelling", "cancelled"}, "cancelled"),
    },
    "image set version": {
        "await": ({"building", "awaitingCustomization"}, "awaitingCustomization"),
        "capture": ({"building", "awaitingCustomization", "capturing"}, "capturing"),
        "replicate": ({"building", "awaitingCustomization", "capturing", "replicating"}, "replicating"),
        "finish": ({"building", "awaitingCustomization", "capturing", "replicating", "ready"}, "ready"),
        "fail": (set(VERSIONS), "failed"),
        "delete": ({"ready", "failed"}, "deleting"),
    },
    "image set": {  # "follow" leads to the status it is given: tested below
        "delete": (set(VERSIONS), "deleting"),
        "fail": ({"deleting", "failed"}, "failed"),
    },
}
MACHINES: dict[str, StateMachine[Any, Any]] = {
    m.noun: m for m in (SPOT_GROUPS, SESSION_HOSTS, IMAGE_UPDATES, IMAGE_SET_VERSIONS, IMAGE_SETS)
}
FOLLOWING = {("image set", "follow")}


def test_every_machine_has_exactly_the_expected_actions() -> None:
    expected = {n: set(t) | {a for noun, a in FOLLOWING if noun == n} for n, t in EXPECTED.items()}
    assert {noun: set(m.transitions) for noun, m in MACHINES.items()} == expected


def test_an_image_set_follows_its_latest_version_except_while_it_is_removed() -> None:
    item = SessionHost(name="sh-0", index=0, image_version="1.0.0")
    for status in VERSIONS:
        current = item.model_copy(update={"status": status})
        if status == "deleting":
            with pytest.raises(Conflict):
                MACHINES["image set"].move(current, "follow", "ready")
        else:
            assert MACHINES["image set"].move(current, "follow", "replicating").status == "replicating"
    with pytest.raises(ValueError, match="not 'sleeping'"):
        MACHINES["image set"].move(item.model_copy(update={"status": "ready"}), "follow", "sleeping")


@pytest.mark.parametrize(
    ("noun", "action", "status"),
    [
        (noun, action, status)
        for noun, m in MACHINES.items()
        for action in m.transitions
        for status in m.statuses
        if (noun, action) not in FOLLOWING
    ],
)
def test_each_status_and_action_is_allowed_or_refused(noun: str, action: str, status: str) -> None:
    allowed, after = EXPECTED[noun][action]
    host = SessionHost(name="sh-0", index=0, image_version="1.0.0").model_copy(update={"status": status})
    if status in allowed:
        assert MACHINES[noun].move(host, action).status == after
    else:
        with pytest.raises(Conflict) as refused:
            MACHINES[noun].move(host, action)
        assert refused.value.code == "wrongStatus" and status in str(refused.value)


def test_a_move_applies_the_changes_and_not_a_status_of_the_callers() -> None:
    host = SessionHost(name="sh-0", index=0, image_version="1.0.0")
    running = SESSION_HOSTS.move(host, "register", allow_new_session=True, image_version="2.0.0")
    assert (running.status, running.image_version, host.status) == ("running", "2.0.0", "creating")
    with pytest.raises(ValueError, match="decides the status"):
        SESSION_HOSTS.move(host, "register", status="failed")
