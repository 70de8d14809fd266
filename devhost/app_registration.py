"""The app's registration in the emulator, as its deployer sets it up in Entra (docs/entra.md): the Graph
permissions its admin consent asks of every customer, the provider tenant's grant of what it uses there, and where
admin consent returns. `make run` and the test stack set it up alike."""

from __future__ import annotations

from typing import Any

from azure_emulator.launcher import APP_CLIENT_ID, HOME_TENANT_ID, EmulatorProcess
from shared.catalog.graph_permissions import consent_permissions, own_tenant_permissions
from shared.services.access.onboarding import consent_return_url

DISPLAY_NAME = "Cloud PC provisioning"


def register_app(emulator: EmulatorProcess, portal_url: str | None = None) -> None:
    with emulator.session() as session:
        # what every customer's admin consent grants; the rest is granted tenant by tenant (app role assignments)
        requested = {"graphPermissions": [permission.name for permission in consent_permissions()]}
        session.put(
            f"{emulator.base_url}/emulator/applications/{APP_CLIENT_ID}", json=requested, timeout=30
        ).raise_for_status()
        # the provider's own admin consented, and granted what the app uses in its own tenant (the tenant lookup by
        # domain, people found by name and invited) as app role assignments
        asked_there = [permission.name for permission in own_tenant_permissions()]
        own: dict[str, Any] = {"consented": True, "graphPermissions": asked_there}
        session.put(
            f"{emulator.base_url}/emulator/tenants/{HOME_TENANT_ID}/apps/{APP_CLIENT_ID}", json=own, timeout=30
        ).raise_for_status()
    if portal_url is not None:
        emulator.register_app(consent_return_url(portal_url), DISPLAY_NAME)
