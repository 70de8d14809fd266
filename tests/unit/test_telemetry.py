"""The telemetry mechanism in memory: ids on every span and log record inside a piece of work, the trace carried by
queue messages, orchestration inputs and activity payloads, and nothing configured when nothing is set."""

from __future__ import annotations

import inspect
import json
import logging
import threading
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import telemetry
from shared.events import QueueEventPublisher
from shared.models.orchestrations import FailCall, ProvisionInput
from shared.settings import Settings

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()  # a provider of these tests' own: the process's global one is left as it is
PROVIDER.add_span_processor(telemetry.IdsOnSpans())
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))


@pytest.fixture(autouse=True)
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """The app's spans go to this provider, as they would to the one `configure` sets."""
    monkeypatch.setattr(telemetry, "_tracer", PROVIDER.get_tracer("cloudpc"))
    EXPORTER.clear()
    return EXPORTER


def test_nothing_is_configured_without_a_connection_string_or_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry, "_configured", None)
    assert telemetry.configure(Settings()) == "off"


def test_the_ids_of_the_work_go_on_every_span_inside_it_the_sdks_included(spans: InMemorySpanExporter) -> None:
    sdk = PROVIDER.get_tracer("azure.mgmt.compute")  # another library's spans, as the Azure SDK makes them
    with telemetry.span("outer", ids={"tenantId": "t1", "password": "never", "cloudPcId": ""}):
        with telemetry.span("inner", ids={"cloudPcId": "c1"}), sdk.start_as_current_span("PUT"):
            pass
        with sdk.start_as_current_span("GET"):
            pass
    attributes = {s.name: dict(s.attributes or {}) for s in spans.get_finished_spans()}
    assert attributes["outer"] == {"cloudpc.tenant_id": "t1"}  # only the known ids, and only the non-empty ones
    assert attributes["PUT"] == {"cloudpc.tenant_id": "t1", "cloudpc.cloud_pc_id": "c1"}
    assert attributes["GET"] == {"cloudpc.tenant_id": "t1"}


def test_a_thread_that_carries_only_the_trace_context_inherits_the_ids_from_its_parent_span(
    spans: InMemorySpanExporter,
) -> None:
    with telemetry.span("activity", ids={"tenantId": "t1"}):
        carried = otel_context.get_current()  # what azure-core hands an LRO poller's thread

    def poll() -> None:
        token = otel_context.attach(carried)
        with PROVIDER.get_tracer("azure.core").start_as_current_span("poll"):
            pass
        otel_context.detach(token)

    worker = threading.Thread(target=poll)
    worker.start()
    worker.join()
    [poll_span] = [s for s in spans.get_finished_spans() if s.name == "poll"]
    assert dict(poll_span.attributes or {}) == {"cloudpc.tenant_id": "t1"}


def test_log_records_carry_the_trace_and_the_ids() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "reconciled", None, None)
    with telemetry.span("work", ids={"tenantId": "t1"}) as current:
        assert telemetry.IdsOnLogs().filter(record)
    assert record.trace_id == trace.format_trace_id(current.get_span_context().trace_id)  # type: ignore[attr-defined]
    assert getattr(record, "cloudpc.tenant_id") == "t1"


def test_a_queue_message_carries_the_trace_and_its_reader_continues_it(spans: InMemorySpanExporter) -> None:
    class Queue:  # the one thing the publisher asks of a QueueClient here
        queue_name = "directory-events"
        sent: list[str] = []

        def create_queue(self) -> None:
            pass

        def send_message(self, message: str) -> None:
            self.sent.append(message)

    queue = Queue()
    with telemetry.span("request", ids={"tenantId": "t1"}):
        QueueEventPublisher(queue).publish_directory_event("t1", group_ids=["g1"])  # type: ignore[arg-type]
    [message] = [json.loads(m) for m in queue.sent]
    assert message["tenantId"] == "t1" and message["groupIds"] == ["g1"]
    with telemetry.span("process directory-events", parent=message["traceparent"]):
        pass
    by_name = {s.name: s for s in spans.get_finished_spans()}
    send, process = by_name["send directory-events"], by_name["process directory-events"]
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert process.context.trace_id == by_name["request"].context.trace_id


def test_an_activity_continues_the_trace_its_payload_carries_and_keeps_its_binding_name(
    spans: InMemorySpanExporter,
) -> None:
    with telemetry.span("start provision_cloud_pc") as start:
        run = ProvisionInput(tenant_id="t1", cloud_pc_id="c1", run=1, traceparent=telemetry.traceparent())
    call = run.derive(FailCall, step="createVm", code="x", message="y")  # a call the orchestrator makes: its trace
    assert call.traceparent == run.traceparent

    @telemetry.activity
    def advance_provisioning(call: dict[str, Any]) -> str:
        return str(call["cloudPcId"])

    assert list(inspect.signature(advance_provisioning).parameters) == ["call"]  # the host binds by this name
    assert advance_provisioning(call=call.model_dump(mode="json", by_alias=True)) == "c1"
    [activity] = [s for s in spans.get_finished_spans() if s.name == "activity advance_provisioning"]
    assert activity.parent is not None and activity.parent.span_id == start.get_span_context().span_id
    assert dict(activity.attributes or {}) == {"cloudpc.tenant_id": "t1", "cloudpc.cloud_pc_id": "c1"}


def test_an_untraced_contract_sends_no_traceparent() -> None:
    assert "traceparent" not in ProvisionInput(tenant_id="t1", cloud_pc_id="c1", run=1).model_dump(by_alias=True)
