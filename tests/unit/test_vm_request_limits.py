"""Compute's limits per VM on the app's side: each request on a VM charged to the page's policy, what Compute's
answers say is left, refilled as Compute refills it, and a request (a poll too) held back until its VM's bucket has a
token."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest

from shared.cloud.azure.compute_limits import MARGIN_S, PER_VM, VmLimits, VmPacingPolicy, charge_of, remaining
from shared.ports.cloud_errors import CloudThrottled

ARM = "https://arm.example/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/cpc-1"
VM = ARM.removeprefix("https://arm.example").lower()
POLL = "https://arm.example/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op-1?api=1"


@pytest.mark.parametrize(
    ("method", "path", "policy"),
    [
        ("GET", "", "LowCostGet"),
        ("GET", "/instanceView", "LowCostGet"),
        ("GET", "/runCommands/x", "LowCostGet"),
        ("POST", "/restart", "UpdateVM"),
        ("POST", "/start", "UpdateVM"),
        ("POST", "/powerOff", "UpdateVM"),
        ("PUT", "/runCommands/x", "UpdateVM"),
        ("PUT", "/extensions/x", "UpdateVM"),
        ("PATCH", "", "UpdateVM"),
        ("DELETE", "/runCommands/x", "UpdateVM"),
        ("POST", "/deallocate", "DeleteVM"),
        ("DELETE", "", "DeleteVM"),
    ],
)
def test_each_request_on_a_vm_falls_in_the_pages_policy(method: str, path: str, policy: str) -> None:
    assert charge_of(method, f"{ARM}{path}?api-version=2024-07-01") == (VM, policy)


def test_a_poll_is_a_get_operation_and_other_requests_are_not_charged() -> None:
    assert charge_of("GET", POLL) == ("", "GetOperation")
    assert charge_of("GET", "https://arm.example/subscriptions/s/resourceGroups/rg") is None
    assert charge_of("PUT", "https://arm.example/subscriptions/s/providers/Microsoft.Network/nics/n") is None
    role = f"{ARM}/providers/Microsoft.Authorization/roleAssignments/r1"
    assert charge_of("PUT", role) is None, "a role assignment on the VM is Authorization's request, not Compute's"


def test_the_header_says_what_each_of_the_vms_buckets_has_left() -> None:
    said = {
        "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/UpdateVMResource;3,"
        "Microsoft.Compute/UpdateVMSubscription;1497"
    }
    assert remaining(said) == {"UpdateVM": 3.0}
    assert remaining({}) == {}


def test_a_vm_s_request_is_held_until_its_bucket_refills_a_token() -> None:
    now = [0.0]
    limits = VmLimits(clock=lambda: now[0])
    key = ("t", "s", VM, "UpdateVM")
    assert limits.admit(key) == 0.0, "nothing said yet: a new VM's bucket is full"
    limits.observe(key, 1)
    assert limits.admit(key) == 0.0  # the last token, counted
    wait = limits.admit(key)
    assert wait == pytest.approx(60 / PER_VM["UpdateVM"][0] + MARGIN_S)  # 4 a minute: one every 15 s
    now[0] += wait
    assert limits.admit(key) == 0.0
    assert limits.admit(("t", "s", VM, "DeleteVM")) == 0.0  # another policy, another bucket


def response_to(request: HttpRequest, headers: dict[str, str]) -> PipelineResponse[Any, Any]:
    class Answer:
        def __init__(self) -> None:
            self.headers = headers

    return PipelineResponse(request, Answer(), PipelineContext(None))


def test_the_policy_learns_an_operations_vm_and_holds_its_polls_until_the_vm_may_be_polled() -> None:
    now = [0.0]
    limits = VmLimits(clock=lambda: now[0])
    policy = VmPacingPolicy(limits, "t", "S", held_for=lambda admit: admit())
    restart = HttpRequest("POST", f"{ARM}/restart")
    policy.on_request(PipelineRequest(restart, PipelineContext(None)))
    policy.on_response(
        PipelineRequest(restart, PipelineContext(None)), response_to(restart, {"Azure-AsyncOperation": POLL})
    )
    assert limits.vm_of(POLL) == VM, "the operation's VM, from the answer that started it"
    poll = HttpRequest("GET", POLL)
    policy.on_request(PipelineRequest(poll, PipelineContext(None)))
    policy.on_response(
        PipelineRequest(poll, PipelineContext(None)),
        response_to(poll, {"x-ms-ratelimit-remaining-resource": "Microsoft.Compute/GetOperationResource;0"}),
    )
    with pytest.raises(CloudThrottled) as held:
        policy.on_request(PipelineRequest(poll, PipelineContext(None)))
    assert held.value.retry_after_s == pytest.approx(60 / PER_VM["GetOperation"][0] + MARGIN_S)  # every 4 s
    assert held.value.code == "TooManyRequests"
    policy.on_request(PipelineRequest(HttpRequest("GET", ARM), PipelineContext(None)))  # a read is not a poll


def test_a_bucket_spent_long_ago_is_full_again_and_a_request_never_sent_gives_its_token_back() -> None:
    now = [0.0]
    limits = VmLimits(clock=lambda: now[0])
    key = ("t", "s", VM, "UpdateVM")
    limits.observe(key, 12)
    assert all(limits.admit(key) == 0.0 for _ in range(12))
    assert limits.admit(key) > 0
    now[0] += 600  # ten minutes on: Compute refilled it to its 12
    assert all(limits.admit(key) == 0.0 for _ in range(12))
    limits.refund(key)  # one of them was held by the write budget after it was admitted here
    assert limits.admit(key) == 0.0 and limits.admit(key) > 0


def test_a_request_held_further_on_gives_its_token_back_and_one_that_failed_on_the_wire_does_not() -> None:
    limits = VmLimits(clock=lambda: 0.0)
    policy = VmPacingPolicy(limits, "t", "s", held_for=lambda admit: admit())
    key = ("t", "s", VM, "UpdateVM")
    limits.observe(key, 1)
    restart = PipelineRequest(HttpRequest("POST", f"{ARM}/restart"), PipelineContext(None))
    policy.on_request(restart)
    try:
        raise CloudThrottled("armWrites", 1.0, "subscriptionRequestBudget")
    except CloudThrottled:
        policy.on_exception(restart)
    assert limits.wait(key) == 0.0, "the token is back"
    policy.on_request(restart)
    try:
        raise ConnectionError("reset")
    except ConnectionError:
        policy.on_exception(restart)
    assert limits.wait(key) > 0, "sent, perhaps received: spent"
