"""Microsoft.DesktopVirtualization (Azure Virtual Desktop), one resource provider whose types refer to one another:
host pools, application groups, workspaces and the session hosts the AVD agent registers.

As in Azure, every write here is synchronous (200/201, deletes 200, or 204 when there was nothing to delete).
- A host pool's registration token is made by a PUT or PATCH with `registrationInfo.registrationTokenOperation`
  `Update` (an expiration 1 hour to 30 days ahead) and replaces the one before; `Delete` revokes it. Since
  api-version 2023-09-05 a GET no longer shows the token: only the write that made it, and the
  `retrieveRegistrationToken` action, answer it.
- A host pool has at most one Desktop application group; a workspace may only reference application groups that
  exist. A host pool with application groups cannot be deleted, nor one with session hosts unless `force=true`
  (which deletes them).
- Session hosts cannot be PUT: they appear when a VM's AVD agent registers. A Run Command does that when its script
  installs the agent (`REGISTRATIONTOKEN=` in the script, the msiexec property of the agent installer) with the
  token as the protected parameter `RegistrationToken`: only a digest of the token is kept with the command (Azure
  keeps no protected parameter), and when the command completes the token must still be the live, unexpired one of
  a host pool, else the script fails with the agent's reason as the install script reports it (`ERRORTYPE=<reason>`
  from the agent's event 3277 in the Application log: INVALID_REGISTRATION_TOKEN, or EXPIRED_MACHINE_TOKEN,
  https://learn.microsoft.com/azure/virtual-desktop/troubleshoot-agent). A fault armed under `registerAgent` makes
  the agent refuse a live token so (its errorCode, if given, is the reason), failing a registration as AVD does
  without waiting out a token's hour. The session host is named `<host pool>/<computer name>`, with the AD domain
  appended (its FQDN) for a domain-joined VM; `properties.resourceId` names the VM. Its status follows the VM:
  Available while it runs, Shutdown when it does not, Unavailable once it is gone. `sessions` counts its user
  sessions (user_sessions.py), active and disconnected; a session host with sessions is deleted only with
  `force=true` (the spec's "Force flag to force sessionHost deletion even when userSession exists", SessionHosts_Delete
  of 2024-04-03), which ends them.
- Start VM on Connect is the host pool's `startVMOnConnect` (true or false), set on a host pool that exists: "You can
  only configure Start VM on Connect on existing host pools", so a PUT that creates a pool with it on is refused
  (https://learn.microsoft.com/azure/virtual-desktop/start-virtual-machine-connect, its prerequisites; whether ARM
  itself refuses it, or only the portal's wizard lacks it, is not confirmed: the emulator takes the stricter reading).
  What AVD then does when a user connects is in user_sessions.py and session_controls.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from azure_emulator.arm import common, routing
from azure_emulator.server import ApiError, Context, Request, Response

NS = "Microsoft.DesktopVirtualization"
PROVIDER = common.RG + r"/providers/Microsoft\.DesktopVirtualization"
HOST_POOL = PROVIDER + r"/hostPools/(?P<pool>[^/]+)"
SESSION_HOST = HOST_POOL + r"/sessionHosts/(?P<host>[^/]+)"
APP_GROUP = PROVIDER + r"/applicationGroups/(?P<group>[^/]+)"
WORKSPACE = PROVIDER + r"/workspaces/(?P<ws>[^/]+)"
HOST_POOL_TYPE = f"{NS}/hostPools"
SESSION_HOST_TYPE = f"{HOST_POOL_TYPE}/sessionHosts"
HOSTS_BY_VM = "sessionHostsByVm"  # the store's index of session hosts by their VM's id
TOKEN_PARAMETER = "registrationtoken"
AGENT_INSTALL = re.compile(r"REGISTRATIONTOKEN=", re.IGNORECASE)
AGENT_FAULT = "registerAgent"
MIN_TOKEN_S, MAX_TOKEN_S = 3600, 30 * 86400
LOAD_BALANCERS = {"Pooled": ("BreadthFirst", "DepthFirst"), "Personal": ("Persistent",)}
POOL_FIELDS = (
    "friendlyName",
    "description",
    "maxSessionLimit",
    "loadBalancerType",
    "personalDesktopAssignmentType",
    "startVMOnConnect",
)

Doc = dict[str, Any]


def _id(request: Request, resource_type: str, name: str) -> str:
    return common.provider_id(request.params["sub"], request.params["rg"], NS, resource_type, name)


def _pool_id(request: Request) -> str:
    return _id(request, "hostPools", request.params["pool"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _existing(ctx: Context, request: Request, resource_id: str) -> Doc | None:
    common.require_group(ctx, request.params["sub"], request.params["rg"])
    return common.get(ctx, resource_id)


def _deleted(ctx: Context, request: Request, resource_id: str) -> Response | None:
    """204 when there is nothing to delete (the resource group must exist, as ARM answers)."""
    return Response(204) if _existing(ctx, request, resource_id) is None else None


def _delete_tree(ctx: Context, resource_id: str) -> None:
    """The resource with everything under its id: session hosts, and the role assignments scoped to it."""
    for child in ctx.store.keys(common.RESOURCE, common.key(resource_id) + "/"):
        ctx.store.delete(common.RESOURCE, child)
    common.delete(ctx, resource_id)


# --- host pools ---------------------------------------------------------------------------------------------


def _issue_token(ctx: Context, doc: Doc, info: Any) -> None:
    """Apply a `registrationInfo` write: Update makes a new token (the old one stops working), Delete revokes it."""
    if not isinstance(info, dict):
        return
    operation = str(info.get("registrationTokenOperation") or "None")
    if operation == "Delete":
        doc["meta"].pop("registration", None)
    elif operation == "Update":
        try:
            expires = dt.datetime.fromisoformat(str(info.get("expirationTime")).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "InvalidParameter", "registrationInfo.expirationTime must be a date-time.") from None
        ahead = expires.timestamp() - ctx.clock()
        if not MIN_TOKEN_S - 60 <= ahead <= MAX_TOKEN_S:  # a minute's slack for the caller's clock
            raise ApiError(
                400,
                "InvalidParameter",
                "The registration token's expiration time must be between 1 hour and 30 days from now.",
            )
        token = "eyJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(48)
        doc["meta"]["registration"] = {"token": token, "digest": _digest(token), "expiresAt": expires.timestamp()}
    elif operation != "None":
        raise ApiError(400, "InvalidParameter", f"'{operation}' is not a registrationTokenOperation.")


def _registration(doc: Doc, with_token: bool) -> dict[str, Any]:
    found = doc["meta"].get("registration")
    if not found:
        return {"expirationTime": None, "token": None, "registrationTokenOperation": "None"}
    expires = dt.datetime.fromtimestamp(found["expiresAt"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "expirationTime": expires,
        "token": found["token"] if with_token else None,
        "registrationTokenOperation": "Update",
    }


def pool_view(ctx: Context, doc: Doc, with_token: bool = False) -> dict[str, Any]:
    shown = common.shown(doc)
    shown["properties"]["registrationInfo"] = _registration(doc, with_token)
    shown["properties"]["applicationGroupReferences"] = [g["resource"]["id"] for g in app_groups(ctx, doc)]
    return shown


def app_groups(ctx: Context, pool: Doc) -> list[Doc]:
    _, _, sub, _, rg, *_ = pool["resource"]["id"].split("/")
    pool_key = common.key(pool["resource"]["id"])
    return [
        g
        for g in common.in_group(ctx, sub, rg, NS, "applicationGroups")
        if common.key(g["resource"]["properties"]["hostPoolArmPath"]) == pool_key
    ]


def _check_pool(props: dict[str, Any]) -> None:
    kind, balancer = props.get("hostPoolType"), props.get("loadBalancerType")
    if kind not in LOAD_BALANCERS:
        raise ApiError(400, "InvalidParameter", "hostPoolType must be Pooled or Personal.")
    if balancer not in LOAD_BALANCERS[kind]:
        raise ApiError(
            400,
            "InvalidParameter",
            f"A {kind} host pool takes loadBalancerType {' or '.join(LOAD_BALANCERS[kind])}, not {balancer}.",
        )
    if props.get("preferredAppGroupType") not in ("None", "Desktop", "RailApplications"):
        raise ApiError(400, "InvalidParameter", "preferredAppGroupType must be None, Desktop or RailApplications.")
    if kind == "Personal" and props.get("personalDesktopAssignmentType") not in ("Automatic", "Direct"):
        raise ApiError(400, "InvalidParameter", "A Personal host pool needs personalDesktopAssignmentType.")
    limit = props.get("maxSessionLimit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ApiError(400, "InvalidParameter", "maxSessionLimit must be a positive number.")
    if props.get("startVMOnConnect") not in (None, True, False):
        raise ApiError(400, "InvalidParameter", "startVMOnConnect must be true or false.")


def _register_host_pools(ctx: Context) -> None:
    @routing.route(
        ctx, "PUT", HOST_POOL, operation="createHostPool", action="Microsoft.DesktopVirtualization/hostpools/write"
    )
    def put_pool(request: Request) -> Response:
        pool_id = _pool_id(request)
        existing = _existing(ctx, request, pool_id)
        body = common.body_object(request)
        props = common.properties(body)
        _check_pool(props)
        if existing is not None and existing["resource"]["properties"]["hostPoolType"] != props["hostPoolType"]:
            raise ApiError(400, "InvalidParameter", "The hostPoolType of a host pool cannot be changed.")
        if existing is None and props.get("startVMOnConnect"):
            raise ApiError(
                400,
                "InvalidParameter",
                "Start VM on Connect can only be configured on a host pool that "
                "exists: create the host pool first, then turn it on.",
            )
        kept = {k: props.get(k) for k in ("hostPoolType", "preferredAppGroupType", *POOL_FIELDS)}
        if props["hostPoolType"] == "Pooled":
            kept["maxSessionLimit"] = props.get("maxSessionLimit") or 999999
        doc: Doc = {
            "resource": {
                "id": pool_id,
                "name": request.params["pool"],
                "type": HOST_POOL_TYPE,
                "location": common.location_of(body),
                "tags": body.get("tags") or {},
                "properties": {**kept, "validationEnvironment": bool(props.get("validationEnvironment"))},
            },
            "meta": {"tid": common.tid_of(request), **((existing or {}).get("meta") or {})},
        }
        _issue_token(ctx, doc, props.get("registrationInfo"))
        common.put(ctx, doc)
        return Response(200 if existing else 201, pool_view(ctx, doc, with_token=True))

    @routing.route(
        ctx, "PATCH", HOST_POOL, operation="updateHostPool", action="Microsoft.DesktopVirtualization/hostpools/write"
    )
    def patch_pool(request: Request) -> Response:
        doc = common.require(ctx, _pool_id(request), "host pool")
        props = common.properties(common.body_object(request))
        changed = {**doc["resource"]["properties"], **{k: props[k] for k in POOL_FIELDS if k in props}}
        _check_pool(changed)
        doc["resource"]["properties"] = changed
        _issue_token(ctx, doc, props.get("registrationInfo"))
        common.put(ctx, doc)
        return Response(200, pool_view(ctx, doc, with_token=True))

    @routing.route(
        ctx, "GET", HOST_POOL, operation="getHostPool", action="Microsoft.DesktopVirtualization/hostpools/read"
    )
    def get_pool(request: Request) -> Response:
        return Response(200, pool_view(ctx, common.require(ctx, _pool_id(request), "host pool")))

    @routing.route(
        ctx,
        "POST",
        HOST_POOL + r"/retrieveRegistrationToken",
        operation="retrieveRegistrationToken",
        action="Microsoft.DesktopVirtualization/hostpools/retrieveRegistrationToken/action",
    )
    def retrieve_token(request: Request) -> Response:
        doc = common.require(ctx, _pool_id(request), "host pool")
        return Response(200, _registration(doc, with_token=True))

    @routing.route(
        ctx, "DELETE", HOST_POOL, operation="deleteHostPool", action="Microsoft.DesktopVirtualization/hostpools/delete"
    )
    def delete_pool(request: Request) -> Response:
        pool_id = _pool_id(request)
        gone = _deleted(ctx, request, pool_id)
        if gone is not None:
            return gone
        doc = common.require(ctx, pool_id, "host pool")
        if app_groups(ctx, doc):
            raise ApiError(
                400,
                "BadRequest",
                f"The host pool {request.params['pool']} still has application groups: delete them first.",
            )
        hosts = common.children(ctx, pool_id, "sessionHosts")
        if hosts and (request.q("force") or "").lower() != "true":
            raise ApiError(
                400,
                "BadRequest",
                f"The host pool {request.params['pool']} has session hosts: remove them, or delete it with force=true.",
            )
        _delete_tree(ctx, pool_id)
        return Response(200)


# --- session hosts ------------------------------------------------------------------------------------------


# what an agent reports other than Available while its VM runs, as a control sets it (session_controls.py): every
# other member of the session host status enum (`Status` of SessionHostProperties, specification/desktopvirtualization
# /resource-manager/Microsoft.DesktopVirtualization/stable/2024-04-03/desktopvirtualization.json;
# https://learn.microsoft.com/javascript/api/@azure/arm-desktopvirtualization/knownstatus), so each can be reached
AGENT_FAULTS = (
    "Unavailable",
    "Shutdown",
    "Disconnected",
    "Upgrading",
    "UpgradeFailed",
    "NoHeartbeat",
    "NotJoinedToDomain",
    "DomainTrustRelationshipLost",
    "SxSStackListenerNotReady",
    "FSLogixNotHealthy",
    "NeedsAssistance",
)
# the statuses AVD still routes new connections to: NeedsAssistance's issues are not fatal to connections (the same
# page; Unavailable is a host the service cannot route connections to)
ROUTED = ("Available", "NeedsAssistance")


def host_status(ctx: Context, doc: Doc) -> str:
    """What AVD shows of the host's agent: Available while its VM runs, Shutdown when it does not, Unavailable once
    it is gone or was evicted (a Spot VM taken away, not shut down: spot.py), or the fault a control gave its agent
    while the VM runs; only an Available host takes a connection."""
    vm = common.get(ctx, doc["resource"]["properties"]["resourceId"])
    if vm is None or vm["meta"].get("evicted"):
        return "Unavailable"
    if vm["meta"].get("power") != "running":
        return "Shutdown"
    return str(doc["meta"].get("agentStatus") or "Available")


def host_view(ctx: Context, doc: Doc) -> dict[str, Any]:
    shown = common.shown(doc)
    shown["properties"]["status"] = host_status(ctx, doc)
    shown["properties"]["statusTimestamp"] = common.now_iso(ctx.clock)
    shown["properties"]["sessions"] = len(common.children(ctx, shown["id"], "userSessions"))
    return shown


def _register_session_hosts(ctx: Context) -> None:
    def host_id(request: Request) -> str:
        return f"{_pool_id(request)}/sessionHosts/{request.params['host']}"

    @routing.route(
        ctx,
        "GET",
        HOST_POOL + r"/sessionHosts",
        operation="listSessionHosts",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/read",
    )
    def list_hosts(request: Request) -> Response:
        common.require(ctx, _pool_id(request), "host pool")
        hosts = common.children(ctx, _pool_id(request), "sessionHosts")
        return common.listing(ctx, request, hosts, lambda doc: host_view(ctx, doc))

    @routing.route(
        ctx,
        "GET",
        SESSION_HOST,
        operation="getSessionHost",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/read",
    )
    def get_host(request: Request) -> Response:
        return Response(200, host_view(ctx, common.require(ctx, host_id(request), "session host")))

    @routing.route(
        ctx,
        "PATCH",
        SESSION_HOST,
        operation="updateSessionHost",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/write",
    )
    def patch_host(request: Request) -> Response:
        doc = common.require(ctx, host_id(request), "session host")
        props = common.properties(common.body_object(request))
        if "allowNewSession" in props:
            if not isinstance(props["allowNewSession"], bool):
                raise ApiError(400, "InvalidParameter", "allowNewSession must be true or false.")
            doc["resource"]["properties"]["allowNewSession"] = props["allowNewSession"]
        if "assignedUser" in props:
            pool = common.require(ctx, _pool_id(request), "host pool")
            if pool["resource"]["properties"]["hostPoolType"] != "Personal":
                raise ApiError(400, "InvalidParameter", "Only a Personal host pool's session hosts have users.")
            wanted, held = props["assignedUser"] or None, doc["resource"]["properties"].get("assignedUser")
            # unassigning or reassigning a personal desktop takes `force=true` (SessionHosts_Update's query parameter,
            # "Force flag to update assign, unassign or reassign personal desktop", specification/desktopvirtualization
            # /resource-manager/Microsoft.DesktopVirtualization/stable/2024-04-03/desktopvirtualization.json; the
            # unassign and reassign steps of https://learn.microsoft.com/azure/virtual-desktop/
            # configure-host-pool-personal-desktop-assignment-type). AVD's exact error code for a PATCH without it
            # was not found: the emulator answers the closest documented one, 400 BadRequest.
            changes_hands = held is not None and (wanted or "").lower() != held.lower()
            if changes_hands and (request.q("force") or "").lower() != "true":
                raise ApiError(
                    400,
                    "BadRequest",
                    f"The session host {request.params['host']} is assigned to "
                    f"{held}: unassigning or reassigning it takes force=true.",
                )
            # a personal host pool gives a user at most one desktop ("a single user can only be assigned to a single
            # personal desktop", https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-
            # desktop-assignment-type; several per user is a preview whose api-version was not found, so it is not
            # modelled). AVD's exact error code for it was not found either: the closest documented one, 400 BadRequest.
            user = (wanted or "").lower()
            others = [
                h
                for h in common.children(ctx, _pool_id(request), "sessionHosts")
                if h["resource"]["id"] != doc["resource"]["id"]
                and (h["resource"]["properties"].get("assignedUser") or "").lower() == user
            ]
            if wanted and others:
                raise ApiError(
                    400,
                    "BadRequest",
                    f"The user {wanted} is already assigned to the session host "
                    f"{others[0]['resource']['name']} of this host pool: a user gets at most one personal "
                    "desktop in a host pool.",
                )
            doc["resource"]["properties"]["assignedUser"] = wanted
        if "friendlyName" in props:
            doc["resource"]["properties"]["friendlyName"] = props["friendlyName"]
        common.put(ctx, doc)
        return Response(200, host_view(ctx, doc))

    @routing.route(
        ctx,
        "DELETE",
        SESSION_HOST,
        operation="deleteSessionHost",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/delete",
    )
    def delete_host(request: Request) -> Response:
        common.require(ctx, _pool_id(request), "host pool")
        if common.get(ctx, host_id(request)) is None:
            return Response(204)
        sessions = common.children(ctx, host_id(request), "userSessions")
        if sessions and (request.q("force") or "").lower() != "true":
            raise ApiError(
                400,
                "BadRequest",
                f"The session host {request.params['host']} has {len(sessions)} user "
                "sessions: log them off, or delete it with force=true.",
            )
        _delete_tree(ctx, host_id(request))
        return Response(200)


def command_meta(props: dict[str, Any]) -> dict[str, Any]:
    """What a Run Command keeps of an agent registration: the token's digest (no protected value is ever kept)."""
    script = str((props.get("source") or {}).get("script") or "")
    if not AGENT_INSTALL.search(script):
        return {}
    token = next(
        (
            str(p.get("value") or "")
            for p in props.get("protectedParameters") or []
            if str(p.get("name") or "").lower() == TOKEN_PARAMETER
        ),
        "",
    )
    return {"agentToken": _digest(token) if token else ""}


