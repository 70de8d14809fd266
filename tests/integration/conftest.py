"""Fixtures for the integration tier: the app built on the session's Azurite, one table set per test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.bootstrap import Services, build_services
from shared.settings import Settings
from tests.utils.factories import tenant_body, unique_table_prefix
from tests.utils.function_client import FunctionClient


@pytest.fixture
def services(storage_connection_string: str, azure_environment: dict[str, str]) -> Services:
    """Services on fresh tables (a unique table-name prefix), so tests never see each other's rows; Azure is
    the session's emulator (the environment points there)."""
    return build_services(
        Settings(storage_connection_string=storage_connection_string, table_name_prefix=unique_table_prefix())
    )


def create_app(services: Services) -> Any:
    """The app composed on `services`; function_app is imported late, as its import builds the app from the
    environment, which the `azure_environment` fixture sets first."""
    import function_app

    return function_app.create_app(services)


@pytest.fixture
def client(services: Services, admin_token: str) -> FunctionClient:
    return FunctionClient(create_app(services), admin_token)


@pytest.fixture
def make_tenant(client: FunctionClient) -> Callable[..., str]:
    def make(**overrides: object) -> str:
        reply = client.post("/api/tenants", tenant_body(**overrides))
        assert reply.status == 201, reply.text
        return str(reply.json()["id"])

    return make
