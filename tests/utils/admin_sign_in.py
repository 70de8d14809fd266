"""A customer's Azure administrator signed in through the emulator's sign-in page with Azure's delegated scope, as
the portal signs them in for the one-step grant: their ARM access token, and roles given to them beforehand."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import ArmAdmin

ARM_SCOPE = "https://management.azure.com/user_impersonation"
# what the portal asks of the customer's Entra administrator, to grant the app its Graph permissions (auth.js)
GRAPH_GRANT_SCOPE = (
    "https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All https://graph.microsoft.com/Application.Read.All"
)
REDIRECT_URI = "http://127.0.0.1:9/portal/"  # never reached: the code is read off the redirect
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def put_in_directory(
    emulator: EmulatorProcess, entra_id: str, name: str, directory_roles: list[str] | None = None
) -> str:
    """The person the sign-in page signs in as `name`, made a user of the tenant (holding these Entra directory
    roles, when given): their object id."""
    body = {"directoryRoles": directory_roles} if directory_roles is not None else None
    url = f"{emulator.base_url}/emulator/tenants/{entra_id}/signInUsers/{name}"
    reply = emulator.session().put(url, json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["id"])


def give_role(arm: ArmAdmin, user_id: str, role_guid: str) -> None:
    """A built-in role on the subscription for a user, as the subscription's owner gives it."""
    scope = f"/subscriptions/{arm.subscription_id}"
    definition = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    body = {"properties": {"roleDefinitionId": definition, "principalId": user_id, "principalType": "User"}}
    arm.ok("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)


def azure_admin_token(emulator: EmulatorProcess, entra_id: str, name: str, scope: str = ARM_SCOPE) -> str:
    """`name` signs in to the customer's tenant for Azure (authorization code with PKCE): their access token for
    `scope`'s resource (ARM's by default)."""
    http = emulator.session()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorize = f"{emulator.base_url}/{entra_id}/oauth2/v2.0/authorize"
    fields = {
        "client_id": APP_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": f"{scope} openid",
        "state": secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "username": name,
    }
    reply = http.post(authorize, data=fields, allow_redirects=False, timeout=30)
    assert reply.status_code == 302, reply.text
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    redeemed = http.post(
        f"{emulator.base_url}/{entra_id}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": APP_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    assert redeemed.status_code == 200, redeemed.text
    return str(redeemed.json()["access_token"])


def grant_in_one_step(api: ApiClient, tenant_path: str, emulator: EmulatorProcess, arm: ArmAdmin) -> dict[str, Any]:
    """The customer's Azure administrator (an Owner of the subscription) grants in one step, as the onboarding page
    has them: the grant's answer."""
    entra_id = arm.tenant_id
    give_role(arm, put_in_directory(emulator, entra_id, "azureadmin"), OWNER)
    token = azure_admin_token(emulator, entra_id, "azureadmin")
    body = {"subscriptionIds": [arm.subscription_id]}
    reply = api.post(f"{tenant_path}/onboarding:grantAzureAccess", body, headers={"X-Azure-Admin-Token": token})
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer
