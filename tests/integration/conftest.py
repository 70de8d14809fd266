"""Fixtures for the integration tier: the app built on the session's Azurite, one table set per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import function_app
from shared.bootstrap import Services, build_services
from shared.settings import Settings
from tests.utils.factories import tenant_body, unique_table_prefix
from tests.utils.function_client import FunctionClient


@pytest.fixture
def services(storage_connection_string: str) -> Services:
    """Services on fresh tables (a unique table-name prefix), so tests never see each other's rows."""
    return build_services(
        Settings(
            storage_connection_string=storage_connection_string,
            table_name_prefix=unique_table_prefix(),
            local_secret_key="test-key",
        )
    )


@pytest.fixture
def client(services: Services) -> FunctionClient:
    return FunctionClient(function_app.create_app(services))


@pytest.fixture
def make_tenant(client: FunctionClient) -> Callable[..., str]:
    def make(**overrides: object) -> str:
        reply = client.post("/api/tenants", tenant_body(**overrides))
        assert reply.status == 201, reply.text
        return str(reply.json()["id"])

    return make
