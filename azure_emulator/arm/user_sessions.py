"""Azure Virtual Desktop user sessions: the userSessions of a host pool's session hosts (list, get, log off, send a
message, disconnect), where a user signing in lands, and what ends a session.

Azure's rules, each with its source:
- The operations, their paths, statuses and RBAC actions: the 2024-04-03 spec the pinned SDK was generated from
  (Azure/azure-rest-api-specs specification/desktopvirtualization/resource-manager/Microsoft.DesktopVirtualization/
  stable/2024-04-03/desktopvirtualization.json, UserSessions_*), and "Azure permissions for Compute"
  (https://learn.microsoft.com/azure/role-based-access-control/permissions/compute: hostpools/usersessions/read for
  the pool's list, hostpools/sessionhosts/usersessions/read, /delete, /disconnect/action, /sendMessage/action).
  - DELETE logs the session off: 200, or 204 when the session does not exist (the spec's "User session does not
    exist"); a session host that is not there is 404. `force` is taken; what it changes in Azure is not documented
    beyond "Force flag to login off userSession", so a session is logged off either way.
  - disconnect and sendMessage answer 200, and 404 for a session that is gone.
  - The pool's list takes `$filter` on userPrincipalName and sessionState (the spec's "Valid properties for filtering
    are userprincipalname and sessionstate"): `<property> eq '<value>'` terms joined by `and`. Which other OData forms
    AVD takes is not confirmed: they are refused (400 InvalidParameter).
  - sendMessage: the spec marks messageTitle and messageBody optional, but the AVD cmdlet that sends one makes both
    mandatory (https://learn.microsoft.com/powershell/module/windowsvirtualdesktop/send-rdsusersessionmessage); not
    confirmed what ARM answers without them, the emulator refuses them missing, empty or not text (400).
- A session is named `<host pool>/<session host>/<id>` (Get-AzWvdUserSession's example,
  https://learn.microsoft.com/powershell/module/az.desktopvirtualization/get-azwvdusersession), with the properties
  of the spec's UserSession_Get example. activeDirectoryUserName is `<DOMAIN>\\<user>` on a domain-joined host and
  `AzureAD\\<user>` on an Entra-joined one: not confirmed beyond the example's `WVDARM\\user1`.
- Placement (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-load-balancing): a user with a
  session in the pool, active or disconnected, goes back to it, even on a drained host; otherwise only hosts that
  allow new sessions, whose VM runs and that are below the pool's maxSessionLimit take the user. Breadth-first picks
  at random among the half of those hosts with the fewest sessions: the emulator takes the one with the fewest
  (ties by name), one of Azure's possible picks, so a test can tell where a user lands. Depth-first fills the host
  with the most sessions below the limit first (ties by name). A personal pool has no load balancing: the user gets
  the host assigned to them, or with Automatic assignment the first unassigned one, which is then theirs
  (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type).
- A session lives on its host's running VM: a VM that is deallocated, powered off, restarted or deleted ends every
  session on it, and the pool counts them as lost; a hibernated one keeps them, disconnected, until it runs again
  (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume). A sign-in to a host whose VM is off is
  refused, as a pooled user is when no host has room (both counted); a connection through Start VM on Connect starts
  the personal user's VM first where AVD may (start_on_connect.py).
- Who may connect, and to what (avd_feed.py): a user who holds Desktop Virtualization User on the pool's Desktop
  application group (published in a workspace), themselves or through a group, else 403
  ConnectionFailedUserNotAuthorized. Of the connection error codes AVD publishes ("Identify and diagnose issues",
  https://learn.microsoft.com/azure/virtual-desktop/diagnostics-role-service), a user whose session is on a host
  that is not running gets ConnectionFailedUserHasValidSessionButRdshIsUnhealthy, and a personal user whose own host
  is not `Available` (its VM off or gone: "Session host statuses and health checks",
  https://learn.microsoft.com/azure/virtual-desktop/troubleshoot-statuses-checks, only an Available host takes
  connections) ConnectionFailedNoHealthyRdshAvailable. A personal user of a Direct-assignment pool with no host
  assigned has no desktop to start ("users must be assigned to a personal desktop to start their session",
  configure-host-pool-personal-desktop-assignment-type above); which code AVD gives that is not published: the
  emulator answers ConnectionFailedNoHealthyRdshAvailable, saying why. Each refusal is counted in refusedSignIns
  and in its own counter (refusedNotAuthorized, refusedUnassigned, refusedUnavailableHosts).
- Not modelled: session time limits; RemoteApp sessions (every session is Desktop).

The emulator's controls that sign simulated users in and out are in session_controls.py.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, NoReturn

from azure_emulator.arm import avd_feed, common, desktop_virtualization, routing
from azure_emulator.graph.users import find_user
from azure_emulator.server import ApiError, Context, Request, Response

NS = desktop_virtualization.NS
SESSION_TYPE = f"{desktop_virtualization.SESSION_HOST_TYPE}/userSessions"
SESSIONS = desktop_virtualization.SESSION_HOST + r"/userSessions"
SESSION = SESSIONS + r"/(?P<session>[^/]+)"
READ = "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/read"
COUNTERS, MESSAGES = "avd.sessionCounters", "avd.message"
COUNTER_NAMES = (
    "signIns",
    "refusedSignIns",
    "signOuts",
    "disconnects",
    "loggedOff",
    "lostSessions",
    "messagesSent",
    "startsOnConnect",
    "refusedStarts",
    "refusedNotAuthorized",
    "refusedUnassigned",
    "refusedUnavailableHosts",
)
UNHEALTHY_WITH_SESSION = "ConnectionFailedUserHasValidSessionButRdshIsUnhealthy"
NO_HEALTHY_HOST = "ConnectionFailedNoHealthyRdshAvailable"
REFUSALS = ("NoFreeSession", avd_feed.NOT_AUTHORIZED, NO_HEALTHY_HOST, UNHEALTHY_WITH_SESSION)  # a sign-in refused
FILTER_TERM = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
FILTERED = {"userprincipalname": "userPrincipalName", "sessionstate": "sessionState"}

Doc = dict[str, Any]


def pool_id_of(params: dict[str, str]) -> str:
    return common.provider_id(params["sub"], params["rg"], NS, "hostPools", params["pool"])


def _host_id(params: dict[str, str]) -> str:
    return f"{pool_id_of(params)}/sessionHosts/{params['host']}"


def short_name(host: Doc) -> str:
    """`<host pool>/<host>` as AVD names a session host -> `<host>`."""
    return str(host["resource"]["name"]).split("/", 1)[-1]


def _pool_of(session_id: str) -> str:
    return session_id.rsplit("/", 4)[0]


def sessions_on(ctx: Context, host_id: str) -> list[Doc]:
    return common.children(ctx, host_id, "userSessions")


def pool_sessions(ctx: Context, pool_id: str) -> list[Doc]:
    hosts = common.children(ctx, pool_id, "sessionHosts")
    return [session for host in hosts for session in sessions_on(ctx, host["resource"]["id"])]


def count(ctx: Context, pool_id: str, name: str, by: int = 1) -> int:
    found = ctx.store.get(COUNTERS, common.key(pool_id)) or dict.fromkeys(COUNTER_NAMES, 0)
    found[name] = found.get(name, 0) + by
    ctx.store.put(COUNTERS, common.key(pool_id), found)
    return int(found[name])


def counters(ctx: Context, pool_id: str) -> dict[str, int]:
    return {**dict.fromkeys(COUNTER_NAMES, 0), **(ctx.store.get(COUNTERS, common.key(pool_id)) or {})}


def end_session(ctx: Context, session: Doc, counter: str) -> None:
    common.delete(ctx, session["resource"]["id"])
    count(ctx, _pool_of(session["resource"]["id"]), counter)


def suspend_sessions_of_vm(ctx: Context, vm_id: str) -> None:
    """The VM hibernated: its memory, and so its users' sessions, are kept for it to resume; each waits disconnected."""
    for host in desktop_virtualization.hosts_of_vm(ctx, vm_id):
        for session in sessions_on(ctx, host["resource"]["id"]):
            set_state(ctx, session, "Disconnected")


