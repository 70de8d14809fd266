"""A collector for the app's OTLP/HTTP exports, in the test's memory: spans and log records as plain dicts."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def _exported(resources: Any, scopes: str, items: str) -> Iterator[Any]:
    """Every span or log record of an OTLP export request, which nests them by resource, then by scope."""
    for resource in resources:
        for scope in getattr(resource, scopes):
            yield from getattr(scope, items)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int  # 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    attributes: dict[str, Any]


@dataclass
class OtlpReceiver:
    """`url` is what OTEL_EXPORTER_OTLP_ENDPOINT takes: traces arrive at /v1/traces, logs at /v1/logs."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    receiver._traces(body)
                elif self.path == "/v1/logs":
                    receiver._logs(body)
                answer = ExportTraceServiceResponse().SerializeToString()  # an empty answer reads the same for logs
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._lock = threading.Lock()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _traces(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        received = [
            ReceivedSpan(
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                name=span.name,
                kind=int(span.kind),
                attributes={a.key: _value(a.value) for a in span.attributes},
            )
            for span in _exported(request.resource_spans, "scope_spans", "spans")
        ]
        with self._lock:
            self.spans.extend(received)

    def _logs(self, body: bytes) -> None:
        request = ExportLogsServiceRequest.FromString(body)
        received = [
            {
                "trace_id": record.trace_id.hex(),
                "body": _value(record.body),
                "attributes": {a.key: _value(a.value) for a in record.attributes},
            }
            for record in _exported(request.resource_logs, "scope_logs", "log_records")
        ]
        with self._lock:
            self.logs.extend(received)

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [span for span in self.spans if span.trace_id == trace_id]
