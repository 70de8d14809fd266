"""The orchestrator generators driven by hand: a fake context, activity answers sent in, no host, no storage."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

from orchestrators import names
from orchestrators.configuration import connection_health_check, import_device_image
from orchestrators.phases import CALLS_PER_EXECUTION, MAX_CALLS
from orchestrators.provisioning import provision_cloud_pc
from shared.models.cloud_pcs import BuildSettings
from shared.models.orchestrations import PROVISIONING_CALLS_PER_EXECUTION, HealthCheckRun, ProvisionInput
from shared.models.provisioning import CloudPcJob, RunState
from shared.services.backends.windows365_connection_checks import health_check_phases
from shared.services.configuration import health_check_runs
from shared.services.configuration.health_check_runs import COULD_NOT_RUN, RAN_TOO_LONG
from shared.services.configuration.health_checks import checks_for
from tests.utils.orchestration import NOW, Call, Context, Timer

RUN = {"tenantId": "t1", "cloudPcId": "cpc1", "run": 2}
ASKED = {"askedAt": NOW.isoformat().replace("+00:00", "Z")}  # each call says when it was asked, so a long wait shows


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
        tenant_id="t1",
        cloud_pc_id="cpc1",
        run=2,
        generation=1,
        device_name="CPC-AB12C",
        user_id="u1",
        build=build,
        core=["createVm"],
        assignment=["assignUser"],
    )
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
    assert call == Call(names.ADVANCE_PROVISIONING, {**RUN, "state": None, "calls": 0, **ASKED})
    assert finish(orchestration, {"outcome": "provisioned", "state": None, "waitSeconds": 0}) == "provisioned"


def test_a_run_paced_in_a_burst_waits_for_its_start_before_its_first_call() -> None:
    later = NOW + timedelta(seconds=40)
    context = Context(input={**RUN, "notBefore": later.isoformat()})
    orchestration = provision_cloud_pc(context)
    assert next(orchestration) == Timer(later)
    call = orchestration.send(None)
    assert call.name == names.ADVANCE_PROVISIONING and call.payload["calls"] == 0


def test_a_wait_is_a_timer_at_resume_at_and_never_sooner_than_the_minimum() -> None:
    context = Context(input=RUN)
    orchestration = provision_cloud_pc(context)
    next(orchestration)
    timer = orchestration.send(waiting(30, resume_at=NOW + timedelta(seconds=10)))
    assert timer == Timer(NOW + timedelta(seconds=10))  # measured when Azure answered, not now + 30 s
    call = orchestration.send(None)
    assert call.name == names.ADVANCE_PROVISIONING and call.payload["state"] == state({"step": "createVm"})
    assert orchestration.send(waiting(30, resume_at=NOW - timedelta(seconds=5))) == Timer(NOW)
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
    assert next(resumed) == Call(names.ADVANCE_PROVISIONING, {**context.continued_with, **ASKED})


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


CHECK_RUN = {"tenantId": "t1", "connectionId": "c1", "run": 3, "checks": ["subnetIpUsage", "dnsResolution"]}


def test_a_health_check_run_takes_its_phases_waiting_as_its_activity_asks() -> None:
    orchestration = connection_health_check(Context(input=CHECK_RUN))
    first = next(orchestration)
    assert first == Call(
        names.ADVANCE_HEALTH_CHECK,
        {
            **CHECK_RUN,
            "backend": "azure",
            "push": True,
            "results": [],
            "probe": None,
            "superseded": False,
            "phase": 0,
            "operation": None,
            "startedAt": None,
            "held": None,
            "calls": 0,
            **ASKED,
        },
    )
    waiting = {"run": {**CHECK_RUN, "phase": 3, "operation": "op-dns"}, "waitSeconds": 8}
    assert orchestration.send(waiting) == Timer(NOW + timedelta(seconds=8))
    again = orchestration.send(None)
    assert (again.payload["phase"], again.payload["operation"], again.payload["calls"]) == (3, "op-dns", 1)
    assert finish(orchestration, {"run": {**CHECK_RUN, "phase": 5}, "outcome": "recorded"}) == "recorded"


def test_a_health_check_run_that_cannot_go_on_records_its_unfinished_checks_as_failed() -> None:
    orchestration = connection_health_check(Context(input=CHECK_RUN))
    next(orchestration)
    record = orchestration.throw(RuntimeError("storage unreachable"))  # after the activity's retries
    assert record.name == names.RECORD_UNFINISHED_HEALTH_CHECKS
    assert (record.payload["checks"], record.payload["errorType"]) == (CHECK_RUN["checks"], COULD_NOT_RUN)
    assert finish(orchestration, True) == "recorded"
    stuck = connection_health_check(Context(input={**CHECK_RUN, "calls": MAX_CALLS}))
    assert next(stuck).payload["errorType"] == RAN_TOO_LONG  # called as often as a run may be: never left running
    assert finish(stuck, False) == "superseded"


def test_a_health_check_run_is_its_checks_outside_the_network_then_the_probe_and_those_inside() -> None:
    hybrid = HealthCheckRun.model_validate({**CHECK_RUN, "checks": [c.name for c in checks_for("hybridAzureADJoin")]})
    assert health_check_runs.own_phases(hybrid) == [
        "markRunning",
        "subnetIpUsage",
        "virtualNetworkReadiness",
        "subscriptionPermissions",
        "prepareProbe",
        "dnsResolution",
        "adDomainJoin",
        "endpointConnectivity",
        "entraDeviceSync",
        "record",
        "removeProbe",
    ]
    outside = hybrid.model_copy(update={"checks": ["subnetIpUsage"]})
    assert health_check_runs.own_phases(outside) == ["markRunning", "subnetIpUsage", "record"]  # no probe to make
    windows365 = hybrid.model_copy(update={"backend": "windows365"})
    assert health_check_phases(windows365) == ["markRunning", "pushToWindows365", "mirrorWindows365Checks"]
    reread = windows365.model_copy(update={"push": False})  # a scheduled run only reads Windows 365's results
    assert health_check_phases(reread) == ["markRunning", "mirrorWindows365Checks"]


IMAGE = {"tenantId": "t1", "imageId": "img1"}


def test_an_image_import_is_read_again_while_pending_and_failed_when_it_cannot_go_on() -> None:
    orchestration = import_device_image(Context(input=IMAGE))
    assert next(orchestration).name == names.ADVANCE_IMAGE_IMPORT
    assert orchestration.send({"run": {**IMAGE, "operation": "w365-img"}, "waitSeconds": 5}) == Timer(
        NOW + timedelta(seconds=5)
    )
    orchestration.send(None)
    assert finish(orchestration, {"run": IMAGE, "outcome": "ready"}) == "ready"
    broken = import_device_image(Context(input=IMAGE))
    next(broken)
    failure = broken.throw(RuntimeError("Graph did not answer"))
    assert failure.name == names.FAIL_DEVICE_IMAGE and failure.payload["details"] == "Graph did not answer"
    assert finish(broken, "failed") == "failed"


def test_a_run_started_now_continues_as_new_after_each_call_and_one_started_before_keeps_its_own_count() -> None:
    started = ProvisionInput.starting("t1", "cpc1", 2).model_dump(mode="json", by_alias=True)
    assert {k: started[k] for k in RUN} == RUN
    assert started["perExecution"] == PROVISIONING_CALLS_PER_EXECUTION == 1
    context = Context(input=started)
    orchestration = provision_cloud_pc(context)
    next(orchestration)
    assert isinstance(orchestration.send(waiting(5)), Timer)
    assert finish(orchestration, None) is None
    assert context.continued_with is not None and context.continued_with["perExecution"] == 1, "carried on"
    before = Context(input=RUN)  # an input recorded before the limit was carried: its replay makes the same calls
    assert "perExecution" not in RUN
    replay = provision_cloud_pc(before)
    next(replay)
    assert isinstance(replay.send(waiting(5)), Timer)
    assert isinstance(replay.send(None), Call), "a second call in the same execution, as it was recorded"
