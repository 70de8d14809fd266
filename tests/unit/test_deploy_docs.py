"""The deploy and onboarding pages say what the app registration needs, as the onboarding report checks it."""

from __future__ import annotations

from shared.catalog.app_access import AZURE_ACTIONS, BUILT_IN_ROLES, SERVICE_ROLES, WINDOWS365_ROLES
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS
from shared.settings import PROJECT_ROOT

DOCS = "\n".join(
    (PROJECT_ROOT / "docs" / page).read_text(encoding="utf-8") for page in ("deploying.md", "onboarding.md")
)


def test_every_graph_permission_and_azure_action_is_in_the_readme_with_its_reason() -> None:
    for permission in GRAPH_PERMISSIONS:
        calls = ", ".join(f"`{call}`" for call in permission.calls)
        assert f"| `{permission.name}` | {permission.reason} | {calls} |" in DOCS, permission.name
    for action in AZURE_ACTIONS:
        assert f"| `{action.action}` |" in DOCS and action.reason in DOCS, action.action
    for role in BUILT_IN_ROLES:
        assert f"| `{role.name}` | {role.scope} | {role.over_grants} |" in DOCS, role.name
    for service in (*SERVICE_ROLES, *WINDOWS365_ROLES):
        assert f"| `{service.name}` | {service.principal_name} (`{service.app_id}`) | {service.reason} |" in DOCS
