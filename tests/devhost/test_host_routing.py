"""Route templates: parameters, constraints, optional and catch-all segments, precedence."""

from __future__ import annotations

import pytest

from devhost.routing import RouteError, Router, compile_route, join_prefix


@pytest.fixture
def router() -> Router:
    r = Router()
    r.add("api/items/{id:int}", ["GET"], "by-id")
    r.add("api/items/{name}", ["GET", "POST"], "by-name")
    r.add("api/items/new", ["GET"], "literal")
    r.add("api/files/{*path}", ["GET"], "catch-all")
    r.add("api/docs/{name}.{ext}", ["GET"], "two-in-a-segment")
    r.add("api/codes/{code:regex(^[a-z]{{2}}$)}", ["GET"], "regex")
    r.add("api/pages/{n:int:min(1)=1}", ["GET"], "default")
    return r


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "api/items/12", ("by-id", {"id": "12"})),
        ("GET", "api/items/twelve", ("by-name", {"name": "twelve"})),
        ("GET", "api/items/new", ("literal", {})),
        ("POST", "api/items/12", ("by-name", {"name": "12"})),
        ("GET", "api/files/a/b/c.txt", ("catch-all", {"path": "a/b/c.txt"})),
        ("GET", "api/files", ("catch-all", {})),
        ("GET", "api/docs/report.tar.gz", ("two-in-a-segment", {"name": "report", "ext": "tar.gz"})),
        ("GET", "api/codes/ab", ("regex", {"code": "ab"})),
        ("GET", "api/pages", ("default", {"n": "1"})),
        ("GET", "api/pages/4", ("default", {"n": "4"})),
        ("GET", "API/Items/5", ("by-id", {"id": "5"})),
    ],
)
def test_resolves(router: Router, method: str, path: str, expected: object) -> None:
    assert router.resolve(method, path) == expected


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "api/codes/abc", 404),
        ("GET", "api/pages/0", 404),
        ("GET", "api/nothing", 404),
        ("DELETE", "api/items/12", 405),
        ("PUT", "api/items/new", 405),
    ],
)
def test_refuses(router: Router, method: str, path: str, status: int) -> None:
    assert router.resolve(method, path) == status


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        ("int", "-12", "1.5"),
        ("long", "9000000000", "x"),
        ("bool", "True", "yes"),
        ("double", "1.5e3", "nan"),
        ("guid", "0b7f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "123"),
        ("alpha", "abc", "ab1"),
        ("minlength(3)", "abc", "ab"),
        ("maxlength(2)", "ab", "abc"),
        ("length(2,3)", "abc", "a"),
        ("range(1,5)", "5", "6"),
        ("max(3)", "3", "4"),
        ("datetime", "2026-11-22", "22/11/2026"),
    ],
)
def test_constraints(constraint: str, good: str, bad: str) -> None:
    route = compile_route(f"x/{{v:{constraint}}}")
    assert route.match(f"x/{good}") == {"v": good}
    assert route.match(f"x/{bad}") is None


def test_optional_parameter_must_be_last() -> None:
    with pytest.raises(RouteError):
        compile_route("api/{a?}/b")


def test_unknown_constraint_is_rejected() -> None:
    with pytest.raises(RouteError):
        compile_route("api/{a:nosuch}")


def test_prefix_joining() -> None:
    assert join_prefix("api", "/items/") == "api/items"
    assert join_prefix("", "items") == "items"
    assert join_prefix("api", "") == "api"
