"""Health, the OpenAPI document and the service-plan catalog."""

from __future__ import annotations

import gzip
import json
import os

from devhost.azurite import development_connection_string, free_port
from shared.bootstrap import build_services
from shared.settings import Settings
from tests.conftest import PROJECT_ROOT
from tests.integration.conftest import create_app
from tests.utils.function_client import FunctionClient


def test_health_is_ok_while_storage_answers(client: FunctionClient) -> None:
    reply = client.get("/api/health")
    assert reply.status == 200
    assert reply.json()["status"] == "ok"
    assert reply.json()["storage"] == "ok"


def test_health_is_503_when_storage_does_not_answer(azure_environment: dict[str, str]) -> None:
    closed = development_connection_string(ports=(free_port(), free_port(), free_port()))
    app = create_app(build_services(Settings(storage_connection_string=closed)))
    reply = FunctionClient(app).get("/api/health")
    assert reply.status == 503
    assert reply.json()["status"] == "unavailable"
    assert reply.headers["Retry-After"]


def test_other_routes_answer_503_not_500_when_storage_is_down(
    azure_environment: dict[str, str], admin_token: str
) -> None:
    closed = development_connection_string(ports=(free_port(), free_port(), free_port()))
    app = create_app(build_services(Settings(storage_connection_string=closed)))
    reply = FunctionClient(app, admin_token).post("/api/tenants", {"displayName": "Contoso"})
    assert reply.status == 503
    assert reply.error_code == "serviceUnavailable"


def test_openapi_document_is_valid_openapi_31_and_lists_every_route(client: FunctionClient) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    document = client.get("/api/openapi.json").json()
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {
        "health",
        "openApiDocument",
        "listServicePlans",
        "createTenant",
        "listTenants",
        "getTenant",
        "updateTenant",
        "deleteTenant",
        "createSite",
        "listSites",
        "getSite",
        "updateSite",
        "deleteSite",
    } <= operations
    create_site = document["paths"]["/tenants/{tenantId}/sites"]["post"]
    assert create_site["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SiteCreate")
    assert {"201", "200", "400", "404", "413", "415"} <= set(create_site["responses"])
    site_schema = document["components"]["schemas"]["SiteCreate"]
    assert {"displayName", "regionName", "subscriptionId", "resourceGroupName"} <= set(site_schema["required"])


def test_openapi_document_states_each_operations_token_and_role(client: FunctionClient) -> None:
    from triggers.http_access import ACCESS, Audience, describe

    document = client.get("/api/openapi.json").json()
    assert document["components"]["securitySchemes"]["entraId"]["scheme"] == "bearer"
    for path in document["paths"].values():
        for op in path.values():
            access = ACCESS[op["operationId"]]
            assert op["x-access"] == str(access)
            if access is Audience.ANYONE:
                assert op["security"] == []
                assert "401" not in op["responses"]
            else:
                assert op["security"] == [{"entraId": []}]
                assert {"401", "403"} <= set(op["responses"])
            assert op["description"].endswith(describe(access))


def test_service_plans_map_to_vm_sizes(client: FunctionClient) -> None:
    plans = client.get("/api/servicePlans").json()["value"]
    assert len(plans) >= 10
    editions = {(plan["type"], plan["provisioningType"]) for plan in plans}
    assert editions == {("enterprise", "dedicated"), ("business", "dedicated"), ("enterprise", "shared")}
    ids = [plan["id"] for plan in plans]
    assert len(ids) == len(set(ids))
    for plan in plans:
        fields = {
            "id",
            "displayName",
            "vCpuCount",
            "ramInGB",
            "storageInGB",
            "vmSize",
            "skuId",
            "skuPartNumber",
            "type",
            "provisioningType",
        }
        assert set(plan) == fields
        assert plan["skuPartNumber"].startswith(("CPC_E_", "CPC_B_", "Windows_365_"))  # the license's Graph SKU
        assert plan["vmSize"].startswith("Standard_")


def test_the_openapi_document_is_served_gzipped_with_a_validator_a_browser_revalidates(client: FunctionClient) -> None:
    plain = client.get("/api/openapi.json")
    etag = plain.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong: the bytes are the same for the same code
    assert "max-age" in plain.headers["Cache-Control"]
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["ETag"] == etag
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) * 4 < len(plain.content)
    refused = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    unchanged = client.get("/api/openapi.json", headers={"If-None-Match": etag})
    assert (unchanged.status, unchanged.content, unchanged.headers["ETag"]) == (304, b"", etag)
    assert client.get("/api/openapi.json", headers={"If-None-Match": '"other"'}).status == 200


DOCUMENTED = PROJECT_ROOT / "docs" / "openapi.json"


def test_the_documentation_site_shows_the_apps_openapi_document(client: FunctionClient) -> None:
    """docs/openapi.json, which the site's API reference renders, is the document the app serves: a change of the
    contract shows in review. `make openapi` writes it afresh."""
    served = json.dumps(client.get("/api/openapi.json").json(), indent=1, sort_keys=True) + "\n"
    if os.environ.get("WRITE_OPENAPI"):
        DOCUMENTED.write_text(served)
    assert DOCUMENTED.read_text() == served, "the API changed: `make openapi` writes docs/openapi.json afresh"
