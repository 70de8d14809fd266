"""Bad input a careless or hostile client sends: each answer is a 4xx in the contract's shape, never a 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from devhost.azurite import Azurite
from shared.bootstrap import Services, build_services
from shared.errors import NotFound
from shared.settings import Settings
from shared.storage.unique_values import UniqueValues
from tests.integration.conftest import create_app
from tests.utils.factories import site_body, tenant_body, unique_table_prefix
from tests.utils.function_client import FunctionClient, Reply


def post_raw(client: FunctionClient, raw: bytes, content_type: str = "application/json") -> Reply:
    return client.request("POST", "/api/tenants", body=raw, headers={"Content-Type": content_type})


@pytest.mark.parametrize("etag", ["garbage", '"x"', 'W/"x', "W/", '""'])
def test_a_malformed_or_foreign_if_match_is_a_stale_etag_not_a_500(
    client: FunctionClient, make_tenant: Callable[..., str], etag: str
) -> None:
    tenant_id, with_site = make_tenant(), make_tenant()
    site = client.post(f"/api/tenants/{with_site}/sites", site_body()).json()
    for method, path in (
        ("DELETE", f"/api/tenants/{tenant_id}"),
        ("PATCH", f"/api/tenants/{tenant_id}"),
        ("DELETE", f"/api/tenants/{with_site}/sites/{site['id']}"),
        ("PATCH", f"/api/tenants/{with_site}/sites/{site['id']}"),
    ):
        body = {"displayName": "Renamed"} if method == "PATCH" else None
        reply = client.request(method, path, json_body=body, headers={"If-Match": etag})
        assert reply.status == 412, (method, path, etag, reply.text)
        assert reply.error_code == "preconditionFailed"
    assert client.get(f"/api/tenants/{tenant_id}").json()["displayName"] == "Contoso"


def test_json_nested_too_deep_is_refused_before_parsing(client: FunctionClient) -> None:
    deep = b'{"displayName": "x", "entraTenantId": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    reply = post_raw(client, deep)
    assert reply.status == 400 and reply.error_code == "invalidJson"
    assert "nested" in reply.json()["error"]["message"]
    # brackets inside strings are text, not nesting
    text = json.dumps({"displayName": "[" * 100}).encode()
    assert post_raw(client, text).status == 201


@pytest.mark.parametrize("top", ["²", "٣", "3.0", "-1", "0", "1001", "9" * 30, " 5"])
def test_top_takes_only_ascii_whole_numbers_in_range(client: FunctionClient, top: str) -> None:
    reply = client.get(f"/api/tenants?top={top}")
    assert reply.status == 400, (top, reply.text)
    assert reply.json()["error"]["target"] == "top"


def test_a_declared_length_over_the_limit_is_refused_without_reading(client: FunctionClient) -> None:
    reply = client.request(
        "POST",
        "/api/tenants",
        body=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(95 * 1024 * 1024)},
    )
    assert reply.status == 413 and reply.error_code == "payloadTooLarge"


def test_duplicate_keys_and_other_charsets_are_refused(client: FunctionClient) -> None:
    twice = b'{"displayName": "A", "displayName": "B"}'
    reply = post_raw(client, twice)
    assert reply.status == 400 and "twice" in reply.json()["error"]["message"]
    latin = '{"displayName": "Caf\u00e9"}'.encode("latin-1")
    for content_type in ("application/json; charset=iso-8859-1", "application/json; charset=utf-16"):
        reply = post_raw(client, latin, content_type)
        assert reply.status == 415, (content_type, reply.text)
    ok = post_raw(client, b'{"displayName": "Caf\xc3\xa9"}', "application/json; charset=UTF-8")
    assert ok.status == 201 and ok.json()["displayName"] == "Caf\u00e9"


@pytest.mark.parametrize(
    "name", ["\u200b", "\u202eevil", "a\u2028b", "a\u0085b", "\u2066x", " \u200b ", "\u0301\u0301", "\ue000"]
)
def test_names_with_hidden_or_reordering_characters_or_nothing_visible_are_refused(
    client: FunctionClient, name: str
) -> None:
    reply = client.post("/api/tenants", tenant_body(displayName=name))
    assert reply.status == 400, (repr(name), reply.text)
    assert reply.json()["error"]["target"] == "displayName"


def test_names_in_any_script_with_marks_are_accepted(client: FunctionClient) -> None:
    for name in ("Café", "Zürich Büro", "東京", "עברית", "e\u0301cole", "R&D / Ops #2"):
        assert client.post("/api/tenants", tenant_body(displayName=name)).status == 201, name


def test_a_forged_or_altered_skip_token_is_refused(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    for index in range(3):
        client.post(f"/api/tenants/{tenant_id}/sites", site_body(displayName=f"Site {index}"))
    first = client.get(f"/api/tenants/{tenant_id}/sites?top=1").json()
    token = first["nextLink"].split("skipToken=", 1)[1]
    assert client.get(f"/api/tenants/{tenant_id}/sites?top=1&skipToken={token}").status == 200
    payload, _, signature = token.partition(".")
    forged = "eyJQYXJ0aXRpb25LZXkiOiJ4IiwiUm93S2V5IjoieSJ9"  # base64 of a continuation this service never made
    for bad in (forged, f"{forged}.{signature}", f"{payload}.{signature[:-2]}xx", payload, "%%%"):
        reply = client.get(f"/api/tenants/{tenant_id}/sites?top=1&skipToken={bad}")
        assert reply.status == 400, (bad, reply.text)
        assert reply.json()["error"]["target"] == "skipToken"


def test_unknown_routes_and_methods_answer_in_the_contract_shape(client: FunctionClient) -> None:
    missing = client.get("/api/nothing/here")
    assert missing.status == 404 and missing.error_code == "notFound"
    wrong = client.request("PUT", "/api/tenants")
    assert wrong.status == 405 and wrong.error_code == "methodNotAllowed"
    assert wrong.headers["Allow"] == "GET, POST"


def test_an_unknown_tenant_is_named_by_its_id(client: FunctionClient) -> None:
    unknown = "0f0e0d0c-0b0a-4908-8706-050403020100"
    for reply in (client.get(f"/api/tenants/{unknown}"), client.delete(f"/api/tenants/{unknown}")):
        assert reply.status == 404
        assert unknown in reply.json()["error"]["message"], reply.text
        assert "'tenant'" not in reply.text


def test_storage_refusing_the_apps_key_is_503(
    azurite: Azurite, azure_environment: dict[str, str], admin_token: str
) -> None:
    wrong_key = azurite.connection_string.replace(
        "AccountKey=", "AccountKey=" + "A" * 8, 1
    )  # still base64, but not the account's key
    services = build_services(Settings(storage_connection_string=wrong_key, table_name_prefix=unique_table_prefix()))
    reply: Reply = FunctionClient(create_app(services), admin_token).post("/api/tenants", tenant_body())
    assert reply.status == 503 and reply.error_code == "serviceUnavailable", reply.text


def test_racing_registrations_of_one_entra_tenant_make_one_tenant(client: FunctionClient) -> None:
    entra = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=20) as pool:
        body = tenant_body(entraTenantId=entra)
        replies = list(pool.map(lambda _: client.post("/api/tenants", body), range(20)))
    assert sorted(r.status for r in replies) == [201] + [409] * 19, [r.text for r in replies if r.status != 409]
    listed = [t for t in client.get("/api/tenants?top=1000").json()["value"] if t["entraTenantId"] == entra]
    assert len(listed) == 1
    # deleting the winner frees the Entra tenant for a new registration
    assert client.delete(f"/api/tenants/{listed[0]['id']}").status == 204
    assert client.post("/api/tenants", tenant_body(entraTenantId=entra)).status == 201


def test_a_claim_goes_to_one_of_many_racers_and_an_abandoned_one_is_taken_over(services: Services) -> None:
    now = [datetime(2026, 11, 1, tzinfo=UTC)]
    values = UniqueValues(services.storage, lambda: now[0])
    owners = [str(uuid.uuid4()) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        won = set(pool.map(lambda owner: values.claim("race", "Golden|1.0", owner, holds=lambda o: True), owners))
    assert len(won) == 1
    (winner,) = won
    # its owner never saved (a crash): young, the claim still stands; old, it is taken over
    assert values.claim("race", "golden|1.0", "late", holds=lambda o: False) == winner
    now[0] += timedelta(hours=1)
    assert values.claim("race", "golden|1.0", "late", holds=lambda o: False) == "late"
    values.release("race", "golden|1.0", winner)  # not the holder any more: nothing happens
    assert values.claim("race", "golden|1.0", "third", holds=lambda o: True) == "late"
    values.release("race", "golden|1.0", "late")
    assert values.claim("race", "golden|1.0", "third", holds=lambda o: True) == "third"


def test_more_input_the_fuzzer_found_is_a_4xx(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    base = f"/api/tenants/{tenant_id}"
    assert client.get("/api/tenants?skipToken=.%C3%A9").status == 400  # a signature compared as text crashed
    bulk = client.post(f"{base}/bulkActions", {"action": "retry", "cloudPcIds": ["a/b"]})
    assert bulk.status == 400 and bulk.json()["error"]["details"][0]["target"] == "cloudPcIds[0]"
    assign = client.post(f"{base}/provisioningPolicies/abc/assign", {"assignments": [{"groupId": str(uuid.uuid4())}]})
    assert assign.status == 404, assign.text
    for path in (
        "/api/tenants?top=",
        f"{base}/cloudPCs?status=",
        f"{base}/auditEvents?since=",
        f"{base}/cloudPCs?status=nonsense",
        f"{base}/auditEvents?since=2026-01-01",
    ):
        reply = client.get(path)
        assert reply.status == 400, (path, reply.text)
    # the query is checked before the If-Match the handler reads
    odd = client.patch(f"{base}?validateOnly=-1", {"displayName": "X"}, headers={"If-Match": 'W/"x"'})
    assert odd.status == 400 and odd.json()["error"]["target"] == "validateOnly"


def test_a_tenant_not_linked_to_entra_is_a_conflict_where_the_directory_is_needed(
    client: FunctionClient, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    policy = {
        "displayName": "P",
        "imageType": "gallery",
        "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
        "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
    }
    client.post(f"/api/tenants/{tenant_id}/sites", site_body())
    created = client.post(f"/api/tenants/{tenant_id}/provisioningPolicies", policy)
    assert created.status == 201, created.text
    reply = client.post(
        f"/api/tenants/{tenant_id}/provisioningPolicies/{created.json()['id']}/assign",
        {"assignments": [{"groupId": str(uuid.uuid4())}]},
    )
    assert reply.status == 409 and reply.error_code == "tenantNotLinked", reply.text


def test_an_unpaired_surrogate_is_refused_and_a_paired_one_is_a_character(client: FunctionClient) -> None:
    lone = post_raw(client, b'{"displayName": "a\\ud917b"}')
    assert lone.status == 400 and lone.error_code == "invalidJson"
    paired = post_raw(client, b'{"displayName": "ok \\ud83d\\ude00"}')
    assert paired.status == 201 and paired.json()["displayName"] == "ok \U0001f600"


def test_ids_no_row_could_have_are_not_found(services: Services, make_tenant: Callable[..., str]) -> None:
    """Keys Table Storage refuses ('/', '#', '?', control characters, an unpaired surrogate) name no row."""
    tenant_id = make_tenant()
    for site_id in ("a/b", "a#b", "a?b", "a\x01b", "a\ud917b", "x" * 2000):
        assert services.admin.sites.find_site(tenant_id, site_id) is None, repr(site_id)
        with pytest.raises(NotFound):
            services.admin.sites.get_site(tenant_id, site_id)
        services.admin.sites.delete_site(tenant_id, site_id)  # idempotent: nothing to delete