def register_agent(ctx: Context, vm: Doc, command: Doc) -> list[str]:
    """The completed Run Command's agent registration: the session host in the token's host pool, or ApiError (the
    script fails) when the token is missing, revoked, replaced or expired. Output lines for the command."""
    digest = command["meta"].get("agentToken")
    if digest is None:
        return []
    pools = common.of_type(ctx, HOST_POOL_TYPE)
    pool = next((p for p in pools if digest and (p["meta"].get("registration") or {}).get("digest") == digest), None)
    live = pool is not None and pool["meta"]["registration"]["expiresAt"] > ctx.clock()
    refused = ctx.controls.take_fault(AGENT_FAULT) if live else None
    if pool is None or not live or refused is not None:
        reason = (refused.error_code if refused else None) or "INVALID_REGISTRATION_TOKEN"
        raise ApiError(
            400,
            "VMExtensionProvisioningError",
            f"ERRORTYPE={reason} The Azure Virtual Desktop agent did "
            f"not register: {reason} (the registration token is not valid, or has expired).",
        )
    vm_id = vm["resource"]["id"]
    name = _host_name(ctx, vm)
    pool_id = pool["resource"]["id"]
    for other in hosts_of_vm(ctx, vm_id):
        if other["resource"]["id"] == f"{pool_id}/sessionHosts/{name}":  # installed again: the same host, its
            other["meta"].pop("agentStatus", None)  # assignment and sessions kept, its agent healthy again
            other["resource"]["properties"]["lastHeartBeat"] = common.now_iso(ctx.clock)
            common.put(ctx, other)
            return [f"{name}: registered again to host pool {pool['resource']['name']}"]
        _delete_tree(ctx, other["resource"]["id"])  # an agent serves one host pool: registering again moves it
    doc = {
        "resource": {
            "id": f"{pool_id}/sessionHosts/{name}",
            "name": f"{pool['resource']['name']}/{name}",
            "type": SESSION_HOST_TYPE,
            "properties": {
                "resourceId": vm_id,
                "virtualMachineId": vm["resource"]["properties"].get("vmId"),
                "allowNewSession": True,
                "sessions": 0,
                "assignedUser": None,
                "status": "Available",
                "agentVersion": "1.0.9103.3700",
                "osVersion": "10.0.26100",
                "updateState": "Succeeded",
                "lastHeartBeat": common.now_iso(ctx.clock),
            },
        },
        "meta": {"tid": vm["meta"]["tid"]},
    }
    common.put(ctx, doc)
    return [f"{name}: registered to host pool {pool['resource']['name']}"]


