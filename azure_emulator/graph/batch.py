"""Graph JSON batching: `POST /$batch` with up to 20 requests, each answered on its own (status, headers, body)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from azure_emulator.graph.common import GraphRoutes, bad_request
from azure_emulator.server import Context, Request, Response, dispatch

MAX_REQUESTS = 20
# Header names a batch answer spells otherwise than the HTTP answer does: a throttled request's wait is `retry-after`
# (https://learn.microsoft.com/graph/throttling, "Throttling and batching")
BATCH_SPELLING = {"retry-after": "retry-after"}


def _answer(sub_id: str, response: Response) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    headers = {"Content-Type": response.content_type.split(";")[0]} if body is not None else {}
    headers.update({BATCH_SPELLING.get(name.lower(), name): value for name, value in response.headers.items()})
    answer: dict[str, Any] = {"id": sub_id, "status": response.status, "headers": headers}
    if body is not None:
        answer["body"] = body
    return answer


def register(ctx: Context, routes: GraphRoutes) -> None:
    # the batch itself is charged no identity budget: each request in it is, as it is dispatched (whether the batch
    # envelope costs anything of its own is not documented)
    @routes.route("POST", r"/\$batch", "batch", service="other")
    def batch(request: Request) -> Response:
        items = request.json().get("requests")
        if not isinstance(items, list) or not items:
            raise bad_request("The batch needs a non-empty 'requests' list.", code="BadRequest")
        if len(items) > MAX_REQUESTS:
            raise bad_request(f"The batch has {len(items)} requests; the limit is {MAX_REQUESTS}.", code="BadRequest")
        ids = [str(item.get("id", "")) if isinstance(item, dict) else "" for item in items]
        if "" in ids or len(set(ids)) != len(ids):
            raise bad_request("Every request in a batch needs a unique 'id'.", code="BadRequest")
        version = request.params["version"]
        answers = []
        for sub_id, item in zip(ids, items, strict=True):
            split = urlsplit("/" + str(item.get("url", "")).lstrip("/"))
            headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            if "authorization" in request.headers:
                headers["authorization"] = request.headers["authorization"]
            body = item.get("body")
            sub = Request(
                method=str(item.get("method", "GET")).upper(),
                path=f"/graph/{version}{unquote(split.path)}",
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers=headers,
                body=json.dumps(body).encode() if body is not None else b"",
                base_url=request.base_url,
            )
            answers.append(_answer(sub_id, dispatch(ctx, sub)))
        return Response(200, {"responses": answers})
