"""Fixtures for the integration tier: the app built on the session's Azurite, one table set per test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import Services, build_services
from shared.settings import Settings
from tests.utils.factories import tenant_body, unique_table_prefix
from tests.utils.function_client import FunctionClient

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
    module = sys.modules.get("function_app")
    if module is None or Path(str(module.__file__)).resolve() != PROJECT_ROOT / "function_app.py":
        # a devhost test may have indexed a sample app of its own under the same module name (and put its folder
        # first on sys.path, as the worker does): this project's is imported from this project's folder
        sys.modules.pop("function_app", None)
        spec = importlib.util.spec_from_file_location("function_app", PROJECT_ROOT / "function_app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["function_app"] = module
        spec.loader.exec_module(module)
    return module.create_app(services)


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
