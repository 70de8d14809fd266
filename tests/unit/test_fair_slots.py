"""The Durable engine's slots go round robin among the tenants with work waiting, in order within a tenant."""

from __future__ import annotations

import asyncio

from devhost.durable.fair_slots import FairSlots, party_of
from orchestrators import names

BIG, SMALL = "0b7c6c1e-2f0a-4c39-9d9e-111111111111", "5d1e8a40-7a77-4b0e-8a52-222222222222"


def served_order(arrivals: list[tuple[str, str]], limit: int = 1) -> list[str]:
    """The order in which work arriving while every slot is held is let in."""

    async def scenario() -> list[str]:
        slots, served = FairSlots(limit), list[str]()
        release = asyncio.Event()

        async def holder() -> None:
            async with slots.slot("first"):
                await release.wait()

        async def work(party: str, name: str) -> None:
            async with slots.slot(party):
                served.append(name)
                await asyncio.sleep(0)

        holders = [asyncio.create_task(holder()) for _ in range(limit)]
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(work(party, name)) for party, name in arrivals]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*holders, *tasks)
        return served

    return asyncio.run(scenario())


def test_a_small_tenants_work_is_not_queued_behind_a_big_tenants_backlog() -> None:
    arrivals = [(BIG, f"big{n}") for n in range(5)] + [(SMALL, "small0"), (SMALL, "small1")]
    assert served_order(arrivals) == ["big0", "small0", "big1", "small1", "big2", "big3", "big4"]


def test_one_tenants_work_is_served_in_the_order_it_came() -> None:
    arrivals = [(BIG, f"big{n}") for n in range(4)]
    assert served_order(arrivals, limit=2) == ["big0", "big1", "big2", "big3"]


def test_a_waiter_cancelled_gives_up_its_place_and_no_slot_is_lost() -> None:
    async def scenario() -> list[str]:
        slots, served = FairSlots(1), list[str]()
        async with slots.slot(BIG):
            gone = asyncio.create_task(slots.slot(SMALL).__aenter__())
            waiting = asyncio.create_task(_take(slots, BIG, served))
            await asyncio.sleep(0)
            gone.cancel()
            await asyncio.sleep(0)
        await waiting
        async with slots.slot(SMALL):  # the slot came back: free again
            served.append("again")
        return served

    assert asyncio.run(scenario()) == ["big", "again"]


async def _take(slots: FairSlots, party: str, served: list[str]) -> None:
    async with slots.slot(party):
        served.append("big")


def test_the_party_of_an_instance_is_its_tenant() -> None:
    run = names.cloud_pc_instance_id(BIG.upper(), "8f0c3c9a-1b2d-4e5f-9a8b-333333333333", 1)
    assert party_of(run) == BIG
    assert party_of(names.spot_group_instance_id(SMALL, "group", "deploy")) == SMALL
    assert party_of("an-id-without-a-guid") == "an-id-without-a-guid"
