"""Tenants and sites over HTTP: CRUD, paging, etags, validateOnly and the contract's errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.bootstrap import Services
from shared.models.sites import Site
from shared.storage.tenants import TenantRepository
from tests.fakes.seed import GALLERY_IMAGE
from tests.utils.factories import SUBSCRIPTION, VNET, site_body, tenant_body
from tests.utils.function_client import FunctionClient

ENTRA_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"


def test_tenant_lifecycle(client: FunctionClient) -> None:
    created = client.post("/api/tenants", tenant_body(entraTenantId=ENTRA_ID.upper()))
    assert created.status == 201
    tenant = created.json()
    assert tenant["displayName"] == "Contoso"
    assert tenant["entraTenantId"] == ENTRA_ID
    assert created.headers["Location"].endswith(f"/api/tenants/{tenant['id']}")
    assert created.headers["ETag"] == tenant["etag"]

    fetched = client.get(f"/api/tenants/{tenant['id']}")
    assert fetched.status == 200
    assert fetched.json() == tenant

    listed = client.get("/api/tenants").json()
    assert [t["id"] for t in listed["value"]] == [tenant["id"]]
    assert "nextLink" not in listed

    renamed = client.patch(
        f"/api/tenants/{tenant['id']}", {"displayName": "Contoso Ltd"}, headers={"If-Match": tenant["etag"]}
    )
    assert renamed.status == 200
    assert renamed.json()["displayName"] == "Contoso Ltd"
    assert renamed.json()["entraTenantId"] == ENTRA_ID
    assert renamed.json()["etag"] != tenant["etag"]

    cleared = client.patch(f"/api/tenants/{tenant['id']}", {"entraTenantId": None})
    assert cleared.json()["entraTenantId"] is None

    assert client.delete(f"/api/tenants/{tenant['id']}").status == 204
    assert client.get(f"/api/tenants/{tenant['id']}").error_code == "notFound"
    assert client.delete(f"/api/tenants/{tenant['id']}").status == 404


def test_site_lifecycle(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    subnet = f"{VNET}/subnets/cloudpcs"
    created = client.post(f"/api/tenants/{tenant_id}/sites", site_body(subnetId=subnet, regionName="West Europe"))
    assert created.status == 201, created.text
    site = created.json()
    assert site["tenantId"] == tenant_id
    assert site["regionName"] == "westeurope"
    assert site["virtualNetworkId"] == VNET, "the virtual network is derived from the subnet"
    assert created.headers["Location"].endswith(f"/api/tenants/{tenant_id}/sites/{site['id']}")

    assert client.get(f"/api/tenants/{tenant_id}/sites/{site['id']}").json() == site
    assert [s["id"] for s in client.get(f"/api/tenants/{tenant_id}/sites").json()["value"]] == [site["id"]]

    moved = client.patch(f"/api/tenants/{tenant_id}/sites/{site['id']}", {"resourceGroupName": "rg-2"})
    assert moved.status == 200
    assert moved.json()["resourceGroupName"] == "rg-2"
    assert moved.json()["subnetId"] == subnet

    in_use = client.delete(f"/api/tenants/{tenant_id}")
    assert in_use.status == 409
    assert in_use.error_code == "inUse"

    assert client.delete(f"/api/tenants/{tenant_id}/sites/{site['id']}").status == 204
    assert client.get(f"/api/tenants/{tenant_id}/sites/{site['id']}").status == 404
    assert client.delete(f"/api/tenants/{tenant_id}").status == 204


def test_paging_over_http_returns_every_site_exactly_once(
    client: FunctionClient, services: Services, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    stored = client.post(f"/api/tenants/{tenant_id}/sites", site_body()).json()
    template = Site.model_validate(stored)
    services.admin.sites.upsert_sites(template.model_copy(update={"id": f"site-{i:05}"}) for i in range(1200))
    seen: list[str] = []
    link: str | None = f"/api/tenants/{tenant_id}/sites?top=500"
    pages = 0
    while link:
        reply = client.get(link)
        assert reply.status == 200, reply.text
        body = reply.json()
        assert len(body["value"]) <= 500
        seen += [s["id"] for s in body["value"]]
        link = body.get("nextLink")
        pages += 1
    assert len(seen) == 1201
    assert len(set(seen)) == 1201
    assert pages == 3

    everything = client.get(f"/api/tenants/{tenant_id}/sites?top=1000").json()
    assert len(everything["value"]) == 1000
    assert "top=1000" in everything["nextLink"]


def test_stale_if_match_gets_412_and_changes_nothing(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    first = client.get(f"/api/tenants/{tenant_id}").json()
    client.patch(f"/api/tenants/{tenant_id}", {"displayName": "Second"}, headers={"If-Match": first["etag"]})
    stale = client.patch(f"/api/tenants/{tenant_id}", {"displayName": "Third"}, headers={"If-Match": first["etag"]})
    assert stale.status == 412
    assert stale.error_code == "preconditionFailed"
    assert client.delete(f"/api/tenants/{tenant_id}", headers={"If-Match": first["etag"]}).status == 412
    assert client.get(f"/api/tenants/{tenant_id}").json()["displayName"] == "Second"


def test_validate_only_reviews_without_saving(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    review = client.post("/api/tenants?validateOnly=true", tenant_body(displayName="Fabrikam"))
    assert review.status == 200
    assert review.json()["validateOnly"] is True
    assert review.json()["summary"]["displayName"] == "Fabrikam"
    assert client.get("/api/tenants").json()["value"] == []

    tenant_id = make_tenant()
    site_review = client.post(f"/api/tenants/{tenant_id}/sites?validateOnly=true", site_body())
    assert site_review.status == 200
    assert client.get(f"/api/tenants/{tenant_id}/sites").json()["value"] == []

    rename = client.patch(f"/api/tenants/{tenant_id}?validateOnly=true", {"displayName": "Renamed"})
    assert rename.json()["summary"]["displayName"] == "Renamed"
    assert client.get(f"/api/tenants/{tenant_id}").json()["displayName"] == "Contoso"

    refused = client.post("/api/tenants?validateOnly=true", tenant_body(displayName=""))
    assert refused.status == 400


def test_an_entra_tenant_is_registered_once(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    make_tenant(entraTenantId=ENTRA_ID)
    again = client.post("/api/tenants", tenant_body(entraTenantId=ENTRA_ID))
    assert again.status == 409
    assert again.error_code == "alreadyExists"
    assert again.json()["error"]["target"] == "entraTenantId"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"displayName": "Contoso",', "application/json", 400, "invalidJson"),
        (b'["Contoso"]', "application/json", 400, "invalidJson"),
        (b'{"displayName": NaN}', "application/json", 400, "invalidJson"),
        (b"\xff\xfe", "application/json", 400, "invalidJson"),
        (b"displayName=Contoso", "application/x-www-form-urlencoded", 415, "unsupportedMediaType"),
        (b'{"displayName": "Contoso"}', "", 415, "unsupportedMediaType"),
        (b'{"displayName": "' + b"x" * (1024 * 1024) + b'"}', "application/json", 413, "payloadTooLarge"),
    ],
)
def test_request_level_errors(client: FunctionClient, body: bytes, content_type: str, status: int, code: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = client.request("POST", "/api/tenants", body=body, headers=headers)
    assert reply.status == status
    assert reply.error_code == code
    assert reply.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "targets", "codes"),
    [
        ({}, ["displayName"], ["missing"]),
        ({"displayName": 42}, ["displayName"], ["stringType"]),
        ({"displayName": "  "}, ["displayName"], ["stringTooShort"]),
        ({"displayName": "a\x07b"}, ["displayName"], ["invalidCharacters"]),
        ({"displayName": "x" * 257}, ["displayName"], ["stringTooLong"]),
        ({"displayName": "A", "entraTenantId": "contoso"}, ["entraTenantId"], ["invalidGuid"]),
        ({"displayName": "A", "colour": "blue"}, ["colour"], ["extraForbidden"]),
        ({"displayName": "A", "cloudPcBackend": "vmware"}, ["cloudPcBackend"], ["literalError"]),
    ],
)
def test_bad_tenant_fields_get_one_detail_each(
    client: FunctionClient, body: dict[str, object], targets: list[str], codes: list[str]
) -> None:
    reply = client.post("/api/tenants", body)
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "validationFailed"
    assert [d["target"] for d in error["details"]] == targets
    assert [d["code"] for d in error["details"]] == codes
    assert client.get("/api/tenants").json()["value"] == []


def test_a_tenant_chooses_its_backend_and_keeps_it_while_it_holds_anything(
    client: FunctionClient, services: Services, make_tenant: Callable[..., str]
) -> None:
    assert client.get(f"/api/tenants/{make_tenant()}").json()["cloudPcBackend"] == "azure"  # the default
    tenant_id = make_tenant(displayName="Fabrikam", cloudPcBackend="windows365")
    assert client.get(f"/api/tenants/{tenant_id}").json()["cloudPcBackend"] == "windows365"
    assert client.patch(f"/api/tenants/{tenant_id}", {"cloudPcBackend": None}).error_code == "validationFailed"
    client.post(f"/api/tenants/{tenant_id}/sites", site_body()).json()
    policy = {
        "displayName": "Finance",
        "imageType": "gallery",
        "imageId": GALLERY_IMAGE,
        "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
    }
    moved = client.patch(f"/api/tenants/{tenant_id}", {"cloudPcBackend": "azure"})
    assert moved.status == 200 and moved.json()["cloudPcBackend"] == "azure"

    assert client.post(f"/api/tenants/{tenant_id}/provisioningPolicies", policy).status == 201
    refused = client.patch(f"/api/tenants/{tenant_id}", {"cloudPcBackend": "windows365"})
    assert refused.status == 409 and refused.error_code == "backendInUse"
    assert refused.json()["error"]["target"] == "cloudPcBackend"
    assert client.get(f"/api/tenants/{tenant_id}").json()["cloudPcBackend"] == "azure"
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["Tenant"]
    assert schema["properties"]["cloudPcBackend"]["enum"] == ["azure", "windows365"]


def test_bad_site_fields_are_all_reported(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    reply = client.post(
        f"/api/tenants/{tenant_id}/sites",
        {
            "displayName": "EU",
            "regionName": "mars",
            "subscriptionId": "nope",
            "resourceGroupName": "bad/name",
            "virtualNetworkId": "/subscriptions/x/vnet",
        },
    )
    assert reply.status == 400
    details = reply.json()["error"]["details"]
    assert {d["target"]: d["code"] for d in details} == {
        "regionName": "unsupportedRegion",
        "subscriptionId": "invalidGuid",
        "resourceGroupName": "invalidResourceGroupName",
        "virtualNetworkId": "invalidResourceId",
    }


def test_a_subnet_of_another_network_is_refused(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    other_subnet = VNET.replace("vnet-eu", "vnet-us") + "/subnets/a"
    reply = client.post(f"/api/tenants/{tenant_id}/sites", site_body(virtualNetworkId=VNET, subnetId=other_subnet))
    assert reply.status == 400
    assert reply.json()["error"]["details"][0]["code"] == "subnetNotInVirtualNetwork"


def test_a_patch_is_validated_as_a_whole(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    site = client.post(f"/api/tenants/{tenant_id}/sites", site_body()).json()
    nulled = client.patch(f"/api/tenants/{tenant_id}/sites/{site['id']}", {"displayName": None})
    assert nulled.status == 400
    assert nulled.json()["error"]["target"] == "displayName"
    wrong = client.patch(f"/api/tenants/{tenant_id}/sites/{site['id']}", {"subscriptionId": 7})
    assert wrong.status == 400
    assert client.get(f"/api/tenants/{tenant_id}/sites/{site['id']}").json()["subscriptionId"] == SUBSCRIPTION


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tenants/{missing}"),
        ("PATCH", "/api/tenants/{missing}"),
        ("DELETE", "/api/tenants/{missing}"),
        ("GET", "/api/tenants/{missing}/sites"),
        ("POST", "/api/tenants/{missing}/sites"),
        ("GET", "/api/tenants/{tenant}/sites/{missing}"),
        ("PATCH", "/api/tenants/{tenant}/sites/{missing}"),
        ("DELETE", "/api/tenants/{tenant}/sites/{missing}"),
    ],
)
def test_unknown_tenant_or_site_is_404(
    client: FunctionClient, make_tenant: Callable[..., str], method: str, path: str
) -> None:
    url = path.format(missing="00000000-0000-0000-0000-000000000000", tenant=make_tenant())
    body = site_body() if method == "POST" else ({"displayName": "x"} if method == "PATCH" else None)
    reply = client.request(method, url, json_body=body)
    assert reply.status == 404
    assert reply.error_code == "notFound"
    assert reply.json()["error"]["target"] in ("tenantId", "siteId")


def test_a_write_reads_the_tenant_as_stored_whatever_this_process_read_a_moment_ago(
    client: FunctionClient, services: Services, make_tenant: Callable[..., str]
) -> None:
    """A GET may be let in on (and getTenant answer) the tenant this process read a moment ago; a write is let in on
    the tenant as stored, and what it finds is what the next read here finds."""
    tenant_id = make_tenant()
    assert client.get(f"/api/tenants/{tenant_id}").status == 200  # this process has read the tenant now
    elsewhere = TenantRepository(services.storage)  # another process's repository: this one hears of no change
    stored = elsewhere.upsert_tenant(elsewhere.get_tenant(tenant_id).model_copy(update={"display_name": "Renamed"}))

    renamed = client.patch(f"/api/tenants/{tenant_id}", {"displayName": "Again"}, headers={"If-Match": stored.etag})
    assert renamed.status == 200, renamed.text
    fetched = client.get(f"/api/tenants/{tenant_id}")
    assert fetched.json()["displayName"] == "Again"
    assert fetched.headers["ETag"] == renamed.headers["ETag"]

    elsewhere.delete_tenant(tenant_id)
    assert client.delete(f"/api/tenants/{tenant_id}").status == 404
    assert client.get(f"/api/tenants/{tenant_id}").error_code == "notFound"


@pytest.mark.parametrize(
    ("query", "target"),
    [("top=0", "top"), ("top=1001", "top"), ("top=ten", "top"), ("skipToken=garbage", "skipToken")],
)
def test_bad_paging_parameters_are_400(client: FunctionClient, query: str, target: str) -> None:
    reply = client.get(f"/api/tenants?{query}")
    assert reply.status == 400
    assert reply.json()["error"]["target"] == target


def test_bad_validate_only_flag_is_400(client: FunctionClient) -> None:
    reply = client.post("/api/tenants?validateOnly=yes", tenant_body())
    assert reply.status == 400
    assert reply.json()["error"]["target"] == "validateOnly"


def test_the_reclaim_rule_is_set_checked_and_previewed(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    path = f"/api/tenants/{tenant_id}"
    assert client.get(path).json().get("reclaim") is None  # off by default
    bad = {"enabled": True, "unusedDays": 6, "noticeDays": 91, "emailUser": True}
    refused = client.patch(path, {"reclaim": bad})
    assert refused.status == 400
    details = refused.json()["error"]["details"]
    assert sorted(d["target"] for d in details) == ["reclaim.mailbox", "reclaim.noticeDays", "reclaim.unusedDays"]
    assert client.get(path).json().get("reclaim") is None  # nothing saved
    rule = {"enabled": True, "unusedDays": 30, "noticeDays": 14, "emailUser": True, "mailbox": "it@contoso.com"}
    saved = client.patch(path, {"reclaim": rule})
    assert saved.status == 200, saved.text
    assert saved.json()["reclaim"] == rule
    assert client.patch(path, {"displayName": "Contoso Ltd"}).json()["reclaim"] == rule  # a patch keeps it
    previewed = client.get(f"{path}/reclaimPreview?unusedDays=7&noticeDays=1")
    assert previewed.status == 200, previewed.text
    assert previewed.json() == {"toAnnounce": 0, "toReclaim": 0}
    for query, target in [("unusedDays=7&noticeDays=0", "noticeDays"), ("noticeDays=3", "unusedDays")]:
        refused = client.get(f"{path}/reclaimPreview?{query}")
        assert refused.status == 400 and refused.json()["error"]["target"] == target, refused.text
    assert client.patch(path, {"reclaim": None}).json().get("reclaim") is None
