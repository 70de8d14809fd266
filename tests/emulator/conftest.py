"""Fixtures for the emulator tier: an Azure admin in a fresh Entra tenant and subscription, with the real SDKs."""

from __future__ import annotations

import uuid

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_windows365_connections import Windows365
from tests.utils.arm_admin import ArmAdmin, Sdk
from tests.utils.graph_admin import GraphAdmin


@pytest.fixture
def admin(azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> ArmAdmin:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", azure_emulator.ca_bundle)  # the SDKs trust the emulator's CA
    return ArmAdmin(azure_emulator, str(uuid.uuid4()))


@pytest.fixture
def sdk(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> Sdk:
    return Sdk(azure_emulator, admin.tenant_id, admin.subscription_id)


@pytest.fixture
def directory(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> GraphAdmin:
    """The admin's Entra tenant in Graph: where the users and groups role assignments name are made."""
    return GraphAdmin(azure_emulator, admin.tenant_id)


@pytest.fixture
def w365(azure_emulator: EmulatorProcess) -> Windows365:
    """Windows 365 as the app sees it in a fresh tenant, provisioning in 0.2 s (the connections' tests keep theirs)."""
    app = Windows365(azure_emulator)
    app.grant("CloudPC.ReadWrite.All")
    app.controls.latency("cloudPcProvisioning", 0.2)
    return app
