"""The orchestrator generators driven by hand: a fake context, activity answers sent in, no host, no storage."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

from orchestrators import names
from orchestrators.configuration import connection_health_check, run_checks, until_done
from orchestrators.phases import CALLS_PER_EXECUTION, MAX_CALLS, MIN_WAIT
from orchestrators.provisioning import provision_cloud_pc
from shared.models.cloud_pcs import BuildSettings
from shared.models.orchestrations import ConnectionRun, ProbeAnswer, ProbeCall
from shared.models.provisioning import CloudPcJob, RunState
from tests.utils.orchestration import NOW, Call, Context, Timer

RUN = {"tenantId": "t1", "cloudPcId": "cpc1", "run": 2}


def finish(orchestration: Generator[Any, Any, Any], answer: Any) -> Any:
    """Send the last answer in; what the orchestration returned."""
    try:
        orchestration.send(answer)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the orchestration went on")


def state(resume: dict[str, Any] | None = None) -> dict[str, Any]:
    build = BuildSettings(
        image_type="gallery",
        image_id="win11",
        image_display_name="Windows 11",
        domain_join_type="azureADJoin",
        region_name="westeurope",
        vm_size="Standard_D2s_v5",
        os_disk_size_gb=128,
        naming_template="CPC-%RAND:5%",
    )
    job = CloudPcJob(
        tenant_id="t1", cloud_pc_id="cpc1", run=2, generation=1, device_name="CPC-AB12C", user_id="u1",
        build=build, core=["createVm"], assignment=["assignUser"],
    )  # fmt: skip
    return RunState(job=job, resume=resume).model_dump(mode="json", by_alias=True)


def waiting(seconds: float, resume_at: datetime | None = None) -> dict[str, Any]:
    """An advance answer: the run goes on after a wait."""
    answer = {"outcome": None, "state": state({"step": "createVm"}), "waitSeconds": seconds}
    return {**answer, "resumeAt": resume_at.isoformat() if resume_at else None}


def test_a_run_that_finishes_in_one_call_returns_its_outcome() -> None:
    context = Context(input=RUN)
    orchestration = provision_cloud_pc(context)
    call = next(orchestration)
    # the run itself is the payload (phased work); max attempts is the app's setting, never the input
    assert call == Call(names.ADVANCE_PROVISIONING, {**RUN, "state": None, "calls": 0})
    assert finish(orchestration, {"outcome": "provisioned", "state": None, "waitSeconds": 0}) == "provisioned"


def test_a_wait_is_a_timer_at_resume_at_and_never_sooner_than_the_minimum() -> None:
    context = Context(input=RUN)
    orchestration = provision_cloud_pc(context)
    next(orchestration)
    timer = orchestration.send(waiting(30, resume_at=NOW + timedelta(seconds=10)))
    assert timer == Timer(NOW + timedelta(seconds=10))  # measured when Azure answered, not now + 30 s
    call = orchestration.send(None)
    assert call.name == names.ADVANCE_PROVISIONING and call.payload["state"] == state({"step": "createVm"})
    assert orchestration.send(waiting(30, resume_at=NOW - timedelta(seconds=5))) == Timer(NOW + MIN_WAIT)
    next(orchestration)
    assert orchestration.send(waiting(7)) == Timer(NOW + timedelta(seconds=7))  # no resumeAt: from now


def test_a_naive_engine_clock_gets_a_naive_timer() -> None:
    naive = NOW.replace(tzinfo=None)
    context = Context(input=RUN, current_utc_datetime=naive)
    orchestration = provision_cloud_pc(context)
    next(orchestration)
    assert orchestration.send(waiting(30, resume_at=NOW + timedelta(seconds=3))) == Timer(naive + timedelta(seconds=3))


def test_after_calls_per_execution_it_continues_as_new_with_the_state_and_calls() -> None:
    context = Context(input=RUN)
    orchestration = provision_cloud_pc(context)
    next(orchestration)
    for _ in range(CALLS_PER_EXECUTION - 1):
        assert isinstance(orchestration.send(waiting(5)), Timer)
        assert isinstance(orchestration.send(None), Call)
    assert isinstance(orchestration.send(waiting(5)), Timer)
    assert finish(orchestration, None) is None
    assert context.continued_with == {**RUN, "state": state({"step": "createVm"}), "calls": CALLS_PER_EXECUTION}
    resumed = provision_cloud_pc(Context(input=context.continued_with))
    assert next(resumed) == Call(names.ADVANCE_PROVISIONING, context.continued_with)


def test_at_max_calls_the_cloud_pc_fails_as_timed_out_at_the_step_it_waited_for() -> None:
    context = Context(input={**RUN, "state": state({"step": "createVm"}), "calls": MAX_CALLS})
    orchestration = provision_cloud_pc(context)
    call = next(orchestration)
    assert call == Call(
        names.FAIL_PROVISIONING,
        {**RUN, "step": "createVm", "code": "timedOut", "message": "did not finish in time"},
    )
    assert finish(orchestration, "failed") == "failed"


def test_an_activity_that_keeps_failing_fails_the_cloud_pc() -> None:
    orchestration = provision_cloud_pc(Context(input=RUN))
    next(orchestration)
    call = orchestration.throw(RuntimeError("storage unreachable"))
    assert call.name == names.FAIL_PROVISIONING
    assert call.payload == {**RUN, "step": "provisioning", "code": "internalError", "message": "storage unreachable"}
    assert finish(orchestration, "failed") == "failed"


def health_check(name: str) -> dict[str, Any]:
    return {"name": name, "displayName": name, "status": "passed"}


def test_run_checks_asks_again_only_for_the_checks_still_running_after_the_shortest_wait() -> None:
    context = Context()
    run = ConnectionRun(tenant_id="t1", connection_id="c1", run=3)
    orchestration = run_checks(context, run, ["dns", "subnet", "join"])
    first = next(orchestration)
    assert [c.payload["check"] for c in first.calls] == ["dns", "subnet", "join"]
    assert all(c.name == names.RUN_HEALTH_CHECK and c.payload["connectionId"] == "c1" for c in first.calls)
    started = (NOW - timedelta(seconds=1)).isoformat()
    timer = orchestration.send(
        [
            {"name": "dns", "waitSeconds": 8, "operation": "op-dns", "startDateTime": started},
            {"name": "subnet", "result": health_check("subnet")},
            {"name": "join", "waitSeconds": 3, "operation": "op-join", "startDateTime": started},
        ]
    )
    assert timer == Timer(NOW + timedelta(seconds=3))
    again = orchestration.send(None)
    assert [(c.payload["check"], c.payload["operation"]) for c in again.calls] == [
        ("dns", "op-dns"),
        ("join", "op-join"),
    ]
    assert datetime.fromisoformat(again.calls[0].payload["startDateTime"]) == NOW - timedelta(seconds=1)
    done = [{"name": "dns", "result": health_check("dns")}, {"name": "join", "result": health_check("join")}]
    results = finish(orchestration, done)
    assert {name: r.result.status for name, r in results.items()} == {
        "dns": "passed",
        "subnet": "passed",
        "join": "passed",
    }


def test_until_done_passes_back_the_operation_and_probe_and_returns_the_last_answer() -> None:
    context = Context()
    call = ProbeCall(tenant_id="t1", connection_id="c1", run=3)
    orchestration = until_done(context, names.PREPARE_HEALTH_CHECK_PROBE, call)
    assert next(orchestration).payload["operation"] is None
    probe = {"subscriptionId": "s", "resourceGroup": "rg", "regionName": "westeurope", "probeKey": "c1/r3"}
    not_yet = {"done": False, "waitSeconds": 0, "operation": "op1", "probe": probe}
    assert orchestration.send(not_yet) == Timer(NOW + timedelta(seconds=1))  # at least the minimum wait
    call = orchestration.send(None)
    assert (call.payload["operation"], call.payload["probe"]) == ("op1", probe)
    assert finish(orchestration, {"done": True, "probe": probe}) == ProbeAnswer(done=True, probe=probe)


WINDOWS365_RUN = {
    "tenantId": "t1", "connectionId": "c1", "run": 2, "checks": ["subnetIpUsage"], "backend": "windows365"
}  # fmt: skip


def test_a_windows_365_connection_is_sent_then_its_checks_are_read_until_windows_365_finished_them() -> None:
    orchestration = connection_health_check(Context(input=WINDOWS365_RUN))
    assert next(orchestration).name == names.MARK_HEALTH_CHECKS_RUNNING
    pushed = orchestration.send(True)
    assert pushed.name == names.PUSH_WINDOWS365_CONNECTION
    assert pushed.payload == {"tenantId": "t1", "connectionId": "c1", "run": 2}
    assert orchestration.send("pushed").name == names.MIRROR_WINDOWS365_CHECKS
    assert orchestration.send(15.0) == Timer(NOW + timedelta(seconds=15))  # Windows 365 is still checking
    assert orchestration.send(None).name == names.MIRROR_WINDOWS365_CHECKS
    assert finish(orchestration, None) == "recorded"


def test_a_scheduled_windows_365_run_only_reads_and_a_refused_push_ends_the_run() -> None:
    orchestration = connection_health_check(Context(input={**WINDOWS365_RUN, "push": False}))
    next(orchestration)
    assert orchestration.send(True).name == names.MIRROR_WINDOWS365_CHECKS  # nothing is sent to Windows 365
    refused = connection_health_check(Context(input=WINDOWS365_RUN))
    next(refused)
    refused.send(True)
    assert finish(refused, "refused") == "refused"  # the push recorded Windows 365's words itself


def test_windows_365_out_of_reach_records_the_run_as_failed() -> None:
    orchestration = connection_health_check(Context(input=WINDOWS365_RUN))
    next(orchestration)
    orchestration.send(True)
    record = orchestration.throw(RuntimeError("Graph did not answer"))
    assert record.name == names.RECORD_HEALTH_CHECKS
    assert record.payload["results"] == [{"name": "subnetIpUsage", "result": None, "errorType": "internalServerError"}]
    assert finish(orchestration, True) == "recorded"
