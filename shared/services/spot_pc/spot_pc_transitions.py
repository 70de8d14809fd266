"""The Spot PC state machines: for image sets and their versions, Spot Groups, their session hosts and their image
updates, every action, the states it is allowed from and the status it leaves.

This is the only module that assigns their `status` (a record starts in its model's default status); services
ask it to `move` one. An action in the wrong state is refused with `409 wrongStatus`. Actions that work and
activities repeat (a replayed phase, a settle called again) are allowed from the status they leave, so doing one
twice changes nothing the second time.
"""

from __future__ import annotations

from typing import Literal, get_args

from shared.models.image_sets import BUILDING, ImageSet, ImageSetVersion, VersionStatus
from shared.models.image_updates import UPDATE_RUNNING, UPDATE_UNDER_WAY, ImageUpdate, ImageUpdateStatus
from shared.models.session_hosts import HostStatus, SessionHost
from shared.models.spot_groups import GROUP_BUSY, GROUP_SETTLED, SpotGroup, SpotGroupStatus
from shared.services.engine.state_machines import FOLLOW, StateMachine, table

SpotGroupAction = Literal[
    "update",  # the admin changed the pool, the profile path or the number of hosts; Azure follows
    "updateImage",  # a rolling image update
    "delete",  # hosts drained and removed, then the pool
    "finish",  # the work is done and a host runs
    "fail",  # the work stopped, or no host could be deployed
]
ImageUpdateAction = Literal[
    "awaitWindow",  # the hosts left wait for the next maintenance window
    "resume",  # the window opened: hosts are drained again
    "cancel",  # the admin cancelled it: no host is drained for it any more
    "succeed",
    "fail",
    "rollBack",
    "stop",  # how it ended (stop: cancelled)
]
VersionAction = Literal[
    "await",  # the build VM waits for the admin's customization
    "capture",  # the build VM is captured (the admin asked, or there is nothing to wait for)
    "replicate",  # the image version is replicated to the set's other regions
    "finish",  # the image version exists: Spot Groups may use it
    "fail",  # the build, or the version's removal, failed
    "delete",  # its image version is being removed
]
ImageSetAction = Literal["follow", "delete", "fail"]  # its latest version's status; removed; its removal failed
SessionHostAction = Literal[
    "register",  # the host joined the pool: it takes sessions
    "drain",  # it takes no new session; it goes (removed, or replaced)
    "fail",  # a phase of its own failed
]
GROUP_STATUSES: tuple[SpotGroupStatus, ...] = get_args(SpotGroupStatus)
HOST_STATUSES: tuple[HostStatus, ...] = get_args(HostStatus)
UPDATE_STATUSES: tuple[ImageUpdateStatus, ...] = get_args(ImageUpdateStatus)
VERSION_STATUSES: tuple[VersionStatus, ...] = get_args(VersionStatus)

SPOT_GROUPS: StateMachine[SpotGroup, SpotGroupAction] = StateMachine(
    "Spot Group",
    GROUP_STATUSES,
    table(
        {
            "update": (GROUP_SETTLED, "updating"),
            "updateImage": (GROUP_SETTLED, "updating"),
            "delete": (GROUP_SETTLED | {"updating", "deleting"}, "deleting"),  # a deployment under way is awaited
            "finish": ({"deploying", "updating", "ready"}, "ready"),
            "fail": (GROUP_BUSY | {"failed"}, "failed"),
        }
    ),
)
SESSION_HOSTS: StateMachine[SessionHost, SessionHostAction] = StateMachine(
    "session host",
    HOST_STATUSES,
    table(
        {
            "register": ({"creating", "removing", "running"}, "running"),  # removing: a replaced host comes back
            "drain": (set(HOST_STATUSES), "removing"),  # a group's removal takes every host, failed ones too
            "fail": (set(HOST_STATUSES), "failed"),
        }
    ),
)
IMAGE_UPDATES: StateMachine[ImageUpdate, ImageUpdateAction] = StateMachine(
    "image update",
    UPDATE_STATUSES,
    table(
        {  # each also from where it leads: the settle that records it may run again
            "awaitWindow": (UPDATE_RUNNING, "waitingForWindow"),
            "resume": (UPDATE_RUNNING, "running"),
            "cancel": (UPDATE_RUNNING, "cancelling"),
            # a cancel that came as the last hosts finished: the update ended as it did
            "succeed": (UPDATE_UNDER_WAY | {"succeeded"}, "succeeded"),
            "fail": (UPDATE_UNDER_WAY | {"failed"}, "failed"),
            "rollBack": (UPDATE_UNDER_WAY | {"rolledBack"}, "rolledBack"),
            "stop": (UPDATE_UNDER_WAY | {"cancelled"}, "cancelled"),
        }
    ),
)
OUTCOMES: dict[str, ImageUpdateAction] = {
    "succeeded": "succeed",
    "failed": "fail",
    "rolledBack": "rollBack",
    "cancelled": "stop",
}
# a build records its progress forward only (a restarted build replays its phases): each step also from itself
IMAGE_SET_VERSIONS: StateMachine[ImageSetVersion, VersionAction] = StateMachine(
    "image set version",
    VERSION_STATUSES,
    table(
        {
            "await": ({"building", "awaitingCustomization"}, "awaitingCustomization"),
            "capture": ({"building", "awaitingCustomization", "capturing"}, "capturing"),
            "replicate": (BUILDING, "replicating"),
            "finish": (BUILDING | {"ready"}, "ready"),
            "fail": (set(VERSION_STATUSES), "failed"),
            "delete": ({"ready", "failed"}, "deleting"),  # never while it is built
        }
    ),
)
IMAGE_SETS: StateMachine[ImageSet, ImageSetAction] = StateMachine(
    "image set",
    VERSION_STATUSES,
    table(
        {
            "follow": (set(VERSION_STATUSES) - {"deleting"}, FOLLOW),
            "delete": (set(VERSION_STATUSES), "deleting"),
            "fail": ({"deleting", "failed"}, "failed"),
        }
    ),
)
PROGRESS_ACTIONS: dict[str, VersionAction] = {
    "awaitingCustomization": "await",
    "capturing": "capture",
    "replicating": "replicate",
}
