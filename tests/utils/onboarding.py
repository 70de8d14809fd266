"""What a customer's administrator does with the app's onboarding report: admin consent, each further Graph
permission's command, then the custom role and its assignments, sent over REST as `az rest`, `az role definition
create` and `az role assignment create` send them.

Against `make run`: `.venv/bin/python -m tests.utils.onboarding <tenant id>` (the documentation's walk-through does).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.catalog.app_access import SERVICE_ROLES, WINDOWS365_ROLES, assignment_condition, custom_role
from shared.catalog.graph_permissions import GRAPH_APP_ID, GRAPH_PERMISSIONS
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import API, emulator_token

GRAPH = "https://graph.microsoft.com"
SERVICE_ROLES_BY_NAME = {role.name: role for role in (*SERVICE_ROLES, *WINDOWS365_ROLES)}  # other services' roles


def report(api: ApiClient, tenant_path: str) -> dict[str, Any]:
    reply = api.get(f"{tenant_path}/onboarding")
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


def apply_fixes(
    api: ApiClient, tenant_path: str, emulator: EmulatorProcess, entra_id: str, fix_graph: bool = True
) -> dict[str, Any]:
    """Follow the report's fixes as the tenant's administrator until nothing is missing (with `fix_graph` False, the
    Graph permissions are left as they are); the final report."""
    session = emulator.session()
    arm_token, _ = emulator_token(emulator, entra_id)
    graph_token, _ = emulator_token(emulator, entra_id, GRAPH)
    found = report(api, tenant_path)

    def consent() -> dict[str, Any]:
        reply = session.get(
            found["adminConsentUrl"],
            headers={"Authorization": f"Bearer {graph_token}"},
            timeout=30,
            allow_redirects=False,
        )
        # back to the portal's redirect URI when the app has one, else the grant itself
        assert reply.status_code == 200 or "admin_consent=True" in reply.headers.get("Location", ""), reply.text
        return report(api, tenant_path)

    if any(item["kind"] == "consent" and item["status"] == "missing" for item in found["items"]):
        found = consent()
    missing = [i["name"] for i in found["items"] if i["kind"] == "graphPermission" and i["status"] == "missing"]
    if fix_graph and missing:  # the fix: the admin runs each one's command
        grant_app_roles(emulator, graph_token, missing)
        found = report(api, tenant_path)
    for item in [i for i in found["items"] if i["kind"] == "azureRole" and i["status"] == "missing"]:
        service = SERVICE_ROLES_BY_NAME.get(item["name"])
        if service is not None and item["reason"].startswith(f"for {service.principal_name},"):
            # another service's role: the built-in role to that service's principal, as the item's fix says
            arm = _Arm(emulator, session, arm_token, graph_token)
            role_id = f"/subscriptions/{item['scope'].split('/')[2]}/providers/Microsoft.Authorization/roleDefinitions/"
            arm.assign(item["scope"], role_id + service.role_definition_id, arm.service_principal(service.app_id), None)
    found = report(api, tenant_path)
    missing = [
        item
        for item in found["items"]
        if item["kind"] == "azureRole" and item["status"] == "missing" and item["name"] not in SERVICE_ROLES_BY_NAME
    ]
    if missing:
        arm = _Arm(emulator, session, arm_token, graph_token)
        role_id = arm.custom_role(found["customRole"])
        principal = arm.service_principal(api_client_id(found))
        for item in missing:  # broadest first: the subscription's assignment covers its groups too
            if item["scope"] in {i["scope"] for i in found["items"] if i["status"] == "missing"}:
                arm.assign(item["scope"], role_id, principal, found["customRoleCondition"])
                found = report(api, tenant_path)
    return found


def main() -> int:
    """Onboard one tenant of the app `make run` serves, as its customer's administrator would."""
    parser = argparse.ArgumentParser(prog="python -m tests.utils.onboarding", description=main.__doc__)
    parser.add_argument("tenant", help="the app's tenant id")
    parser.add_argument("--api", default="http://127.0.0.1:7071/api")
    parser.add_argument("--state-dir", default=".azure-emulator", help="the emulator's state folder")
    args = parser.parse_args()
    emulator = EmulatorProcess.running(Path(args.state_dir).resolve())
    if emulator is None:
        print(f"no Azure emulator runs on {args.state_dir}: start `make run` first", file=sys.stderr)
        return 2
    api = ApiClient(args.api, emulator.user_token("admin"))
    tenant_path = f"/tenants/{args.tenant}"
    entra = report(api, tenant_path).get("entraTenantId")
    if not entra:
        print("link the tenant to its Entra tenant first (entraTenantId)", file=sys.stderr)
        return 2
    found = apply_fixes(api, tenant_path, emulator, entra)
    print(json.dumps({"ready": found["ready"], "missing": [i for i in found["items"] if i["status"] != "present"]}))
    return 0 if found["ready"] else 1


