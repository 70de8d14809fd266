"""The telemetry mechanism in memory: ids on every span and log record inside a piece of work, the trace carried by
queue messages, orchestration inputs and activity payloads, the host's span each invocation's span descends from,
the sampler and exporter the Azure Monitor path sets up, and nothing configured when nothing is set."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import subprocess
import sys
import threading
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devhost.invocation_context import InvocationContext, host_trace
from shared import telemetry
from shared.events import QueueEventPublisher
from shared.models.orchestrations import FailCall, ProvisionInput
from shared.settings import Settings, SettingsError, load_settings
from triggers.http_api import Api, Operation
from triggers.http_request import ApiRequest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"  # the HTTP caller's span
# a connection string whose endpoints are closed local ports: configuring sends nothing anywhere
CONNECTION_STRING = (
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:1/;"
    "LiveEndpoint=http://127.0.0.1:1/"
)

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


def invocation(trace_parent: str, trace_state: str = "") -> InvocationContext:
    """The `context` devhost hands a function, its host span's trace as given."""
    return InvocationContext("5f0c8d3e-0000-4000-8000-000000000001", "f", ".", (trace_parent, trace_state))


def parent_of(traceparent: str) -> tuple[int, int]:
    _, trace_id, span_id, _ = traceparent.split("-")
    return int(trace_id, 16), int(span_id, 16)


def test_an_invocations_span_is_a_child_of_the_hosts_span(spans: InMemorySpanExporter) -> None:
    context = invocation(host_trace({"traceparent": CALLER, "tracestate": "vendor=1"})[0], "vendor=1")
    with telemetry.span("work", invocation=context):
        pass
    [work] = spans.get_finished_spans()
    assert work.parent is not None and work.parent.is_remote
    assert (work.context.trace_id, work.parent.span_id) == parent_of(context.trace_context.trace_parent)
    assert work.context.trace_state.get("vendor") == "1"


def test_work_that_carries_its_trace_continues_it_and_links_the_hosts_span(spans: InMemorySpanExporter) -> None:
    with telemetry.span("send directory-events"):
        sent = telemetry.traceparent()
    host = host_trace()[0]  # a queue trigger: the host's span begins a trace of its own
    assert sent is not None and parent_of(host)[0] != parent_of(sent)[0]
    with telemetry.span("process directory-events", parent=sent, invocation=invocation(host)):
        pass
    process = next(s for s in spans.get_finished_spans() if s.name == "process directory-events")
    assert process.parent is not None and (process.context.trace_id, process.parent.span_id) == parent_of(sent)
    assert [(link.context.trace_id, link.context.span_id) for link in process.links] == [parent_of(host)]


def test_devhost_hands_a_function_its_own_span_continuing_the_callers_trace() -> None:
    caller_trace, caller_span = parent_of(CALLER)
    given, state = host_trace({"TraceParent": CALLER, "tracestate": "vendor=1"})
    assert parent_of(given)[0] == caller_trace and parent_of(given)[1] not in (0, caller_span)
    assert given.endswith("-01") and state == "vendor=1"  # the caller's sampling decision stands
    for headers in ({}, {"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"}, {"traceparent": CALLER + "-x"}):
        begun, state = host_trace(headers)  # no caller's trace (or an invalid one): the host's span begins one
        assert begun.endswith("-01") and parent_of(begun)[0] not in (0, caller_trace) and state == ""