def end_sessions_of_vm(ctx: Context, vm_id: str) -> None:
    """The VM stopped (deallocated, powered off, restarted) or is gone: every session on its session hosts ends."""
    for host in desktop_virtualization.hosts_of_vm(ctx, vm_id):
        for session in sessions_on(ctx, host["resource"]["id"]):
            end_session(ctx, session, "lostSessions")


# --- placement ------------------------------------------------------------------------------------------------


def session_of(ctx: Context, pool_id: str, upn: str) -> Doc | None:
    wanted = upn.lower()
    return next(
        (
            s
            for s in pool_sessions(ctx, pool_id)
            if str(s["resource"]["properties"]["userPrincipalName"]).lower() == wanted
        ),
        None,
    )


def _runs(ctx: Context, host: Doc) -> bool:
    vm = common.get(ctx, host["resource"]["properties"]["resourceId"])
    return vm is not None and vm["meta"].get("power") == "running"


def _takes_new(ctx: Context, host: Doc) -> bool:
    """Running, not drained, and healthy enough for AVD to route a connection to it (desktop_virtualization.ROUTED)."""
    routed = desktop_virtualization.host_status(ctx, host) in desktop_virtualization.ROUTED
    return routed and host["resource"]["properties"].get("allowNewSession") is not False


def _place(ctx: Context, pool: Doc, hosts: list[Doc], upn: str) -> Doc | None:
    props = pool["resource"]["properties"]
    hosts = sorted(hosts, key=short_name)
    if props["hostPoolType"] == "Personal":
        own = [h for h in hosts if str(h["resource"]["properties"].get("assignedUser") or "").lower() == upn.lower()]
        if not own and props.get("personalDesktopAssignmentType") == "Automatic":
            own = [h for h in hosts if not h["resource"]["properties"].get("assignedUser")][:1]
        chosen = next((h for h in own if _takes_new(ctx, h)), None)
        if chosen is not None and not chosen["resource"]["properties"].get("assignedUser"):
            chosen["resource"]["properties"]["assignedUser"] = upn
            common.put(ctx, chosen)
        return chosen
    limit = int(props.get("maxSessionLimit") or 999999)
    room = [(len(sessions_on(ctx, h["resource"]["id"])), short_name(h), h) for h in hosts if _takes_new(ctx, h)]
    room = [entry for entry in room if entry[0] < limit]
    if not room:
        return None
    if props.get("loadBalancerType") == "DepthFirst":
        return min(room, key=lambda entry: (-entry[0], entry[1]))[2]
    return min(room, key=lambda entry: (entry[0], entry[1]))[2]


