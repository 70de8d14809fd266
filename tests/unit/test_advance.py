"""A provisioning run on fakes, driven call by call as its orchestration drives it, waits spent on the fake clock."""

from __future__ import annotations

from datetime import timedelta

from shared.models.provisioning import RunState
from shared.ports.cloud_errors import NOT_ANSWERING
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs.provisioning import advance
from shared.services.cloud_pcs.provisioning_steps import ASSIGNMENT_STEPS, CORE_STEPS, POST_STEPS
from shared.services.cloud_pcs.timeline import WORKERS_BUSY
from tests.fakes import T0, Fakes
from tests.fakes.seed import TENANT, cloud_pc, policy, site

# no local admin, and the images' own language
STEPS = [*CORE_STEPS, *(s for s in POST_STEPS if s not in ("addLocalAdmin", "setLanguage")), *ASSIGNMENT_STEPS]


def arranged(**ports: object) -> tuple[EnginePorts, Fakes, str]:
    """Ann's pending Cloud PC of a policy on the Microsoft-hosted network in the tenant's only region."""
    fakes = Fakes()
    site(fakes)
    policy(fakes, "finance", "g-finance")
    return fakes.engine_ports(**ports), fakes, cloud_pc(fakes, "ann").id


def drive(ports: EnginePorts, fakes: Fakes, cloud_pc_id: str, *, max_attempts: int = 3) -> tuple[str, int]:
    """Call `advance` until the run settles, the state passed as JSON between calls and every wait spent on the
    clock; the outcome and how many calls it took."""
    state: RunState | None = None
    for calls in range(1, 100):
        advanced = advance(ports, TENANT, cloud_pc_id, 1, max_attempts, state)
        if advanced.outcome is not None:
            return advanced.outcome, calls
        assert advanced.state is not None
        state = RunState.model_validate_json(advanced.state.model_dump_json())
        fakes.clock.advance(seconds=advanced.wait_seconds)
    raise AssertionError("the run never settled")


def lines(fakes: Fakes, cloud_pc_id: str) -> list[tuple[str, int, str]]:
    return [(e.name, e.attempt, e.outcome) for e in fakes.cloud_pcs.list_events(TENANT, cloud_pc_id)]


def test_a_run_whose_cloud_calls_all_succeed_is_provisioned_in_one_call() -> None:
    ports, fakes, pc = arranged()
    assert drive(ports, fakes, pc) == ("provisioned", 1)
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert (stored.status, stored.status_detail, stored.warnings) == ("provisioned", None, [])
    device = stored.managed_device_name
    assert device is not None and device.startswith("CPC-ANN-")
    claims = fakes.tables.entities("DeviceNames")
    assert [(c["PartitionKey"], c["RowKey"], c["cloudPcId"]) for c in claims] == [(TENANT, device, pc)]

    (vm,) = fakes.compute.vm_names(TENANT)
    assert stored.virtual_machine_id is not None and stored.virtual_machine_id.endswith(f"/{vm}")
    assert fakes.compute.vms[(TENANT, vm)].commands == [s for s in STEPS if s in POST_STEPS]
    assert fakes.compute.vms[(TENANT, vm)].sign_in == {"ann": False}
    assert fakes.intune.managed_devices == {(TENANT, device): "ann"}

    timeline = lines(fakes, pc)
    assert timeline[0][0] == "provisioningStarted" and timeline[-1] == ("provisioned", 1, "succeeded")
    assert [(name, attempt) for name, attempt, outcome in timeline if outcome == "succeeded"][:-1] == [
        (step, 1) for step in STEPS
    ]


def test_a_failed_post_provisioning_step_only_warns() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("disableWindowsReset", times=None, code="RunCommandFailed")
    assert drive(ports, fakes, pc) == ("provisionedWithWarnings", 1)
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status == "provisionedWithWarnings"
    assert stored.status_detail is not None and stored.status_detail.code == "provisionedWithWarnings"
    assert len(stored.warnings) == 1 and "disableWindowsReset" in stored.warnings[0]
    (vm,) = fakes.compute.vm_names(TENANT)
    assert "setTeamsVdiMode" in fakes.compute.vms[(TENANT, vm)].commands  # the steps after it still ran
    assert ("disableWindowsReset", 1, "warning") in lines(fakes, pc)
    assert lines(fakes, pc)[-1] == ("provisioned", 1, "warning")


