"""Key Vault secrets at `/keyvault` (the app's KEY_VAULT_URL), with the challenge handshake and soft delete.

- `PUT /secrets/{name}` sets a new version; `GET /secrets/{name}[/{version}]`; `DELETE /secrets/{name}` soft-deletes;
  `GET|DELETE /deletedsecrets/{name}` reads or purges a deleted secret; `POST /deletedsecrets/{name}/recover`.
  A name of a deleted secret cannot be set again until it is recovered or purged (409), as in Key Vault.
- Challenge: a request without a token gets `401` with `WWW-Authenticate: Bearer authorization="{authority}/{tenant}",
  resource="https://{parent domain of the vault's host}"`: for `myvault.vault.azure.net` Key Vault names
  `vault.azure.net`. azure-keyvault-secrets accepts a challenge only when the vault host ends with "." + the
  resource's host (verify_challenge_resource); for `127.0.0.1:PORT` the parent is `0.0.1:PORT`, a name that is
  never resolved, only used as the token audience, so the SDK's check passes without being switched off.
  Tokens must be for the vault's tenant (the emulator's home tenant) and that audience (or vault.azure.net).
- Secret ids are `{host}/secrets/{name}/{version}`: the SDK parses ids as exactly `/secrets/{name}[/{version}]`,
  so the routes are served both under `/keyvault` and at the root, and ids use the root form.
Values live in the emulator's state (it is the vault); the request log never sees them.

Access is Azure RBAC, as a vault in RBAC mode has it (https://learn.microsoft.com/azure/key-vault/general/rbac-guide):
an app's or managed identity's token needs a role whose `dataActions` grant the operation's data action on the
vault (`DATA_ACTIONS`), else 403 `Forbidden` with `innererror.code` `ForbiddenByRbac`. The vault is the app's own:
the emulator has it deployed as `infra/vault.bicep` deploys it, at `VAULT_ID` in its home tenant, with the managed
identity holding Key Vault Secrets Officer there (an admin may take it away: `DELETE` the assignment over ARM).

Store kinds: `keyvault.secret` `{name lower}` (versions), `keyvault.deleted` `{name lower}`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from azure_emulator.arm import common, rbac
from azure_emulator.identity import HOME_TENANT_ID, MANAGED_IDENTITY_PRINCIPAL_ID
from azure_emulator.server import ApiError, Context, Request, Response

SECRET, DELETED = "keyvault.secret", "keyvault.deleted"
HOME_SUBSCRIPTION_ID = "7e0e0a5e-3d1c-4c4f-9a7e-00000000005b"  # where the app itself is deployed
VAULT_GROUP = "rg-cloudpc-provisioning"
VAULT_ID = (
    f"/subscriptions/{HOME_SUBSCRIPTION_ID}/resourceGroups/{VAULT_GROUP}/providers/Microsoft.KeyVault/vaults/kv-app"
)
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"  # Key Vault Secrets Officer
# each operation's data action (https://learn.microsoft.com/azure/role-based-access-control/permissions/security)
DATA_ACTIONS = {
    "setSecret": "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    "getSecret": "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "deleteSecret": "Microsoft.KeyVault/vaults/secrets/delete",
    "getDeletedSecret": "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    "purgeDeletedSecret": "Microsoft.KeyVault/vaults/secrets/purge/action",
    "recoverDeletedSecret": "Microsoft.KeyVault/vaults/secrets/recover/action",
}
PREFIX = r"(?:/keyvault)?"
NAME = r"(?P<name>[^/]+)"
VALID_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
PUBLIC_AUDIENCES = {"https://vault.azure.net", "https://vault.azure.net/"}
RETENTION_DAYS = 90


def vault_resource(base_url: str) -> str:
    """The challenge's resource: the parent domain of the vault's host, as Key Vault names `vault.azure.net`."""
    scheme, _, host = base_url.partition("://")
    return f"{scheme}://{host.split('.', 1)[1] if '.' in host else host}"


def challenge(request: Request) -> dict[str, str]:
    authority = f"{request.base_url}/{HOME_TENANT_ID}"
    return {"WWW-Authenticate": f'Bearer authorization="{authority}", resource="{vault_resource(request.base_url)}"'}


def _name(request: Request) -> str:
    name = request.params["name"]
    if not VALID_NAME.match(name):
        raise ApiError(400, "BadParameter", f"The request URI contains an invalid name: {name}")
    return name


def _not_found(name: str) -> ApiError:
    return ApiError(404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault.")


def _bundle(request: Request, doc: dict[str, Any], version: dict[str, Any], with_value: bool) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "id": f"{request.base_url}/secrets/{doc['name']}/{version['version']}",
        "attributes": {
            "enabled": version.get("enabled", True),
            "created": version["created"],
            "updated": version["updated"],
            "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": RETENTION_DAYS,
        },
        "tags": version.get("tags") or {},
    }
    if version.get("contentType"):
        bundle["contentType"] = version["contentType"]
    if with_value:
        bundle["value"] = version["value"]
    return bundle


def _deleted_bundle(request: Request, deleted: dict[str, Any]) -> dict[str, Any]:
    doc = deleted["secret"]
    return {
        **_bundle(request, doc, doc["versions"][-1], with_value=False),
        "recoveryId": f"{request.base_url}/deletedsecrets/{doc['name']}",
        "deletedDate": deleted["deletedDate"],
        "scheduledPurgeDate": deleted["deletedDate"] + RETENTION_DAYS * 86400,
    }


def deploy_vault(ctx: Context) -> None:
    """The app's vault and its managed identity's role on it, as the deployment template makes them (once: a role
    an admin took away stays away, across restarts of a kept state)."""
    if common.get(ctx, VAULT_ID) is not None:
        return
    with ctx.store.transaction():
        group = common.group_id(HOME_SUBSCRIPTION_ID, VAULT_GROUP)
        common.put(
            ctx,
            {
                "resource": {
                    "id": group,
                    "name": VAULT_GROUP,
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": "westeurope",
                    "properties": {"provisioningState": "Succeeded"},
                },
                "meta": {"tid": HOME_TENANT_ID},
            },
        )
        common.put(
            ctx,
            {
                "resource": {
                    "id": VAULT_ID,
                    "name": "kv-app",
                    "type": "Microsoft.KeyVault/vaults",
                    "location": "westeurope",
                    "properties": {"enableRbacAuthorization": True},
                },
                "meta": {"tid": HOME_TENANT_ID},
            },
        )
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{VAULT_ID}/{MANAGED_IDENTITY_PRINCIPAL_ID}/{SECRETS_OFFICER}"))
        assignment = f"{VAULT_ID}/providers/{rbac.ASSIGNMENT_TYPE}/{name}"
        role = f"/subscriptions/{HOME_SUBSCRIPTION_ID}/providers/{rbac.DEFINITION_TYPE}/{SECRETS_OFFICER}"
        common.put(
            ctx,
            {
                "resource": {
                    "id": assignment,
                    "name": name,
                    "type": rbac.ASSIGNMENT_TYPE,
                    "properties": {
                        "roleDefinitionId": role,
                        "principalId": MANAGED_IDENTITY_PRINCIPAL_ID,
                        "principalType": "ServicePrincipal",
                        "scope": VAULT_ID,
                    },
                },
                "meta": {"tid": HOME_TENANT_ID},
            },
        )
        rbac.index_assignment(ctx, MANAGED_IDENTITY_PRINCIPAL_ID, assignment, VAULT_ID)


def register(ctx: Context) -> None:
    r, store = ctx.router, ctx.store
    r.challenges["keyvault"] = challenge

    def authorize(request: Request) -> None:
        claims = request.claims or {}
        if claims.get("tid") != HOME_TENANT_ID:
            raise ApiError(
                401,
                "Unauthorized",
                "AKV10032: Invalid issuer: the token is not for this vault's tenant.",
                challenge(request),
            )
        if claims.get("aud") not in {*PUBLIC_AUDIENCES, vault_resource(request.base_url)}:
            raise ApiError(401, "Unauthorized", "AKV10022: Invalid audience.", challenge(request))

    def forbidden_unless_granted(request: Request, operation: str) -> None:
        action = DATA_ACTIONS[operation]
        with store.transaction():
            granted = rbac.allowed(ctx, request, action, VAULT_ID, data=True)
        if not granted:
            claims = request.claims or {}
            message = (
                "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or "
                "role definitions were changed recently, please observe propagation time.\r\n"
                f"Caller: appid={claims.get('appid')};oid={claims.get('oid')}\r\nAction: '{action}'\r\n"
                f"Resource: '{VAULT_ID.lower()}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'"
            )
            raise ApiError(403, "Forbidden", message, inner="ForbiddenByRbac")

    deploy_vault(ctx)
    rbac.DATA_OPERATIONS.update(DATA_ACTIONS.values())

    def route(method: str, path: str, operation: str, kind: Any = None) -> Any:
        def register_handler(handler: Any) -> Any:
            def guarded(request: Request) -> Response:
                authorize(request)
                forbidden_unless_granted(request, operation)
                return handler(request)

            r.route(method, PREFIX + path, operation=operation, api="keyvault", kind=kind)(guarded)
            return handler

        return register_handler

    @route("PUT", rf"/secrets/{NAME}", "setSecret")
    def set_secret(request: Request) -> Response:
        name, body = _name(request), request.json()
        if not isinstance(body.get("value"), str):
            raise ApiError(400, "BadParameter", "Property 'value' is required and must be a string.")
        now = int(ctx.clock())
        version = {
            "version": uuid.uuid4().hex,
            "value": body["value"],
            "contentType": body.get("contentType"),
            "tags": body.get("tags") or {},
            "enabled": (body.get("attributes") or {}).get("enabled", True),
            "created": now,
            "updated": now,
        }
        with store.transaction():
            if store.get(DELETED, name.lower()) is not None:
                raise ApiError(
                    409,
                    "Conflict",
                    f"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; "
                    "in this state, the secret can only be recovered or purged.",
                )
            doc = store.get(SECRET, name.lower()) or {"name": name, "versions": []}
            doc["versions"].append(version)
            store.put(SECRET, name.lower(), doc)
        return Response(200, _bundle(request, doc, version, with_value=True))

    @route("GET", rf"/secrets/{NAME}(?:/(?P<version>[0-9a-fA-F]*))?", "getSecret")
    def get_secret(request: Request) -> Response:
        name = _name(request)
        doc = store.get(SECRET, name.lower())
        if doc is None:
            raise _not_found(name)
        wanted = request.params.get("version")
        versions = [v for v in doc["versions"] if not wanted or v["version"] == wanted.lower()]
        if not versions:
            raise _not_found(f"{name}/{wanted}")
        return Response(200, _bundle(request, doc, versions[-1], with_value=True))

    @route("DELETE", rf"/secrets/{NAME}", "deleteSecret")
    def delete_secret(request: Request) -> Response:
        name = _name(request)
        with store.transaction():
            doc = store.get(SECRET, name.lower())
            if doc is None:
                raise _not_found(name)
            deleted = {"secret": doc, "deletedDate": int(ctx.clock())}
            store.put(DELETED, name.lower(), deleted)
            store.delete(SECRET, name.lower())
        return Response(200, _deleted_bundle(request, deleted))

    @route("GET", rf"/deletedsecrets/{NAME}", "getDeletedSecret")
    def get_deleted(request: Request) -> Response:
        name = _name(request)
        deleted = store.get(DELETED, name.lower())
        if deleted is None:
            raise _not_found(name)
        return Response(200, _deleted_bundle(request, deleted))

    @route("DELETE", rf"/deletedsecrets/{NAME}", "purgeDeletedSecret")
    def purge(request: Request) -> Response:
        name = _name(request)
        if not store.delete(DELETED, name.lower()):
            raise _not_found(name)
        return Response(204)

    @route("POST", rf"/deletedsecrets/{NAME}/recover", "recoverDeletedSecret")
    def recover(request: Request) -> Response:
        name = _name(request)
        with store.transaction():
            deleted = store.get(DELETED, name.lower())
            if deleted is None:
                raise _not_found(name)
            doc = deleted["secret"]
            store.put(SECRET, name.lower(), doc)
            store.delete(DELETED, name.lower())
        return Response(200, _bundle(request, doc, doc["versions"][-1], with_value=False))