def _ad_user_name(host: Doc, upn: str) -> str:
    local = upn.split("@", 1)[0]
    short = short_name(host)
    domain = short.split(".", 1)[1] if "." in short else None
    return f"{domain.split('.', 1)[0].upper()}\\{local}" if domain else f"AzureAD\\{local}"


def _new_session(ctx: Context, pool: Doc, host: Doc, upn: str) -> Doc:
    number = int(host["meta"].get("lastSession") or 0) + 1
    host["meta"]["lastSession"] = number
    common.put(ctx, host)
    user = find_user(ctx.store, pool["meta"]["tid"], upn) if pool["meta"].get("tid") else None
    now = common.now_iso(ctx.clock)
    doc: Doc = {
        "resource": {
            "id": f"{host['resource']['id']}/userSessions/{number}",
            "name": f"{host['resource']['name']}/{number}",
            "type": SESSION_TYPE,
            "systemData": {"createdAt": now, "lastModifiedAt": now},
            "properties": {
                "objectId": user["id"] if user else str(uuid.uuid5(uuid.NAMESPACE_URL, f"upn:{upn.lower()}")),
                "userPrincipalName": upn,
                "applicationType": "Desktop",
                "sessionState": "Active",
                "activeDirectoryUserName": _ad_user_name(host, upn),
                "createTime": now,
            },
        },
        "meta": {"tid": pool["meta"].get("tid")},
    }
    return common.put(ctx, doc)