def hosts_of_vm(ctx: Context, vm_id: str) -> list[Doc]:
    """The session hosts (of any host pool) the VM is."""
    return ctx.store.find(common.RESOURCE, HOSTS_BY_VM, common.key(vm_id))


def _vm_of_host(doc: Doc) -> str | None:
    resource = doc["resource"]
    return common.key(resource["properties"]["resourceId"]) if resource["type"] == SESSION_HOST_TYPE else None


def _host_name(ctx: Context, vm: Doc) -> str:
    computer = str(vm["resource"]["properties"]["osProfile"]["computerName"])
    for ext in common.children(ctx, vm["resource"]["id"], "extensions"):
        props = ext["resource"]["properties"]
        if str(props.get("type")).lower() == "jsonaddomainextension" and props.get("provisioningState") == "Succeeded":
            domain = next((v for k, v in (props.get("settings") or {}).items() if k.lower() == "name"), None)
            if domain:
                return f"{computer}.{domain}"
    return computer


# --- application groups and workspaces ----------------------------------------------------------------------


def _register_app_groups(ctx: Context) -> None:
    @routing.route(
        ctx,
        "PUT",
        APP_GROUP,
        operation="createApplicationGroup",
        action="Microsoft.DesktopVirtualization/applicationgroups/write",
    )
    def put_group(request: Request) -> Response:
        group_id = _id(request, "applicationGroups", request.params["group"])
        existing = _existing(ctx, request, group_id)
        body = common.body_object(request)
        props = common.properties(body)
        kind, pool_path = props.get("applicationGroupType"), str(props.get("hostPoolArmPath") or "")
        if kind not in ("Desktop", "RemoteApp"):
            raise ApiError(400, "InvalidParameter", "applicationGroupType must be Desktop or RemoteApp.")
        pool = common.get(ctx, pool_path) if pool_path else None
        if pool is None or pool["resource"]["type"] != HOST_POOL_TYPE:
            raise ApiError(400, "InvalidParameter", f"hostPoolArmPath '{pool_path}' is not an existing host pool.")
        if existing is not None:
            before = existing["resource"]["properties"]
            if common.key(before["hostPoolArmPath"]) != common.key(pool_path) or before["applicationGroupType"] != kind:
                raise ApiError(400, "InvalidParameter", "An application group's host pool and type cannot change.")
        elif kind == "Desktop" and any(
            g["resource"]["properties"]["applicationGroupType"] == "Desktop" for g in app_groups(ctx, pool)
        ):
            raise ApiError(400, "InvalidParameter", "The host pool already has a Desktop application group.")
        workspace = ((existing or {}).get("resource") or {}).get("properties", {}).get("workspaceArmPath")
        doc: Doc = {
            "resource": {
                "id": group_id,
                "name": request.params["group"],
                "type": f"{NS}/applicationGroups",
                "location": common.location_of(body),
                "tags": body.get("tags") or {},
                "kind": kind,
                "properties": {
                    "applicationGroupType": kind,
                    "hostPoolArmPath": pool["resource"]["id"],
                    "friendlyName": props.get("friendlyName"),
                    "description": props.get("description"),
                    "workspaceArmPath": workspace,
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        return Response(200 if existing else 201, common.shown(doc))

    @routing.route(
        ctx,
        "GET",
        APP_GROUP,
        operation="getApplicationGroup",
        action="Microsoft.DesktopVirtualization/applicationgroups/read",
    )
    def get_group(request: Request) -> Response:
        group_id = _id(request, "applicationGroups", request.params["group"])
        return Response(200, common.shown(common.require(ctx, group_id, "application group")))

    @routing.route(
        ctx,
        "DELETE",
        APP_GROUP,
        operation="deleteApplicationGroup",
        action="Microsoft.DesktopVirtualization/applicationgroups/delete",
    )
    def delete_group(request: Request) -> Response:
        group_id = _id(request, "applicationGroups", request.params["group"])
        gone = _deleted(ctx, request, group_id)
        if gone is not None:
            return gone
        for workspace in common.in_group(ctx, request.params["sub"], request.params["rg"], NS, "workspaces"):
            kept = workspace["resource"]["properties"]["applicationGroupReferences"]
            _set_references(ctx, workspace, [r for r in kept if common.key(r) != common.key(group_id)])
        _delete_tree(ctx, group_id)
        return Response(200)


def _set_references(ctx: Context, workspace: Doc, references: list[str]) -> None:
    """The workspace's application groups, and each group's workspaceArmPath to match."""
    ws_id = workspace["resource"]["id"]
    ws_key = common.key(ws_id)
    groups = []
    for reference in references:
        group = common.get(ctx, reference)
        if group is None or group["resource"]["type"] != f"{NS}/applicationGroups":
            raise ApiError(400, "InvalidParameter", f"The application group {reference} does not exist.")
        groups.append(group)
    for old in workspace["resource"]["properties"].get("applicationGroupReferences") or []:
        group = common.get(ctx, old)
        if group is not None and common.key(group["resource"]["properties"].get("workspaceArmPath") or "") == ws_key:
            group["resource"]["properties"]["workspaceArmPath"] = None
            common.put(ctx, group)
    for group in groups:
        group["resource"]["properties"]["workspaceArmPath"] = ws_id
        common.put(ctx, group)
    workspace["resource"]["properties"]["applicationGroupReferences"] = [g["resource"]["id"] for g in groups]
    common.put(ctx, workspace)


def _register_workspaces(ctx: Context) -> None:
    def ws_id(request: Request) -> str:
        return _id(request, "workspaces", request.params["ws"])

    def references(props: dict[str, Any]) -> list[str]:
        found = props.get("applicationGroupReferences") or []
        if not isinstance(found, list) or not all(isinstance(r, str) for r in found):
            raise ApiError(400, "InvalidParameter", "applicationGroupReferences must be a list of ids.")
        return found

    @routing.route(
        ctx, "PUT", WORKSPACE, operation="createWorkspace", action="Microsoft.DesktopVirtualization/workspaces/write"
    )
    def put_workspace(request: Request) -> Response:
        existing = _existing(ctx, request, ws_id(request))
        body = common.body_object(request)
        props = common.properties(body)
        doc: Doc = existing or {
            "resource": {
                "id": ws_id(request),
                "name": request.params["ws"],
                "type": f"{NS}/workspaces",
                "location": common.location_of(body),
                "properties": {"applicationGroupReferences": []},
            },
            "meta": {"tid": common.tid_of(request)},
        }
        doc["resource"]["tags"] = body.get("tags") or {}
        doc["resource"]["properties"].update(
            friendlyName=props.get("friendlyName"), description=props.get("description")
        )
        _set_references(ctx, doc, references(props))
        return Response(200 if existing else 201, common.shown(doc))

    @routing.route(
        ctx, "PATCH", WORKSPACE, operation="updateWorkspace", action="Microsoft.DesktopVirtualization/workspaces/write"
    )
    def patch_workspace(request: Request) -> Response:
        doc = common.require(ctx, ws_id(request), "workspace")
        props = common.properties(common.body_object(request))
        for name in ("friendlyName", "description"):
            if name in props:
                doc["resource"]["properties"][name] = props[name]
        if "applicationGroupReferences" in props:
            _set_references(ctx, doc, references(props))
        common.put(ctx, doc)
        return Response(200, common.shown(doc))

    @routing.route(
        ctx, "GET", WORKSPACE, operation="getWorkspace", action="Microsoft.DesktopVirtualization/workspaces/read"
    )
    def get_workspace(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, ws_id(request), "workspace")))

    @routing.route(
        ctx,
        "DELETE",
        WORKSPACE,
        operation="deleteWorkspace",
        action="Microsoft.DesktopVirtualization/workspaces/delete",
    )
    def delete_workspace(request: Request) -> Response:
        gone = _deleted(ctx, request, ws_id(request))
        if gone is not None:
            return gone
        doc = common.require(ctx, ws_id(request), "workspace")
        _set_references(ctx, doc, [])
        _delete_tree(ctx, ws_id(request))
        return Response(200)


def register(ctx: Context) -> None:
    ctx.store.add_index(common.RESOURCE, HOSTS_BY_VM, _vm_of_host)
    _register_host_pools(ctx)
    _register_session_hosts(ctx)
    _register_app_groups(ctx)
    _register_workspaces(ctx)