def test_a_core_step_failing_every_attempt_fails_the_cloud_pc_and_removes_each_attempt() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("join_device", times=None, code="DeviceJoinFailed")
    outcome, _ = drive(ports, fakes, pc, max_attempts=3)
    assert outcome == "failed"
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status == "failed"
    assert stored.status_detail is not None and stored.status_detail.code == "DeviceJoinFailed"
    assert stored.status_detail.message == "join_device failed (DeviceJoinFailed)"  # the provider's own words
    [settled] = [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name == "provisioningFailed"]
    assert settled.message is not None and settled.message.startswith("joinEntra: ")  # the step is on the timeline
    assert fakes.script.calls["create_vm"] == fakes.script.calls["join_device"] == 3
    assert fakes.compute.vm_names(TENANT) == [] and fakes.compute.nic_names(TENANT) == []
    assert [(w.kind, w.due_date_time) for w in fakes.scheduled()] == [("cleanUp", fakes.clock() + ports.cleanup_delay)]
    timeline = lines(fakes, pc)
    assert [(a, o) for name, a, o in timeline if name == "joinEntra"] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert [a for name, a, _ in timeline if name == "attemptCleanedUp"] == [1, 2, 3]
    assert timeline[-1][0] == "provisioningFailed"


def test_a_refusal_for_want_of_a_permission_fails_at_once_and_says_where_the_fix_is() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("create_vm", times=None, code="AuthorizationFailed")
    outcome, _ = drive(ports, fakes, pc, max_attempts=3)
    assert outcome == "failed"
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status_detail is not None and stored.status_detail.code == "AuthorizationFailed"
    assert "/api/tenants/{tenantId}/onboarding" in stored.status_detail.message
    assert fakes.script.calls["create_vm"] == 1  # another attempt cannot help: none is made
    assert [a for name, a, _ in lines(fakes, pc) if name == "attemptCleanedUp"] == [1]


def test_an_attempt_that_failed_is_removed_and_the_next_one_provisions() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("create_vm", times=1, code="AllocationFailed")
    outcome, calls = drive(ports, fakes, pc)
    assert (outcome, calls) == ("provisioned", 2)
    (vm,) = fakes.compute.vm_names(TENANT)
    assert vm.endswith("-a2") and len(fakes.compute.nic_names(TENANT)) == 1
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, pc).attempt == 2
    # the attempt's line carries the step's code, which the catalogue words; the step's own line names the step
    [failed] = [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name == "attemptFailed"]
    assert failed.code == "AllocationFailed" and failed.message and not failed.message.startswith("createVm:")


def test_a_step_not_done_yet_ends_the_call_with_a_wait_and_the_next_call_resumes_it() -> None:
    ports, fakes, pc = arranged()
    fakes.script.wait("create_vm", times=2, retry_after_s=40)
    first = advance(ports, TENANT, pc, 1, 3, None)
    assert first.outcome is None and first.wait_seconds == 40
    assert first.resume_at == T0 + timedelta(seconds=40)
    assert fakes.compute.vm_names(TENANT) == []
    assert ("createVm", 1, "running") in lines(fakes, pc)

    assert first.state is not None
    fakes.clock.advance(seconds=40)
    second = advance(ports, TENANT, pc, 1, 3, first.state)
    assert second.outcome is None and second.state is not None
    fakes.clock.advance(seconds=second.wait_seconds)
    assert advance(ports, TENANT, pc, 1, 3, second.state).outcome == "provisioned"

    polls = [operation for name, operation in fakes.script.log if name == "create_vm"]
    assert polls[0] is None and polls[1] is not None and polls[2] is not None and polls[1] != polls[2]
    assert fakes.script.calls["allocate_capacity"] == 1  # the steps before it are not taken again
    (create,) = [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name == "createVm"]
    assert (create.outcome, create.start_date_time, create.end_date_time) == (
        "succeeded",
        T0,
        T0 + timedelta(seconds=80),
    )


def test_a_step_waiting_past_its_time_limit_fails_with_timed_out() -> None:
    ports, fakes, pc = arranged()
    fakes.script.wait("create_vm", times=None, retry_after_s=600)
    outcome, calls = drive(ports, fakes, pc, max_attempts=1)
    assert outcome == "failed" and calls > 2
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status_detail is not None and stored.status_detail.code == "timedOut"
    assert ("createVm", 1, "failed") in lines(fakes, pc)
    assert fakes.compute.vm_names(TENANT) == []


def test_a_repeated_first_call_after_the_run_settled_changes_nothing() -> None:
    ports, fakes, pc = arranged()
    drive(ports, fakes, pc)
    settled = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    vms = fakes.compute.vm_names(TENANT)
    assert advance(ports, TENANT, pc, 1, 3, None).state is None
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, pc) == settled
    assert fakes.compute.vm_names(TENANT) == vms


