"""The Spot PC state machines: every (status, action) pair of Spot Groups, session hosts and image updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.errors import Conflict
from shared.models.spot_groups import SessionHost
from shared.services.spot_pc_transitions import IMAGE_UPDATES, SESSION_HOSTS, SPOT_GROUPS, StateMachine

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
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
        "succeed": ({"running", "succeeded"}, "succeeded"),
        "fail": ({"running", "failed"}, "failed"),
        "rollBack": ({"running", "rolledBack"}, "rolledBack"),
    },
}
MACHINES: dict[str, StateMachine[Any, Any]] = {m.noun: m for m in (SPOT_GROUPS, SESSION_HOSTS, IMAGE_UPDATES)}


def test_every_machine_has_exactly_the_expected_actions() -> None:
    assert {noun: set(m.transitions) for noun, m in MACHINES.items()} == {n: set(t) for n, t in EXPECTED.items()}


@pytest.mark.parametrize(
    ("noun", "action", "status"),
    [(noun, action, status) for noun, m in MACHINES.items() for action in m.transitions for status in m.statuses],
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
