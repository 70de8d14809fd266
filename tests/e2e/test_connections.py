"""The connection wizard end to end: health checks as orchestrations, credentials, limits, secrecy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.data.tables import TableServiceClient

from devhost.azurite import Azurite
from shared.bootstrap import Services
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.keyvault_secrets import KeyVaultSecretStore
from shared.settings import load_settings
from tests.utils.api_client import ApiClient, eventually
from tests.utils.app_stack import Collected
from tests.utils.wizard import PASSWORD, Tenant


def test_a_new_connection_starts_pending_and_passes_its_checks(api: ApiClient) -> None:
    tenant = Tenant(api)
    created = tenant.connection()
    assert created["healthCheckStatus"] == "pending"
    assert "adDomainPassword" not in created
    assert created["virtualNetworkId"].endswith("/virtualNetworks/vnet-eu")
    assert created["regionName"] == "westeurope"

    settled = tenant.settled_connection(created["id"])
    assert settled["healthCheckStatus"] == "passed"
    checks = settled["healthCheckStatusDetail"]["healthChecks"]
    assert {c["name"] for c in checks} >= {"dnsResolution", "adDomainJoin", "endpointConnectivity", "subnetIpUsage"}
    assert all(c["status"] == "passed" and c["startDateTime"] and c["endDateTime"] for c in checks)
    assert settled["healthCheckStatusDetail"]["endDateTime"] >= settled["healthCheckStatusDetail"]["startDateTime"]
    assert settled["inUse"] is False


def test_entra_join_connections_skip_the_domain_checks(api: ApiClient) -> None:
    tenant = Tenant(api)
    body = {"displayName": "Cloud only", "siteId": tenant.site["id"], "connectionType": "azureADJoin"}
    settled = tenant.settled_connection(api.created(f"{tenant.path}/connections", body)["id"])
    names = {c["name"] for c in settled["healthCheckStatusDetail"]["healthChecks"]}
    assert "adDomainJoin" not in names
    assert "endpointConnectivity" in names


def test_bad_credentials_fail_the_domain_join_check_until_fixed(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("adDomainJoin", 1, "adJoinCheckIncorrectCredentials")
    failed = tenant.settled_connection(tenant.connection()["id"])
    assert failed["healthCheckStatus"] == "failed"
    join = next(c for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["name"] == "adDomainJoin")
    assert join["status"] == "failed"
    assert join["errorType"] == "adJoinCheckIncorrectCredentials"
    assert join["recommendedAction"]

    refused = api.post(
        f"{tenant.path}/provisioningPolicies",
        tenant.policy_body(
            domainJoinConfigurations=[{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": failed["id"]}]
        ),
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["code"] == "connectionNotHealthy"
    assert refused.json()["error"]["target"] == "domainJoinConfigurations[0].onPremisesConnectionId"

    patched = api.patch(f"{tenant.path}/connections/{failed['id']}", {"adDomainPassword": "N3w-Passw0rd!"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["healthCheckStatus"] == "pending"
    fixed = tenant.settled_connection(failed["id"])
    assert fixed["healthCheckStatus"] == "passed"

    policy = api.post(
        f"{tenant.path}/provisioningPolicies",
        tenant.policy_body(
            domainJoinConfigurations=[{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": fixed["id"]}]
        ),
    )
    assert policy.status_code == 201, policy.text


def test_a_warning_only_check_leaves_the_connection_usable(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("entraDeviceSync", 1)
    settled = tenant.settled_connection(tenant.connection()["id"])
    assert settled["healthCheckStatus"] == "warning"
    body = tenant.policy_body(
        domainJoinConfigurations=[{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": settled["id"]}]
    )
    assert api.post(f"{tenant.path}/provisioningPolicies", body).status_code == 201


def test_run_health_checks_runs_them_again(api: ApiClient) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    tenant.fault("subnetIpUsage", 1, "resourceAvailabilityCheckNoSubnetIP")
    reply = api.post(f"{tenant.path}/connections/{connection['id']}/runHealthChecks")
    assert reply.status_code == 202
    assert reply.headers["Location"].endswith(f"/connections/{connection['id']}")
    rerun = tenant.settled_connection(connection["id"])
    assert rerun["healthCheckStatus"] == "failed"
    assert rerun["healthCheckRun"] == connection["healthCheckRun"] + 1


def test_a_rename_keeps_the_health_check_result(api: ApiClient) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    renamed = api.patch(
        f"{tenant.path}/connections/{connection['id']}", {"displayName": "HQ"}, headers={"If-Match": connection["etag"]}
    )
    assert renamed.status_code == 200
    assert renamed.json()["healthCheckStatus"] == "passed"
    stale = api.patch(
        f"{tenant.path}/connections/{connection['id']}", {"displayName": "X"}, headers={"If-Match": connection["etag"]}
    )
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("overrides", "code", "target"),
    [
        ({"adDomainName": None}, "hybridJoinNeedsDomain", None),
        ({"adDomainPassword": None}, "hybridJoinNeedsDomain", None),
        ({"connectionType": "azureADJoin"}, "domainFieldsNotAllowed", None),
        ({"adDomainName": "not a domain"}, "invalidDomainName", "adDomainName"),
        ({"adDomainUsername": "CONTOSO\\admin"}, "invalidUserName", "adDomainUsername"),
        ({"organizationalUnit": "CloudPCs"}, "invalidOrganizationalUnit", "organizationalUnit"),
        ({"siteId": "no-such-site"}, "referenceNotFound", "siteId"),
        ({"connectionType": "workgroup"}, "literalError", "connectionType"),
    ],
)
def test_bad_connection_input_is_refused_and_nothing_is_saved(
    api: ApiClient, overrides: dict[str, object], code: str, target: str | None
) -> None:
    tenant = Tenant(api)
    reply = api.post(f"{tenant.path}/connections", tenant.connection_body(**overrides))
    assert reply.status_code == 400, reply.text
    detail = reply.json()["error"]["details"][0]
    assert detail["code"] == code
    if target:
        assert detail["target"] == target
    assert api.get(f"{tenant.path}/connections").json()["value"] == []


def test_the_eleventh_connection_is_refused(api: ApiClient) -> None:
    tenant = Tenant(api)
    for index in range(10):
        tenant.connection(displayName=f"ANC {index}")
    reply = api.post(f"{tenant.path}/connections", tenant.connection_body(displayName="ANC 10"))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "limitExceeded"
    assert len(api.get(f"{tenant.path}/connections?top=100").json()["value"]) == 10


def test_a_connection_in_use_cannot_be_deleted(api: ApiClient) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    tenant.policy(
        domainJoinConfigurations=[{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": connection["id"]}]
    )
    assert api.get(f"{tenant.path}/connections/{connection['id']}").json()["inUse"] is True
    refused = api.delete(f"{tenant.path}/connections/{connection['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "inUse"
    unused = tenant.healthy_connection(displayName="Spare")
    assert api.delete(f"{tenant.path}/connections/{unused['id']}").status_code == 204
    assert api.get(f"{tenant.path}/connections/{unused['id']}").status_code == 404


def test_the_password_is_never_returned_logged_or_stored_in_plain_text(
    api: ApiClient, azurite: Azurite, table_prefix: str, app_logs: Collected
) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    api.patch(f"{tenant.path}/connections/{connection['id']}", {"adDomainPassword": PASSWORD + "-2"})
    tenant.settled_connection(connection["id"])
    api.get(f"{tenant.path}/connections")
    api.post(f"{tenant.path}/connections?validateOnly=true", tenant.connection_body())

    assert not [text for text in api.seen if PASSWORD in text]
    assert not [line for line in app_logs.lines if PASSWORD in line]
    service = TableServiceClient.from_connection_string(azurite.connection_string)
    stored = 0
    for table in service.list_tables():
        if not table.name.startswith(table_prefix):
            continue
        for entity in service.get_table_client(table.name).list_entities():
            stored += 1
            assert PASSWORD not in str(dict(entity)), table.name
    assert stored > 0
    # where it is: the app's Key Vault, read with the app's own adapter and identity
    settings = load_settings()
    vault = KeyVaultSecretStore(settings, AzureCredentials(settings, lambda tenant_id: None))
    assert vault.get_secret(f"connection-{tenant.id}-{connection['id']}-adDomainPassword") == PASSWORD + "-2"
    assert not [entry for entry in tenant.controls.log() if PASSWORD in str(entry)], "the emulator's log masks it"


def test_the_periodic_timer_runs_the_checks_of_each_connection_unchanged_since_the_last_tick_again(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    fresh = tenant.healthy_connection(displayName="Contoso branch")
    stored = app_services.admin.connections.get_connection(tenant.id, connection["id"])
    checked_long_ago = stored.last_modified_date_time - timedelta(hours=6)  # a tick ago (HEALTH_CHECK_SCHEDULE)
    app_services.admin.connections.upsert_connection(
        stored.model_copy(update={"last_modified_date_time": checked_long_ago})
    )
    tenant.fault("endpointConnectivity", 1, "endpointConnectivityCheckUrlNotAllowListed")
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/recheckConnections", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text

    def rerun_finished() -> dict[str, object]:
        body = tenant.settled_connection(connection["id"])
        assert body["healthCheckRun"] > connection["healthCheckRun"]
        return body

    rerun = eventually(rerun_finished)
    assert rerun["healthCheckStatus"] == "failed"
    assert tenant.settled_connection(fresh["id"])["healthCheckRun"] == fresh["healthCheckRun"]  # checked this tick