def grant_app_roles(emulator: EmulatorProcess, graph_token: str, names: list[str]) -> None:
    """The tenant's administrator grants the app these Graph permissions as each one's command does
    (graph_permissions.app_role_command): an app role assignment of Microsoft Graph to the app's service principal."""
    session, headers = emulator.session(), {"Authorization": f"Bearer {graph_token}"}
    base = f"{emulator.base_url}/graph/v1.0"
    reply = session.get(f"{base}/servicePrincipals(appId='{GRAPH_APP_ID}')", headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    graph = reply.json()
    roles = {role["value"]: role["id"] for role in graph["appRoles"]}
    query = {"$filter": f"appId eq '{APP_CLIENT_ID}'"}
    reply = session.get(f"{base}/servicePrincipals", params=query, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    [app] = reply.json()["value"]
    for name in names:
        body = {"principalId": app["id"], "resourceId": graph["id"], "appRoleId": roles[name]}
        reply = session.post(
            f"{base}/servicePrincipals/{graph['id']}/appRoleAssignedTo", json=body, headers=headers, timeout=30
        )
        assert reply.status_code == 201 or "already exists" in reply.text, reply.text


def grant_app(emulator: EmulatorProcess, entra_id: str, subscription_id: str | None = None) -> None:
    """A tenant onboarded without the app's API (for adapter tests): the tenant's admin consents and grants the app
    every other Graph permission a customer may grant, and with a subscription the custom role is assigned there,
    with its condition, as the onboarding report would have the admin do."""
    session = emulator.session()
    arm_token, _ = emulator_token(emulator, entra_id)
    graph_token, _ = emulator_token(emulator, entra_id, GRAPH)
    query = urlencode({"client_id": APP_CLIENT_ID, "scope": f"{emulator.base_url}/graph/.default"})
    reply = session.get(
        f"{emulator.base_url}/{entra_id}/v2.0/adminconsent?{query}",
        headers={"Authorization": f"Bearer {graph_token}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    # and the rest, at once, as in Entra's Enterprise applications (the commands, one by one, are apply_fixes')
    every = sorted({*reply.json()["graphPermissions"], *(p.name for p in GRAPH_PERMISSIONS if p.backends)})
    reply = session.put(
        f"{emulator.base_url}/emulator/tenants/{entra_id}/apps/{APP_CLIENT_ID}",
        json={"graphPermissions": every},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    if subscription_id is not None:
        arm = _Arm(emulator, session, arm_token, graph_token)
        role_id = arm.custom_role(custom_role([subscription_id]))
        arm.assign(
            f"/subscriptions/{subscription_id}", role_id, arm.service_principal(APP_CLIENT_ID), assignment_condition()
        )


def api_client_id(found: dict[str, Any]) -> str:
    url = str(found["adminConsentUrl"])
    return url.split("client_id=", 1)[1].split("&", 1)[0]


class _Arm:
    def __init__(self, emulator: EmulatorProcess, session: Any, arm_token: str, graph_token: str) -> None:
        self.base, self.session = emulator.base_url, session
        self.arm = {"Authorization": f"Bearer {arm_token}"}
        self.graph = {"Authorization": f"Bearer {graph_token}"}

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        query = {"api-version": API["Microsoft.Authorization"], **(params or {})}
        reply = self.session.request(
            method, f"{self.base}/arm{path}", params=query, json=body, headers=self.arm, timeout=30
        )
        assert reply.status_code in (200, 201), reply.text
        return reply.json()

    def custom_role(self, definition: dict[str, Any]) -> str:
        """The role's id: found by its name as az finds it (and given the report's assignable scopes, as
        `az role definition update` does when a subscription is added), else created at its first assignable scope."""
        body = {
            "properties": {
                "roleName": definition["Name"],
                "description": definition["Description"],
                "type": "CustomRole",
                "assignableScopes": definition["AssignableScopes"],
                "permissions": [
                    {
                        "actions": definition["Actions"],
                        "notActions": definition["NotActions"],
                        "dataActions": definition["DataActions"],
                        "notDataActions": definition["NotDataActions"],
                    }
                ],
            }
        }
        for scope in definition["AssignableScopes"]:
            listed = self._call(
                "GET",
                f"{scope}/providers/Microsoft.Authorization/roleDefinitions",
                params={"$filter": f"roleName eq '{definition['Name']}'"},
            )["value"]
            if listed:
                found = listed[0]
                if set(found["properties"]["assignableScopes"]) != set(definition["AssignableScopes"]):
                    self._call("PUT", found["id"], body)
                return str(found["id"])
        scope = definition["AssignableScopes"][0]
        made = self._call("PUT", f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}", body)
        return str(made["id"])

    def service_principal(self, app_id: str) -> str:
        reply = self.session.get(
            f"{self.base}/graph/v1.0/servicePrincipals(appId='{app_id}')", headers=self.graph, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["id"])

    def assign(self, scope: str, role_id: str, principal: str, condition: str | None) -> None:
        body = {
            "properties": {
                "roleDefinitionId": role_id,
                "principalId": principal,
                "principalType": "ServicePrincipal",
                "condition": condition,
                "conditionVersion": "2.0" if condition else None,
            }
        }
        self._call("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)


if __name__ == "__main__":
    sys.exit(main())
