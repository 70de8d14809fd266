"""Azure Virtual Desktop as its users see it: the desktops a user's feed lists, and the right a connection needs.

Azure's rules, each with its source:
- A user may use an application group's desktop when they, or a group they belong to (nested groups count, as Entra
  groups do in Azure RBAC), hold Desktop Virtualization User on it or on a scope above it: the role's one permission
  is the data action `Microsoft.DesktopVirtualization/applicationGroups/useApplications/action`
  ("Built-in Azure RBAC roles for Azure Virtual Desktop", https://learn.microsoft.com/azure/virtual-desktop/rbac;
  https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/compute#desktop-virtualization-user).
  Any role granting that action does (rbac.py decides, with its conditions: one the emulator cannot read grants
  nothing); the check is made at each connection, so an assignment made or removed since counts at once.
- The feed a user subscribes to lists, per workspace, the application groups of that workspace they are assigned to;
  an application group in no workspace is in no feed ("Create an application group, a workspace, and assign users",
  https://learn.microsoft.com/azure/virtual-desktop/create-application-group-workspace; "Connect to Azure Virtual
  Desktop with the Remote Desktop Web client", https://learn.microsoft.com/azure/virtual-desktop/users/connect-web).
  Only Desktop application groups are listed here (RemoteApp is not modelled). A desktop is named by its application
  group's friendly name, else its host pool's, else `SessionDesktop`, AVD's default desktop.
- A personal desktop is the session host assigned to the user (`assignedUser`): with Direct assignment an
  administrator assigns it, with Automatic the first connection does, and "users must be assigned to a personal
  desktop to start their session"
  (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type).
- A connection without the right fails with ConnectionFailedUserNotAuthorized ("Identify and diagnose issues",
  https://learn.microsoft.com/azure/virtual-desktop/diagnostics-role-service, its connection error codes).
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, desktop_virtualization, rbac
from azure_emulator.graph.directory_rows import GROUP, USER, transitive_groups
from azure_emulator.graph.users import find_user
from azure_emulator.server import Context

USE_APPLICATIONS = "Microsoft.DesktopVirtualization/applicationGroups/useApplications/action"
WORKSPACE_TYPE = f"{desktop_virtualization.NS}/workspaces"
NOT_AUTHORIZED = "ConnectionFailedUserNotAuthorized"

Doc = dict[str, Any]


def principals_of(ctx: Context, tenant: str, upn: str) -> list[str]:
    """The user's object id and every group they are in, directly or not; none for a user the directory lacks."""
    user = find_user(ctx.store, tenant, upn) if tenant else None
    if user is None:
        return []
    return [str(user["id"]), *sorted(transitive_groups(ctx.store, tenant, str(user["id"])))]


def may_use(ctx: Context, principals: list[str], app_group_id: str) -> bool:
    return any(rbac.grants(rbac.permissions_at(ctx, p, app_group_id), USE_APPLICATIONS, data=True) for p in principals)


def _published_desktops(ctx: Context, pool: Doc) -> list[str]:
    """The ids of the pool's Desktop application groups that a workspace holds: what a feed can offer."""
    return [
        g["resource"]["id"]
        for g in desktop_virtualization.app_groups(ctx, pool)
        if g["resource"]["properties"]["applicationGroupType"] == "Desktop"
        and g["resource"]["properties"].get("workspaceArmPath")
    ]


def may_connect(ctx: Context, pool: Doc, upn: str) -> bool:
    """The user may use the pool's desktop: they hold the right on its Desktop application group, in a workspace."""
    principals = principals_of(ctx, str(pool["meta"].get("tid") or ""), upn)
    return any(may_use(ctx, principals, group_id) for group_id in _published_desktops(ctx, pool))


def someone_may_connect(ctx: Context, pool: Doc) -> bool:
    """Some group or user of the directory holds the right on the pool's published desktop: what the load control's
    simulated users, members of such a group or users like such a user, need (session_controls.py)."""
    tenant = str(pool["meta"].get("tid") or "")
    principals = {entry.split("/", 1)[0] for entry in ctx.store.keys(rbac.ASSIGNMENT_INDEX)}
    found = sorted(
        p for p in principals if ctx.store.get(GROUP, f"{tenant}/{p}") or ctx.store.get(USER, f"{tenant}/{p}")
    )
    return any(may_use(ctx, found, group_id) for group_id in _published_desktops(ctx, pool))


def assigned_host(ctx: Context, pool: Doc, upn: str) -> Doc | None:
    """The personal session host assigned to the user, if any."""
    hosts = sorted(
        common.children(ctx, pool["resource"]["id"], "sessionHosts"), key=lambda h: common.key(h["resource"]["id"])
    )
    wanted = upn.lower()
    return next(
        (h for h in hosts if str(h["resource"]["properties"].get("assignedUser") or "").lower() == wanted), None
    )


def _desktop(ctx: Context, group: Doc, upn: str) -> dict[str, Any] | None:
    props = group["resource"]["properties"]
    pool = common.get(ctx, props["hostPoolArmPath"])
    if pool is None:
        return None
    pool_props = pool["resource"]["properties"]
    host = assigned_host(ctx, pool, upn) if pool_props["hostPoolType"] == "Personal" else None
    return {
        "applicationGroupId": group["resource"]["id"],
        "hostPoolId": pool["resource"]["id"],
        "friendlyName": props.get("friendlyName") or pool_props.get("friendlyName") or "SessionDesktop",
        "assignedSessionHost": str(host["resource"]["name"]).split("/", 1)[-1] if host is not None else None,
    }


def feed(ctx: Context, tenant: str, upn: str) -> dict[str, Any]:
    """Per workspace of the tenant, the desktops the user may use; a workspace with none is not listed."""
    principals = principals_of(ctx, tenant, upn)
    workspaces = common.of_type(ctx, WORKSPACE_TYPE, where=lambda d: d["meta"].get("tid") == tenant)
    listed = []
    for workspace in sorted(workspaces, key=lambda w: common.key(w["resource"]["id"])):
        desktops = []
        for reference in workspace["resource"]["properties"].get("applicationGroupReferences") or []:
            group = common.get(ctx, reference)
            if group is None or group["resource"]["properties"]["applicationGroupType"] != "Desktop":
                continue
            if may_use(ctx, principals, group["resource"]["id"]):
                desktop = _desktop(ctx, group, upn)
                if desktop is not None:
                    desktops.append(desktop)
        if desktops:
            listed.append(
                {"id": workspace["resource"]["id"], "name": workspace["resource"]["name"], "desktops": desktops}
            )
    return {"workspaces": listed}