def test_a_run_waiting_as_it_was_recorded_before_the_one_driver_goes_on_from_the_step_it_waited_in() -> None:
    ports, fakes, pc = arranged()
    fakes.script.wait("create_vm", times=1, retry_after_s=30)
    first = advance(ports, TENANT, pc, 1, 3, None)
    assert first.state is not None and first.state.resume is not None
    recorded = first.state.model_dump(mode="json", by_alias=True)
    assert recorded["resume"]["step"] == "createVm" and recorded["resume"]["operation"]
    recorded["resume"]["retryAfterSeconds"] = 30.0  # as the runs in flight wrote it
    fakes.clock.advance(seconds=30)
    assert advance(ports, TENANT, pc, 1, 3, RunState.model_validate(recorded)).outcome == "provisioned"
    assert [outcome for name, _, outcome in lines(fakes, pc) if name == "createVm"] == ["succeeded"]
    assert len(fakes.compute.vm_names(TENANT)) == 1  # the create it waited for, not another


def test_a_throttle_or_an_outage_is_waited_out_with_one_line_and_no_attempt_spent() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("create_vm", times=3, code="serviceUnavailable")  # no answer at all, three times
    fakes.script.fail("join_device", times=2, code="TooManyRequests", status=429, retry_after_s=20)
    outcome, calls = drive(ports, fakes, pc)
    assert (outcome, calls) == ("provisioned", 6)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, pc).attempt == 1
    held = [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name == "heldByAzure"]
    assert [(e.attempt, e.code, e.stage) for e in held] == [
        (1, "serviceUnavailable", "core"),
        (1, "TooManyRequests", "core"),
    ]
    assert held[0].message is not None and held[0].message.startswith("createVm: Azure did not answer")
    assert held[1].message is not None and "spending no attempt" in held[1].message
    names = [e.name for e in fakes.cloud_pcs.list_events(TENANT, pc)]
    assert names.index("heldByAzure") == names.index("createVm") + 1  # beside the step it held


def test_a_refusal_another_attempt_would_meet_again_fails_at_once_with_its_reason() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("create_vm", times=None, code="SubnetIsFull", status=400)
    outcome, _ = drive(ports, fakes, pc, max_attempts=3)
    assert outcome == "failed" and fakes.script.calls["create_vm"] == 1
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status_detail is not None and stored.status_detail.code == "SubnetIsFull"
    assert "did not try again" in stored.status_detail.message
    assert [a for name, a, _ in lines(fakes, pc) if name == "attemptCleanedUp"] == [1]  # nothing left behind


def test_a_call_that_waited_long_for_a_thread_says_by_what_on_the_step_it_resumes() -> None:
    silent: list[str] = []
    ports, fakes, pc = arranged(silent_since=lambda _since: list(silent))
    fakes.script.wait("create_vm", times=3, retry_after_s=5)
    first = advance(ports, TENANT, pc, 1, 3, None)
    assert first.state is not None
    asked = fakes.clock.advance(seconds=5)
    fakes.clock.advance(seconds=10)  # a short wait for a thread is no news
    second = advance(ports, TENANT, pc, 1, 3, first.state, asked)
    assert [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name.startswith("held")] == []

    assert second.state is not None
    asked = fakes.clock.advance(seconds=5)
    fakes.clock.advance(seconds=95)  # every thread waited on a silent ARM meanwhile
    silent.append("Azure Resource Manager")
    third = advance(ports, TENANT, pc, 1, 3, second.state, asked)
    (held,) = [e for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name.startswith("held")]
    assert (held.name, held.code, held.message) == (
        "heldByAzure",
        NOT_ANSWERING,
        (
            "createVm: Azure Resource Manager did not answer, and the app's calls to it held every worker, so the step "
            "waited 2 min for one; it goes on by itself, spending no attempt."
        ),
    )

    assert third.state is not None
    asked = fakes.clock.advance(seconds=5)
    fakes.clock.advance(seconds=40)
    silent.clear()  # the app's own work held the threads: said so, not blamed on a service
    advance(ports, TENANT, pc, 1, 3, third.state, asked)
    said = {e.code: e.message for e in fakes.cloud_pcs.list_events(TENANT, pc) if e.name.startswith("held")}
    assert said[WORKERS_BUSY] == (
        "createVm: every one of the app's workers was busy with other work, so the step waited 40 s for one; it goes "
        "on by itself, spending no attempt."
    )
