"""A call the service takes and does not answer in time: held as NOT_ANSWERING, naming the service and the timeout,
and written so on the step's timeline line; a refused connection stays an outage (UNANSWERED)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceRequestTimeoutError, ServiceResponseTimeoutError

from shared.cloud.azure import arm_lro
from shared.cloud.azure.transport import ARM_PATIENCE, GRAPH_PATIENCE, KEY_VAULT_PATIENCE, http_transport
from shared.models.provisioning import CloudPcJob
from shared.models.words import waited
from shared.ports.cloud_errors import NOT_ANSWERING, REQUEST_BUDGET, UNANSWERED, CloudError
from shared.ports.progress import Progress
from shared.services.cloud_pcs.timeline import held_line

ARM = "Azure Resource Manager"


@arm_lro.hand_back("createVm")
def _calling(error: Exception, operation: str | None = None) -> Progress:
    raise error


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (ServiceResponseTimeoutError("read timed out"), NOT_ANSWERING, f"{ARM} did not answer within 20 s"),
        (ServiceRequestTimeoutError("connect timed out"), NOT_ANSWERING, f"{ARM} did not answer within 5 s"),
        (ServiceRequestError("connection refused"), UNANSWERED, f"{ARM} did not answer"),
    ],
)
def test_an_arm_call_not_answered_is_held_naming_the_service(error: Exception, code: str, reason: str) -> None:
    assert _calling(error, "vm https://arm/op") == Progress(
        done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, operation="vm https://arm/op", held=code, reason=reason
    )


def test_a_call_not_answering_is_waited_out_as_an_outage() -> None:
    assert CloudError("findDevice", NOT_ANSWERING, "Microsoft Graph did not answer within 20 s").transient


def test_every_service_has_timeouts_far_below_azure_cores_300_s() -> None:
    for patience in (ARM_PATIENCE, GRAPH_PATIENCE, KEY_VAULT_PATIENCE):
        config = http_transport(patience).connection_config
        assert (config.timeout, config.read_timeout) == (patience.connect_s, patience.read_s)
        assert patience.connect_s + patience.read_s <= 30
        assert patience.retry_options()["retry_read"] == 0  # an unanswered read is not sent again in the call


def test_the_timeline_line_says_which_service_did_not_answer() -> None:
    job = cast(CloudPcJob, SimpleNamespace(cloud_pc_id="c1", run=1, generation=1))  # what a line is keyed by
    now = datetime(2026, 1, 1, tzinfo=UTC)
    line = held_line(job, 1, "createVm", NOT_ANSWERING, 5, now, "Azure Resource Manager did not answer within 20 s")
    assert line is not None and (line.name, line.code) == ("heldByAzure", NOT_ANSWERING)
    assert line.message is not None
    assert line.message.startswith("createVm: Azure Resource Manager did not answer within 20 s; the app asks again")


def test_the_apps_own_pacing_is_said_only_when_long_and_in_an_admins_words() -> None:
    job = cast(CloudPcJob, SimpleNamespace(cloud_pc_id="c1", run=1, generation=1))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert held_line(job, 1, "createVm", REQUEST_BUDGET, 1.33821, now) is None, "a healthy provisioning meets it"
    line = held_line(job, 1, "createVm", REQUEST_BUDGET, 95.5, now)
    assert line is not None and line.message == (
        "createVm: waiting its turn under the subscription's Azure request limit, so that Azure need not refuse; "
        "the app asks again in 2 min and goes on by itself, spending no attempt."
    )
    held = held_line(job, 1, "createNic", "TooManyRequests", 2.4999, now)
    assert held is not None and "asks again in 2 s" in str(held.message)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.2, "1 s"),
        (1.33821, "1 s"),
        (59.6, "60 s"),
        (89, "89 s"),
        (95, "2 min"),
        (3599, "1 h"),
        (3900, "1 h 5 min"),
        (7200, "2 h"),
    ],
)
def test_a_wait_is_said_in_whole_seconds_or_minutes(seconds: float, said: str) -> None:
    assert waited(seconds) == said
