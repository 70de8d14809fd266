"""The README's deploy section says what the app registration needs, as the onboarding report checks it."""

from __future__ import annotations

from shared.catalog.app_access import AZURE_ROLES, GRAPH_PERMISSIONS
from shared.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_graph_permission_is_in_the_readme_with_its_reason() -> None:
    for permission in GRAPH_PERMISSIONS:
        assert f"| `{permission.name}` | {permission.reason} |" in README, permission.name
    for role in AZURE_ROLES:
        assert f"`{role.name}`" in README, role.name
