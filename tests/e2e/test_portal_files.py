"""The app serves the built portal and the API docs page itself, with no token, and nothing outside them."""

from __future__ import annotations

import gzip

import requests

from devhost.host import DevHost
from tests.conftest import PROJECT_ROOT

BUILD = PROJECT_ROOT / "portal" / "dist"


def _get(app_host: DevHost, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{app_host.base_url}/api/{path}", headers=headers, allow_redirects=False, timeout=30)


def test_the_portal_page_is_served_with_its_security_headers(app_host: DevHost) -> None:
    page = _get(app_host, "portal/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"  # a new build is seen at once
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert '<div id="app">' in page.text


def test_the_portal_address_without_its_slash_redirects_to_it(app_host: DevHost) -> None:
    for path, target in (("portal", "/api/portal/"), ("docs", "/api/docs/")):
        answer = _get(app_host, path)
        assert answer.status_code == 308
        assert answer.headers["Location"] == target


def test_hashed_assets_are_cached_for_good_and_sent_gzipped(app_host: DevHost) -> None:
    script = next((BUILD / "assets").glob("main-*.js"))
    plain = _get(app_host, f"portal/assets/{script.name}", **{"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "text/javascript"
    assert "immutable" in plain.headers["Cache-Control"]
    assert plain.content == script.read_bytes()
    packed = requests.get(
        f"{app_host.base_url}/api/portal/assets/{script.name}", headers={"Accept-Encoding": "gzip"}, stream=True
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.raw.read()) == script.read_bytes()


def test_nothing_outside_the_build_is_served(app_host: DevHost) -> None:
    outside = ("portal/../function_app.py", "portal/%2e%2e/%2e%2e/function_app.py")
    for path in (*outside, "portal/nothing.js", "portal/index.html.gz"):
        answer = _get(app_host, path)
        assert answer.status_code == 404, path
        assert "error" in answer.json()


def test_the_docs_page_reads_the_openapi_document(app_host: DevHost) -> None:
    page = _get(app_host, "docs/")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    assert _get(app_host, "docs/docs.js").text.count("openapi.json") == 1
    assert _get(app_host, "docs/swagger-ui-bundle.js").status_code == 200


def test_the_portal_learns_where_to_sign_in_without_a_token(
    app_host: DevHost, azure_environment: dict[str, str]
) -> None:
    configuration = _get(app_host, "portal/configuration").json()
    assert configuration == {
        "authority": azure_environment["AUTH_ISSUERS"],
        "clientId": azure_environment["APP_CLIENT_ID"],
        "scope": f"api://{azure_environment['AUTH_AUDIENCE']}/access_as_user",
    }


def test_the_served_portal_ships_no_source_map(app_host: DevHost) -> None:
    script = next((BUILD / "assets").glob("main-*.js"))
    assert not list(BUILD.rglob("*.map"))
    assert "sourceMappingURL" not in script.read_text(encoding="utf-8")
    assert _get(app_host, f"portal/assets/{script.name}.map").status_code == 404
