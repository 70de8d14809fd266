"""JSON answers are gzipped for a client that takes it, once big enough to gain; an item with an ETag never is."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

from tests.utils.function_client import FunctionClient
from triggers.http_responses import GZIP_MIN_BYTES

TAKES_GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # as a browser asks


def test_a_list_is_gzipped_when_asked_and_plain_otherwise(
    client: FunctionClient, make_tenant: Callable[..., str]
) -> None:
    while len(client.get("/api/tenants").content) < GZIP_MIN_BYTES:
        make_tenant()
    plain = client.get("/api/tenants")
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    packed = client.get("/api/tenants", headers=TAKES_GZIP)
    assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content) / 2
    refused = client.get("/api/tenants", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.json() == plain.json()


def test_an_item_with_its_etag_and_a_small_answer_stay_plain(
    client: FunctionClient, make_tenant: Callable[..., str]
) -> None:
    tenant = make_tenant(displayName="A" * 200)
    item = client.get(f"/api/tenants/{tenant}", headers=TAKES_GZIP)
    assert item.status == 200 and item.headers["ETag"] and "Content-Encoding" not in item.headers
    missing = client.get("/api/tenants/no-such-tenant", headers=TAKES_GZIP)
    assert missing.status == 404 and "Content-Encoding" not in missing.headers and missing.error_code
