"""One policy assignment is one trace: the request, its queue message, the orchestration start, the activities and
the Azure calls they make, each span with the tenant's id and none with a secret; logs carry the same ids. The
request's span is the worker's, a child of the span the host (devhost) reports the request with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.azurite import Azurite
from tests.utils.api_client import eventually
from tests.utils.host_process import HostProcess, isolated_env
from tests.utils.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.utils.wizard import PASSWORD, Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
INTERNAL, CLIENT, PRODUCER, CONSUMER = 1, 3, 4, 5
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    collector = OtlpReceiver()
    yield collector
    collector.close()


@pytest.fixture
def host(
    azurite: Azurite, azure_environment: dict[str, str], tmp_path: Path, admin_token: str, receiver: OtlpReceiver
) -> Iterator[HostProcess]:
    env = isolated_env(
        azurite.connection_string,
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,  # the standard setting: no Application Insights here
        OTEL_BSP_SCHEDULE_DELAY="100",  # export every 100 ms rather than every 5 s
        OTEL_BLRP_SCHEDULE_DELAY="100",
    )
    process = HostProcess(env, tmp_path / "durable.sqlite", tmp_path / "host.log", admin_token)
    yield process
    process.stop()


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> set[str]:
    """The ids of the spans `span` descends from."""
    by_id = {s.span_id: s for s in spans}
    chain = set()
    while (parent := by_id.get(span.parent_span_id)) is not None:
        chain.add(parent.span_id)
        span = parent
    return chain


def test_one_policy_assignment_is_one_trace_from_the_request_to_the_arm_calls(
    host: HostProcess, receiver: OtlpReceiver
) -> None:
    api = host.start()
    tenant = Tenant(api, onboard=False)
    tenant.user("ann", [PLAN])
    tenant.group("finance", ["ann"])
    # onboarded only now: the app subscribes to the directory after these changes, so no change notification races
    # the assignment below to start the Cloud PC in a trace of its own
    tenant.onboard()
    connection = tenant.healthy_connection()  # its domain-join password goes to Key Vault, and is read to join
    join = {"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": connection["id"]}
    policy = tenant.policy(domainJoinConfigurations=[join])
    tenant.assign(policy, "finance")

    def provisioned() -> str:
        cloud_pcs = api.get(f"{tenant.path}/cloudPCs").json()["value"]
        assert [c["status"] for c in cloud_pcs] == ["provisioned"]
        return str(cloud_pcs[0]["id"])

    cloud_pc_id = eventually(provisioned, timeout_s=120)
    queue = host.env["DIRECTORY_EVENTS_QUEUE"]

    def one(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
        found = [s for s in spans if s.name == name or s.attributes.get("cloudpc.operation") == name]
        assert len(found) == 1, (name, [s.name for s in spans])
        return found[0]

    def whole_trace() -> tuple[ReceivedSpan, list[ReceivedSpan]]:
        request = one(receiver.spans, "assignProvisioningPolicy")
        spans = receiver.trace(request.trace_id)
        send, process = one(spans, f"send {queue}"), one(spans, f"process {queue}")
        start = one(spans, "start provision_cloud_pc")
        advances = [s for s in spans if s.name == "activity advance_provisioning"]
        arm = [s for s in spans if s.kind == CLIENT and "/arm/subscriptions/" in str(s.attributes.get("url.full"))]
        assert (request.kind, send.kind, process.kind, start.kind) == (INTERNAL, PRODUCER, CONSUMER, PRODUCER)
        # the host's span of the request (which devhost hands over, exporting nothing itself) is the parent
        assert request.parent_span_id and request.parent_span_id not in {s.span_id for s in receiver.spans}
        assert request.span_id in ancestors(send, spans) and send.span_id in ancestors(process, spans)
        assert process.span_id in ancestors(start, spans)
        assert start.attributes["cloudpc.cloud_pc_id"] == cloud_pc_id
        assert advances and all(a.parent_span_id == start.span_id for a in advances)
        vm = [s for s in arm if "/virtualMachines/" in str(s.attributes["url.full"])]
        assert vm and all(ancestors(s, spans) & {a.span_id for a in advances} for s in vm)
        assert any(s.attributes.get("http.request.method") == "PUT" for s in vm)  # the VM was made in this trace
        return request, spans

    request, spans = eventually(whole_trace, timeout_s=60)
    assert {s.attributes.get("cloudpc.tenant_id") for s in spans} == {tenant.id}
    assert len({s.trace_id for s in receiver.spans if s.attributes.get("cloudpc.cloud_pc_id") == cloud_pc_id}) == 1

    # no secret in any attribute of any span: not the domain-join password, not a token
    values = [str(value) for span in receiver.spans for value in span.attributes.values()]
    assert values and not [v for v in values if PASSWORD in v or JWT.search(v) or v.lower().startswith("bearer ")]

    # logs: the reconcile's own line, in the same trace, with the tenant's id
    def reconcile_logged() -> None:
        lines = [r for r in receiver.logs if r["trace_id"] == request.trace_id and "Reconciled" in str(r["body"])]
        assert lines and all(r["attributes"]["cloudpc.tenant_id"] == tenant.id for r in lines)

    eventually(reconcile_logged, timeout_s=30)
    assert not [r for r in receiver.logs if PASSWORD in str(r)]
