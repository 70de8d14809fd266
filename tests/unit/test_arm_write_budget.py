"""The write budget the ARM clients share per tenant and subscription: what ARM's answers said is left, refilled as
ARM refills it, and a write held back once the estimate is down to the reserve."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

from shared.cloud.azure.arm_clients import (
    NEW_WORK,
    NEW_WORK_RESERVE,
    REFILL_PER_S,
    RESERVE,
    BudgetPolicy,
    RequestBudget,
)
from shared.ports.cloud_errors import CloudThrottled

KEY = ("tenant", "subscription", "writes")


def test_nothing_said_yet_holds_nothing_back() -> None:
    assert RequestBudget(clock=lambda: 0.0).admit(KEY) == 0.0


def test_a_write_is_held_back_at_the_reserve_until_the_refill_makes_room() -> None:
    now = [100.0]
    budget = RequestBudget(clock=lambda: now[0])
    budget.observe(KEY, RESERVE + 2)  # an answer said so much is left
    assert budget.admit(KEY) == 0.0 and budget.admit(KEY) == 0.0  # each counted against it
    wait = budget.admit(KEY)
    assert wait == pytest.approx((RESERVE + 1 - RESERVE) / REFILL_PER_S)
    now[0] += wait
    assert budget.admit(KEY) == 0.0  # ARM refilled one meanwhile
    assert budget.admit(("tenant", "subscription", "deletes")) == 0.0  # deletes have their own bucket
    budget.observe(KEY, 200)  # the next answer says what is really left
    assert all(budget.admit(KEY) == 0.0 for _ in range(200 - RESERVE))


def test_writes_held_back_at_once_are_given_slots_one_refill_apart() -> None:
    budget = RequestBudget(clock=lambda: 0.0)
    budget.observe(KEY, RESERVE)
    slots = [budget.admit(KEY) for _ in range(4)]  # a fan-out of four, all at the reserve
    assert slots == [pytest.approx((n + 1) / REFILL_PER_S) for n in range(4)]  # spread out, not a herd


def test_new_work_waits_at_a_higher_reserve_so_the_writes_of_work_under_way_go_first() -> None:
    budget = RequestBudget(clock=lambda: 0.0)
    budget.observe(KEY, NEW_WORK_RESERVE)
    assert budget.admit(KEY, NEW_WORK_RESERVE) > 0, "a VM create waits"
    assert budget.admit(KEY) == 0.0, "the extension of a VM made before goes ahead"


def test_the_new_work_option_is_the_budgets_own_and_never_reaches_the_transport() -> None:
    budget = RequestBudget(clock=lambda: 0.0)
    budget.observe(KEY, NEW_WORK_RESERVE)
    policy = BudgetPolicy(budget, "tenant", "subscription", sleep=lambda seconds: None)

    def send(**options: Any) -> PipelineRequest[HttpRequest]:
        request = PipelineRequest(HttpRequest("PUT", "https://arm/x"), PipelineContext(None, **options))
        policy.on_request(request)
        return request

    assert NEW_WORK not in send().context.options
    with pytest.raises(CloudThrottled):
        send(**{NEW_WORK: True})
    retried = PipelineRequest(HttpRequest("PUT", "https://arm/x"), PipelineContext(None, **{NEW_WORK: True}))
    with pytest.raises(CloudThrottled):
        policy.on_request(retried)
    assert NEW_WORK not in retried.context.options and retried.context[NEW_WORK], "kept for the call's retries"
