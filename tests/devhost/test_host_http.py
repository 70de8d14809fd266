"""HTTP triggers through DevHost: routes, constraints, methods, request parts, responses."""

from __future__ import annotations

import json

import pytest

from devhost.host import DevHost
from tests.devhost.support import call


def test_int_constraint_picks_the_constrained_route(sample_host: DevHost) -> None:
    reply = call("GET", f"{sample_host.base_url}/api/items/42")
    assert reply.status == 200
    assert reply.json() == {"kind": "id", "id": "42"}
    assert reply.headers["Content-Type"] == "application/json"


def test_alpha_constraint_and_route_params(sample_host: DevHost) -> None:
    reply = call("GET", f"{sample_host.base_url}/api/items/widget")
    assert reply.json() == {"kind": "name", "name": "widget", "method": "GET"}
    assert call("DELETE", f"{sample_host.base_url}/api/items/widget").json()["method"] == "DELETE"


def test_value_matching_no_constraint_is_404(sample_host: DevHost) -> None:
    assert call("GET", f"{sample_host.base_url}/api/items/abc123").status == 404
    assert call("GET", f"{sample_host.base_url}/api/no/such/route").status == 404


def test_method_not_in_list_is_405(sample_host: DevHost) -> None:
    assert call("POST", f"{sample_host.base_url}/api/items/42", b"{}").status == 405
    assert call("GET", f"{sample_host.base_url}/api/echo").status == 405


def test_optional_parameter(sample_host: DevHost) -> None:
    assert call("GET", f"{sample_host.base_url}/api/pages/intro").json() == {"section": "intro"}
    assert call("GET", f"{sample_host.base_url}/api/pages/intro/3").json() == {"section": "intro", "page": "3"}


def test_query_headers_body_and_response_parts(sample_host: DevHost) -> None:
    url = f"{sample_host.base_url}/api/echo?a=1&b=two&a=3"
    reply = call(
        "PUT", url, json.dumps({"x": [1, 2]}).encode(), {"Content-Type": "application/json", "X-Sample": "header value"}
    )
    assert reply.status == 201
    assert reply.headers["x-sample-reply"] == "yes"
    seen = reply.json()
    assert seen["method"] == "PUT"
    assert seen["url"] == url
    assert seen["query"] == {"a": "1,3", "b": "two"}  # repeated names are comma-joined
    assert seen["header"] == "header value"
    assert seen["json"] == {"x": [1, 2]}


def test_raw_body_is_passed_through(sample_host: DevHost) -> None:
    reply = call("POST", f"{sample_host.base_url}/api/echo", "plain body é".encode(), {"Content-Type": "text/plain"})
    assert reply.json()["body"] == "plain body é"


def test_async_function_returning_str(sample_host: DevHost) -> None:
    reply = call("GET", f"{sample_host.base_url}/api/async-hello?name=ada")
    assert reply.status == 200
    assert reply.text == "hello ada"
    assert reply.headers["Content-Type"].startswith("text/plain")


def test_function_keys_are_accepted_unchecked(sample_host: DevHost) -> None:
    reply = call("GET", f"{sample_host.base_url}/api/items/1?code=anything", headers={"x-functions-key": "whatever"})
    assert reply.status == 200


def test_unhandled_exception_is_a_bare_500(sample_host: DevHost) -> None:
    reply = call("GET", f"{sample_host.base_url}/api/boom")
    assert reply.status == 500
    assert reply.body == b""


@pytest.mark.parametrize("path", ["/api/ITEMS/7", "/api/items/7/"])
def test_paths_match_case_insensitively_and_ignore_trailing_slash(sample_host: DevHost, path: str) -> None:
    assert call("GET", sample_host.base_url + path).json()["id"] == "7"


def test_listing_shows_urls_and_triggers(sample_host: DevHost) -> None:
    listing = sample_host.listing()
    assert f"item_by_id: [GET] {sample_host.base_url}/api/items/{{id:int}}" in listing
    assert "work_item: queueTrigger" in listing
    assert "greet_all: orchestrationTrigger" in listing