class OpenGate:
    """Lets every request through (the real gate's checks are not what this is about)."""

    def enter(self, operation: Operation, req: ApiRequest) -> OpenGate:
        return self

    def scope(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def leave(self, response: func.HttpResponse) -> func.HttpResponse:
        return response


def test_an_api_operations_span_is_an_internal_child_of_the_hosts_request_span(spans: InMemorySpanExporter) -> None:
    bp = df.Blueprint()
    api = Api(OpenGate())
    api.section(bp, "Tenants").get("tenants/{tenantId}", "getTenant", "Get a tenant")(lambda req: {"id": "t1"})
    app = df.DFApp()
    app.register_functions(bp)
    [function] = [f.get_user_function() for f in app.get_functions()]
    request = func.HttpRequest(
        "GET",
        "http://127.0.0.1/api/tenants/t1",
        headers={"traceparent": CALLER},
        route_params={"tenantId": "t1"},
        body=b"",
    )
    host_span = host_trace(request.headers)  # the host's request span, continuing the caller's
    assert asyncio.run(function(request, context=invocation(*host_span))).status_code == 200  # on the API's pool
    [operation] = spans.get_finished_spans()
    assert operation.kind == trace.SpanKind.INTERNAL  # the host reports the request; the worker does not again
    assert operation.parent is not None and (operation.context.trace_id, operation.parent.span_id) == parent_of(
        host_span[0]
    )
    assert dict(operation.attributes or {})["cloudpc.tenant_id"] == "t1"


def test_the_sampling_ratio_is_a_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEMETRY_SAMPLING_RATIO", raising=False)
    assert Settings().telemetry_sampling_ratio == 1.0  # by default every trace is kept
    assert load_settings(TELEMETRY_SAMPLING_RATIO="0.25").telemetry_sampling_ratio == 0.25
    with pytest.raises(SettingsError, match="TELEMETRY_SAMPLING_RATIO"):
        load_settings(TELEMETRY_SAMPLING_RATIO="1.5")


# Run in a process of its own: a process's tracer provider is set once, and this one's is the tests' own.
CONFIGURE = """
import json, logging, sys
from opentelemetry import trace
from shared import telemetry
from shared.settings import Settings

if sys.argv[1] == "worker":  # what the Python worker does first under PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY
    from azure.monitor.opentelemetry import configure_azure_monitor
    configure_azure_monitor()
given = {} if sys.argv[2] == "default" else {"telemetry_sampling_ratio": float(sys.argv[2])}
mode = telemetry.configure(Settings(applicationinsights_connection_string=sys.argv[3], **given))
provider = trace.get_tracer_provider()
processors = provider._active_span_processor._span_processors
sampler = provider.sampler
exporters = [type(getattr(p, "span_exporter", None)).__name__ for p in processors if hasattr(p, "span_exporter")]
handlers = [h for h in logging.getLogger().handlers if type(h).__name__ == "LoggingHandler"]
print(json.dumps({
    "mode": mode,
    "sampler": type(sampler).__name__,
    "root": type(sampler._root).__name__ if hasattr(sampler, "_root") else None,
    "ratio": getattr(getattr(sampler, "_root", None), "rate", None),
    "exporters": exporters,
    "idsOnSpans": sum(isinstance(p, telemetry.IdsOnSpans) for p in processors),
    "idsOnLogs": [any(isinstance(f, telemetry.IdsOnLogs) for f in h.filters) for h in handlers],
}))
"""


def configured_in_a_process(first: str, ratio: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS_"))}
    env.update(
        APPLICATIONINSIGHTS_CONNECTION_STRING=CONNECTION_STRING,  # the worker's own call reads it from here
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",  # statsbeat and the control plane call Microsoft's
        APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED="true",  # endpoints, not the connection string's
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED="true",
    )
    done = subprocess.run(
        [sys.executable, "-c", CONFIGURE, first, ratio, CONNECTION_STRING],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_azure_monitor_keeps_every_trace_by_default_parent_based_through_its_exporter() -> None:
    found = configured_in_a_process("app", "default")
    assert found["mode"] == "azureMonitor"
    assert (found["sampler"], found["root"], found["ratio"]) == ("ParentBased", "TraceIdRatioBased", 1.0)
    assert found["exporters"] == ["AzureMonitorTraceExporter"] and found["idsOnSpans"] == 1
    assert found["idsOnLogs"] and all(found["idsOnLogs"])


def test_azure_monitor_set_up_by_the_worker_gets_the_apps_sampler_and_ids() -> None:
    found = configured_in_a_process("worker", "0.25")
    assert (found["sampler"], found["root"], found["ratio"]) == ("ParentBased", "TraceIdRatioBased", 0.25)
    assert found["exporters"] == ["AzureMonitorTraceExporter"] and found["idsOnSpans"] == 1
    assert found["idsOnLogs"] and all(found["idsOnLogs"])
