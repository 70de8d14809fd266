"""A dependency that does not answer is named in the 503, and the cause is logged: the real SDKs fail against a
loopback port nobody listens on, and the app's error mapping says which service it was (never storage by default)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import AzureError, HttpResponseError
from azure.data.tables import TableClient
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient
from azure.mgmt.compute import ComputeManagementClient

from triggers.http_responses import error_response

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StaticToken:
    """A credential whose token is never asked of Entra (the call fails before any answer would be read)."""

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        return AccessToken("token", 2**31)


def arm_read(port: int) -> None:
    client = ComputeManagementClient(StaticToken(), "sub", base_url=f"https://127.0.0.1:{port}", retry_total=0)
    list(client.virtual_machines.list_all())


def table_read(port: int) -> None:
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )
    TableClient.from_connection_string(connection, "rows", retry_total=0).get_entity("p", "r")


def key_vault_read(port: int) -> None:
    SecretClient(f"https://127.0.0.1:{port}", StaticToken(), retry_total=0, verify_challenge_resource=False).get_secret(
        "password"
    )


def token_request(port: int) -> None:
    ClientSecretCredential(
        "00000000-0000-0000-0000-000000000001",
        "app",
        "secret",
        authority=f"https://127.0.0.1:{port}",
        disable_instance_discovery=True,
        retry_total=0,
    ).get_token("https://management.azure.com/.default")


@pytest.mark.parametrize(
    ("call", "service"),
    [
        (arm_read, "Azure Resource Manager"),
        (table_read, "Storage"),
        (key_vault_read, "Key Vault"),
        (token_request, "Microsoft Entra ID"),
    ],
)
def test_a_503_names_the_service_that_did_not_answer_and_logs_why(
    call: Callable[[int], None], service: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(AzureError) as failed:
        call(closed_port())
    with caplog.at_level(logging.WARNING, logger="triggers.http_responses"):
        reply = error_response(failed.value, if_match_sent=False)
    assert reply.status_code == 503
    error = json.loads(reply.get_body())["error"]
    assert error["code"] == "serviceUnavailable"
    assert error["message"].startswith(service), error["message"]
    assert service == "Storage" or "Storage" not in error["message"]
    # the app's own line: an SDK's warning may carry a port with 503 in it
    [logged] = [r for r in caplog.records if r.name == "triggers.http_responses" and "503" in r.getMessage()]
    assert type(failed.value).__name__ in logged.getMessage()  # the cause, not only the answer


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_throttle_or_failure_no_port_mapped_is_a_503_to_ask_again(status: int) -> None:
    throttled = HttpResponseError(message="The request is throttled.")
    throttled.status_code = status
    reply = error_response(throttled, if_match_sent=False)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
    assert json.loads(reply.get_body())["error"]["code"] == "serviceUnavailable"