def set_state(ctx: Context, session: Doc, state: str) -> Doc:
    session["resource"]["properties"]["sessionState"] = state
    session["resource"]["systemData"]["lastModifiedAt"] = common.now_iso(ctx.clock)
    return common.put(ctx, session)


def refuse(ctx: Context, pool_id: str, counter: str | None, error: ApiError) -> NoReturn:
    """A refused sign-in, counted in refusedSignIns and in its own counter."""
    count(ctx, pool_id, "refusedSignIns")
    if counter is not None:
        count(ctx, pool_id, counter)
    raise error


def authorize(ctx: Context, pool: Doc, upn: str) -> None:
    """403 ConnectionFailedUserNotAuthorized (counted) unless the user may use the pool's published desktop."""
    if not avd_feed.may_connect(ctx, pool, upn):
        refuse(
            ctx,
            pool["resource"]["id"],
            "refusedNotAuthorized",
            ApiError(
                403,
                avd_feed.NOT_AUTHORIZED,
                f"{upn} does not hold Desktop Virtualization User on a Desktop application "
                f"group of {pool['resource']['name']} that a workspace publishes.",
            ),
        )


def _check_personal(ctx: Context, pool: Doc, upn: str) -> None:
    """A personal user needs a host assigned (or Automatic assignment to get one), and their host Available."""
    pool_id, props = pool["resource"]["id"], pool["resource"]["properties"]
    own = avd_feed.assigned_host(ctx, pool, upn)
    if own is None and props.get("personalDesktopAssignmentType") == "Direct":
        refuse(
            ctx,
            pool_id,
            "refusedUnassigned",
            ApiError(
                409,
                NO_HEALTHY_HOST,
                f"{upn} is assigned no session host "
                f"of {pool['resource']['name']}, a personal host pool with Direct assignment.",
            ),
        )
    status = desktop_virtualization.host_status(ctx, own) if own is not None else "Available"
    if own is not None and status != "Available":
        refuse(
            ctx,
            pool_id,
            "refusedUnavailableHosts",
            ApiError(409, NO_HEALTHY_HOST, f"The session host {short_name(own)} of {upn} is {status}, not Available."),
        )


def sign_in(ctx: Context, pool: Doc, upn: str, host_name: str | None = None, entitled: bool = False) -> Doc:
    """The user's session: the one they have in the pool (reconnected), else a new one where AVD would place it;
    refused (counted) when the user may not connect, their session's host is not running, a personal user has no
    Available host of their own, or no host takes them (409 NoFreeSession). `entitled`: the caller has checked the
    user's right already."""
    pool_id = pool["resource"]["id"]
    if not entitled:
        authorize(ctx, pool, upn)
    existing = session_of(ctx, pool_id, upn)
    if existing is not None:
        host = common.get(ctx, common.parent_of(existing["resource"]["id"]))
        if host is not None and _runs(ctx, host):
            return set_state(ctx, existing, "Active")
        refuse(
            ctx,
            pool_id,
            None,
            ApiError(
                409,
                UNHEALTHY_WITH_SESSION,
                f"The session host of {upn}'s session in {pool['resource']['name']} is not running.",
            ),
        )
    if pool["resource"]["properties"]["hostPoolType"] == "Personal":
        _check_personal(ctx, pool, upn)
    hosts = common.children(ctx, pool_id, "sessionHosts")
    if host_name is not None:
        hosts = [h for h in hosts if short_name(h).lower() == host_name.lower()]
    chosen = _place(ctx, pool, hosts, upn)
    if chosen is None:
        refuse(
            ctx,
            pool_id,
            None,
            ApiError(409, "NoFreeSession", f"No session host of {pool['resource']['name']} can take {upn} now."),
        )
    count(ctx, pool_id, "signIns")
    return _new_session(ctx, pool, chosen, upn)


