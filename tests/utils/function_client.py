"""Calls an app's HTTP functions in-process with real func.HttpRequest objects (no server)."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from devhost.invocation_context import InvocationContext, host_trace

BASE = "http://127.0.0.1:7071"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    content: bytes  # as sent: gzipped when the answer says Content-Encoding: gzip

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def error_code(self) -> str | None:
        body = self.json()
        return body["error"]["code"] if isinstance(body, dict) and "error" in body else None


class FunctionClient:
    """Routes `METHOD /api/...` to the app's HTTP functions as the host would, minus the network."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.token = token  # sent as a bearer token unless a request names its own Authorization
        self.routes: list[tuple[str, re.Pattern[str], Any]] = []
        catch_alls: list[tuple[str, re.Pattern[str], Any]] = []
        for function in app.get_functions():
            trigger = function.get_trigger()
            if trigger.get_binding_name() != "httpTrigger":
                continue
            pattern = re.sub(r"\{\*(\w+)\}", r"(?P<\1>.*)", trigger.route)  # a catch-all takes the rest
            pattern = re.sub(r"\{(\w+)(?::[^}]*)?\}", r"(?P<\1>[^/]+)", pattern)
            for method in trigger.methods:
                entry = (str(method.value), re.compile(f"^{pattern}$"), function.get_user_function())
                # as the host routes: a catch-all only takes what no other route does
                (catch_alls if "{*" in trigger.route else self.routes).append(entry)
        self.routes += catch_alls

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        parts = urlsplit(path)
        route = parts.path.removeprefix("/api/")
        sent_headers = dict(headers or {})
        if self.token and not any(name.lower() == "authorization" for name in sent_headers):
            sent_headers["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        for route_method, pattern, function in self.routes:
            match = pattern.match(route)
            if match and route_method == method:
                req = func.HttpRequest(
                    method=method,
                    url=f"{BASE}{parts.path}" + (f"?{parts.query}" if parts.query else ""),
                    headers=sent_headers,
                    params=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    route_params=match.groupdict(),
                    body=body or b"",
                )
                extra = {}
                if "context" in inspect.signature(function).parameters:  # as the host hands it: its span's trace
                    extra["context"] = InvocationContext(str(uuid.uuid4()), "", "", host_trace(sent_headers))
                response = function(req, **extra)
                if inspect.iscoroutine(response):  # an async function, which the host runs on its event loop
                    response = asyncio.run(response)
                return Reply(response.status_code, dict(response.headers), response.get_body())
        raise AssertionError(f"no function serves {method} {path}")

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PATCH", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)
