"""A change asked of Windows 365 is always followed: when the tenant's follower is under way (perhaps on its last read,
made before the change), the change gets a follower of its own; a repeat of the same change collapses into it."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from types import SimpleNamespace
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.starting import follow_backend


class Host:
    """The durable client's start and status, as the host answers them: a running instance refuses a second start."""

    def __init__(self, running: set[str], ending: Collection[str] = ()) -> None:
        self.running, self.started, self.ending = set(running), list[str](), set(ending)

    async def start_new(self, name: str, instance_id: str, payload: Any) -> str:
        if instance_id in self.running:
            raise Exception("An instance with ID already exists.")  # the host's words decide nothing
        self.running.add(instance_id)
        self.started.append(instance_id)
        return instance_id

    async def get_status(self, instance_id: str) -> Any:
        if instance_id in self.ending:  # it ends just as its status is read, after refusing the start
            self.ending.discard(instance_id)
            self.running.discard(instance_id)
            return SimpleNamespace(runtime_status=df.OrchestrationRuntimeStatus.Completed)
        running = instance_id in self.running
        return SimpleNamespace(runtime_status=df.OrchestrationRuntimeStatus.Running if running else None)


def follow(host: Host, asked: str) -> bool:
    return asyncio.run(follow_backend(host, "t1", asked))


def test_the_tenant_s_follower_is_started_when_none_reads() -> None:
    host = Host(running=set())
    assert follow(host, "req-1")
    assert host.started == [names.windows365_mirror_instance_id("t1")]


def test_a_change_met_by_a_follower_under_way_gets_one_of_its_own_and_a_repeat_collapses() -> None:
    host = Host(running={names.windows365_mirror_instance_id("t1")})
    assert follow(host, "req-1")
    assert host.started == [names.windows365_mirror_instance_id("t1", "req-1")]
    assert not follow(host, "req-1")  # the same message again: its follower is under way
    assert host.started == [names.windows365_mirror_instance_id("t1", "req-1")]


def test_a_follower_that_ends_between_refusing_the_start_and_its_status_read_is_started_again() -> None:
    tenant_follower = names.windows365_mirror_instance_id("t1")
    host = Host(running={tenant_follower}, ending={tenant_follower})
    assert follow(host, "req-1")
    assert host.started == [tenant_follower]  # replaced, as the host does an ended instance; the request is not failed