def _filtered(sessions: list[Doc], expression: str | None) -> list[Doc]:
    if not expression:
        return sessions
    for term in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        found = FILTER_TERM.match(term)
        if found is None or found.group(1).lower() not in FILTERED:
            raise ApiError(
                400,
                "InvalidParameter",
                "$filter takes userPrincipalName and sessionState, as <property> eq '<value>' joined by and.",
            )
        field, value = FILTERED[found.group(1).lower()], found.group(2).lower()
        sessions = [s for s in sessions if str(s["resource"]["properties"][field]).lower() == value]
    return sessions


def _message(request: Request) -> tuple[str, str]:
    body = common.body_object(request)
    found = []
    for name in ("messageTitle", "messageBody"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, "InvalidParameter", f"{name} must be a text that is not empty.", target=name)
        found.append(value)
    return found[0], found[1]


# --- Azure's routes -------------------------------------------------------------------------------------------


def _register_arm(ctx: Context) -> None:
    def existing(request: Request) -> Doc:
        """The session, else 404 (the host's, or the pool's or group's, when those are gone)."""
        common.require(ctx, _host_id(request.params), "session host")
        return common.require(
            ctx, f"{_host_id(request.params)}/userSessions/{request.params['session']}", "user session"
        )

    @routing.route(
        ctx,
        "GET",
        desktop_virtualization.HOST_POOL + r"/userSessions",
        operation="listUserSessionsByHostPool",
        action="Microsoft.DesktopVirtualization/hostpools/usersessions/read",
    )
    def list_by_pool(request: Request) -> Response:
        pool_id = pool_id_of(request.params)
        common.require(ctx, pool_id, "host pool")
        return common.listing(ctx, request, _filtered(pool_sessions(ctx, pool_id), request.q("$filter")))

    @routing.route(ctx, "GET", SESSIONS, operation="listUserSessions", action=READ)
    def list_on_host(request: Request) -> Response:
        host_id = _host_id(request.params)
        common.require(ctx, host_id, "session host")
        return common.listing(ctx, request, sessions_on(ctx, host_id))

    @routing.route(ctx, "GET", SESSION, operation="getUserSession", action=READ)
    def get_session(request: Request) -> Response:
        return Response(200, common.shown(existing(request)))

    @routing.route(
        ctx,
        "DELETE",
        SESSION,
        operation="deleteUserSession",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/delete",
    )
    def log_off(request: Request) -> Response:
        if (request.q("force") or "false").lower() not in ("true", "false"):
            raise ApiError(400, "InvalidParameter", "force must be true or false.", target="force")
        host_id = _host_id(request.params)
        common.require(ctx, host_id, "session host")
        session = common.get(ctx, f"{host_id}/userSessions/{request.params['session']}")
        if session is None:
            return Response(204)
        end_session(ctx, session, "loggedOff")
        return Response(200)

    @routing.route(
        ctx,
        "POST",
        SESSION + r"/disconnect",
        operation="disconnectUserSession",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/disconnect/action",
    )
    def disconnect(request: Request) -> Response:
        session = existing(request)
        set_state(ctx, session, "Disconnected")
        count(ctx, _pool_of(session["resource"]["id"]), "disconnects")
        return Response(200)

    @routing.route(
        ctx,
        "POST",
        SESSION + r"/sendMessage",
        operation="sendUserSessionMessage",
        action="Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/sendMessage/action",
    )
    def send_message(request: Request) -> Response:
        session = existing(request)
        title, text = _message(request)
        resource = session["resource"]
        pool_id = _pool_of(resource["id"])
        sequence = count(ctx, pool_id, "messagesSent")
        ctx.store.put(
            MESSAGES,
            f"{common.key(pool_id)}/{sequence:09d}",
            {
                "sessionHostName": resource["name"].split("/")[1],
                "userSessionId": resource["name"].rsplit("/", 1)[1],
                "userPrincipalName": resource["properties"]["userPrincipalName"],
                "sessionState": resource["properties"]["sessionState"],
                "messageTitle": title,
                "messageBody": text,
                "sentDateTime": common.now_iso(ctx.clock),
            },
        )
        return Response(200)


def register(ctx: Context) -> None:
    _register_arm(ctx)
