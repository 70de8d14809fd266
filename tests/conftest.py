"""Session fixtures shared by every test tier: a real Azurite on free loopback ports."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from azure_emulator.development_issuer import user_object_id
from azure_emulator.launcher import EmulatorProcess
from devhost.app_registration import register_app
from devhost.azurite import Azurite

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = PROJECT_ROOT / "test-artefacts"
pytest_plugins = ["tests.utils.app_stack"]  # the app on devhost, shared by the e2e and browser tiers


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """An in-memory Azurite for the whole test session, stopped after it."""
    emulator = Azurite(project_root=PROJECT_ROOT).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def storage_connection_string(azurite: Azurite) -> str:
    return azurite.connection_string


@pytest.fixture(scope="session")
def azure_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One in-memory Azure emulator (ARM, Graph, Key Vault, tokens) for the whole test session."""
    emulator = EmulatorProcess(state_dir=tmp_path_factory.mktemp("azure-emulator")).start()
    register_app(emulator)  # the Graph permissions it asks, and the provider tenant's consent
    # long-running operations take the emulator's default latency, as Azure's take time, so every tier polls; a test
    # module that reads a call's first answer asks for the instant mode for its own tenant, and says why
    try:
        yield emulator
        # what the app was checked for in Azure and Graph across the session, for a look at least privilege
        checks = emulator.session().get(f"{emulator.base_url}/emulator/accessChecks", timeout=30).json()["value"]
        ARTEFACTS.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # each parallel worker has an emulator of its own
        name = f"access-checks-{worker}.json" if worker else "access-checks.json"
        (ARTEFACTS / name).write_text(json.dumps(checks, indent=1), encoding="utf-8")
    finally:
        emulator.stop()


class Tokens:
    """Access tokens from the emulator's development issuer, one per principal name (`admin` is an organization
    owner in the development settings), valid for the whole test session."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self._emulator = emulator
        self._made: dict[str, str] = {}

    def __call__(self, name: str = "admin") -> str:
        if name not in self._made:
            self._made[name] = self._emulator.user_token(name, lifetime_seconds=86_400)
        return self._made[name]

    def principal_id(self, name: str) -> str:
        return user_object_id(name)

    def signed(self, name: str, **options: Any) -> str:
        """A fresh token with options (claims, audience, lifetime_seconds, tenant_id): for the token tests."""
        return self._emulator.user_token(name, **options)


@pytest.fixture(scope="session")
def tokens(azure_emulator: EmulatorProcess) -> Tokens:
    return Tokens(azure_emulator)


@pytest.fixture(scope="session")
def admin_token(tokens: Tokens) -> str:
    return tokens("admin")


@pytest.fixture(scope="session")
def azure_environment(azure_emulator: EmulatorProcess) -> Iterator[dict[str, str]]:
    """The process environment of an app in Azure, pointed at the emulator: endpoints, managed identity, CA.

    Set for the whole session, as the Functions host sets app settings for the worker; the Azure SDKs read
    some of them (IDENTITY_ENDPOINT, REQUESTS_CA_BUNDLE) from the environment themselves."""
    settings = azure_emulator.app_settings()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        yield settings
