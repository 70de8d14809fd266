"""Contract tests of AzureInventory.marketplace_images: the app's credentials and the real SDK against the emulator's
VM image lists (offers, SKUs, the newest version with its properties), with the role the onboarding report asks for;
a change of the emulator's marketplace data is what the adapter reads next."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.catalog.marketplace_images import DESKTOP, OFFERS, suits
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_inventory import AzureInventory
from shared.cloud.azure.credentials import AzureCredentials
from shared.ports.cloud_errors import CloudError
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.onboarding import grant_app

APP_TENANT = "marketplace"
REGION = "westeurope"


@dataclass
class Cloud:
    inventory: AzureInventory
    admin: ArmAdmin
    controls: Controls
    emulator: EmulatorProcess

    def read(self, subscription_id: str | None = None) -> dict[str, tuple[str | None, int | None, str]]:
        images = self.inventory.marketplace_images(
            APP_TENANT, subscription_id or self.admin.subscription_id, REGION, DESKTOP, OFFERS, suits
        )
        return {f"{i.offer}/{i.sku}": (i.hyper_v_generation, i.os_disk_size_gb, i.version) for i in images}

    def sent(self, operation: str) -> list[dict[str, object]]:
        return [e for e in self.controls.log(operation) if self.admin.subscription_id in str(e["path"])]


@pytest.fixture
def cloud(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Cloud]:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    settings = Settings()  # the app's settings: the environment points them at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    arm = ArmClients(credentials, settings.arm_endpoint)
    yield Cloud(AzureInventory(arm), admin, Controls(azure_emulator, entra), azure_emulator)
    arm.close()
    credentials.close()


def test_the_desktop_images_that_suit_are_read_with_their_generation_disk_and_newest_version(cloud: Cloud) -> None:
    found = cloud.read()
    assert found["windows-ent-cpc/win11-24h2-ent-cpc"][:2] == ("V2", 64)
    assert found["office-365/win11-24h2-avd-m365"][:2] == ("V2", 127)
    assert found["windows-10/win10-21h2-ent"][:2] == ("V1", 127)  # read: the service leaves Generation 1 out
    assert found["windows-11/win11-24h2-ent"][2].startswith("26100.")
    assert "windows-11/win11-21h2-pro" not in found  # Pro suits no Cloud PC: its versions are not even read
    # one list of offers, one of SKUs per offer the publisher has, one newest version per wanted SKU
    [offers] = cloud.sent("listVmImageOffers")
    assert str(offers["path"]).endswith(f"/locations/{REGION}/publishers/{DESKTOP}/artifacttypes/vmimage/offers")
    assert len(cloud.sent("listVmImageSkus")) == len(OFFERS)
    versions = cloud.sent("listVmImageVersions")
    assert len(versions) == len(found)
    assert all(v["query"]["$expand"].lower() == "properties" and v["query"]["$top"] == "1" for v in versions)  # type: ignore[index]


def test_a_change_of_the_emulators_marketplace_is_what_is_read_next(cloud: Cloud) -> None:
    sku = f"win11-25h2-avd-{uuid.uuid4().hex[:6]}"  # a SKU name no rule takes: it must not be listed
    newer = "win11-26h1-avd"
    controls = f"{cloud.emulator.base_url}/emulator/marketplace/{DESKTOP}/windows-11"
    session = cloud.emulator.session()
    try:
        for name in (sku, newer):
            body: dict[str, Any] = {"hyperVGeneration": "V2", "osDiskSizeGb": 127, "version": "28000.1.260101"}
            assert session.put(f"{controls}/{name}", json=body, timeout=30).status_code == 200
        found = cloud.read()
        assert found[f"windows-11/{newer}"] == ("V2", 127, "28000.1.260101") and f"windows-11/{sku}" not in found
        assert session.delete(f"{controls}/win11-24h2-avd", timeout=30).status_code == 204
        assert "windows-11/win11-24h2-avd" not in cloud.read()
    finally:
        session.delete(f"{controls}/{sku}", timeout=30)
        session.delete(f"{controls}/{newer}", timeout=30)
        session.put(f"{controls}/win11-24h2-avd", json={"hyperVGeneration": "V2", "osDiskSizeGb": 127}, timeout=30)


def test_without_a_role_in_the_subscription_the_read_is_refused_with_azures_code(cloud: Cloud) -> None:
    other = ArmAdmin(cloud.emulator, cloud.admin.tenant_id, subscription_id=str(uuid.uuid4()))
    with pytest.raises(CloudError) as refused:
        cloud.read(other.subscription_id)
    assert refused.value.code == "AuthorizationFailed"
