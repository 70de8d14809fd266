"""The emulator's controls of simulated Azure Virtual Desktop users (not Azure's), under `/emulator/avd/<a host
pool's ARM id>`: POST `signIns` {userPrincipalName, sessionHostName?} (placed as user_sessions.py says AVD places
them; 409 NoFreeSession, counted, when no host takes them), POST `connections` {userPrincipalName, createTime?} (the
user opens their desktop in a Remote Desktop client: as a sign-in, but a personal user's VM that is off is started
first by Start VM on Connect where AVD may, and the answer is 202 {state: Starting} while it boots, the session
beginning once it has; else 409 with AVD's connection error, counted: start_on_connect.py; a
`createTime` dates a new session, for a test that simulates days of use), POST `signOuts` and `disconnects`
{userPrincipalName},
PUT `load` {signedInUsers, domain?, signOut?} (signs users `user0001@<domain>`... in or out until that many are
signed in, now: no clock runs it, so a test or a replay drives a day's curve step by step; `signOut` says who leaves
when there are fewer: `newest`, the default, or `spread`, in proportion to each host's sessions as users leaving at
random do on average, the rule of the schedule replay), GET `sessionCounters` (sign-ins, the ones
refused for want of a free session, sign-outs, log-offs, the sessions lost to a VM that stopped, messages) and
`messages` (what sendMessage delivered), PUT `sessionHosts/<name>/agent` {status} (the host's agent reports a fault
while its VM runs, or Available again: desktop_virtualization.AGENT_FAULTS; a host that is not routed to takes no
new session), POST `sessionHosts/<name>/booted` (the host's VM, started for a connecting user, has booted: the
boot's wait ends now). `POST /emulator/sessions {hostName, userId, action: signIn|signOut}` is the
API contract's form, for one session host named in any pool and a user by object id or UPN.
`GET /emulator/avd/feed?tenantId=&userPrincipalName=` answers the user's feed (avd_feed.py): `{workspaces: [{id,
name, desktops: [{applicationGroupId, hostPoolId, friendlyName, assignedSessionHost}]}]}`, 404 for a user the
tenant's directory lacks.

Every sign-in and connection of a named user is checked as AVD checks it: the user, a user of the pool's directory,
holds Desktop Virtualization User on the pool's published desktop, else 403 ConnectionFailedUserNotAuthorized
(user_sessions.py). The load control's users `userNNNN@<domain>` are not directory objects (10,000 of them would
be): they stand for members of a group, or users like a user, that holds the role on the pool's published desktop,
so a load is refused (each sign-in counted in refusedSignIns and refusedNotAuthorized) unless such a group or user
exists, as a Spot Group's users are granted it. The rule is no kinder: a pool nobody may use gets no load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure_emulator.arm import avd_feed, common, desktop_virtualization, operations, start_on_connect
from azure_emulator.arm.user_sessions import (
    MESSAGES,
    REFUSALS,
    count,
    counters,
    end_session,
    pool_id_of,
    pool_sessions,
    refuse,
    session_of,
    set_state,
    short_name,
    sign_in,
)
from azure_emulator.graph.users import find_user
from azure_emulator.server import ApiError, Context, Request, Response

POOL_CONTROL = r"/emulator/avd" + desktop_virtualization.HOST_POOL.removeprefix("/arm")
MAX_LOAD = 10_000
LOAD_DOMAIN = "loadtest.contoso.com"
SIGN_OUTS = ("newest", "spread")

Doc = dict[str, Any]


def _text(request: Request, name: str, required: bool = True) -> str | None:
    value = request.json().get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "InvalidRequestContent", f"'{name}' must be a text that is not empty.")
    return value.strip()


def _time(request: Request, name: str) -> str | None:
    value = _text(request, name, required=False)
    if value is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ApiError(400, "InvalidRequestContent", f"'{name}' must be an ISO 8601 time.") from None
    return value


def _leaving(sessions: list[Doc], count: int, how: str) -> list[Doc]:
    """The `count` sessions that end. `newest`: the latest sign-ins. `spread`: each host's share in proportion to
    its sessions, the rest to the largest remainders (then the fuller host, then the first by name), the newest of
    each host first; what users leaving at random do on average, and what the schedule replay assumes."""
    newest_first = sorted(
        sessions, key=lambda s: (s["resource"]["properties"]["createTime"], s["resource"]["id"]), reverse=True
    )
    if how == "newest":
        return newest_first[:count]
    by_host: dict[str, list[Doc]] = {}
    for session in newest_first:
        by_host.setdefault(str(session["resource"]["name"]).split("/")[1], []).append(session)
    total = len(sessions)
    shares = {host: count * len(on) // total for host, on in by_host.items()}
    rest = count - sum(shares.values())
    ranked = sorted(by_host, key=lambda host: (-(count * len(by_host[host]) % total), -len(by_host[host]), host))
    for host in ranked[:rest]:
        shares[host] += 1
    return [session for host, on in by_host.items() for session in on[: shares[host]]]


def _load(ctx: Context, pool: Doc, wanted: int, domain: str, sign_out: str = "newest") -> dict[str, Any]:
    """Sign users in or out until `wanted` are signed in: the ones `_leaving` picks go; new sign-ins are the
    lowest-numbered `userNNNN@domain` not signed in, members of a group entitled to the pool's desktop, each tried
    once (a refusal is counted)."""
    pool_id = pool["resource"]["id"]
    current = pool_sessions(ctx, pool_id)
    signed_in = signed_out = refused = 0
    if len(current) > wanted:
        for session in _leaving(current, len(current) - wanted, sign_out):
            end_session(ctx, session, "signOuts")
            signed_out += 1
    present = {str(s["resource"]["properties"]["userPrincipalName"]).lower() for s in current}
    entitled = avd_feed.someone_may_connect(ctx, pool)
    number = 0
    for _ in range(wanted - len(current)):
        number += 1
        while f"user{number:04d}@{domain}".lower() in present:
            number += 1
        upn = f"user{number:04d}@{domain}"
        try:
            if not entitled:
                refuse(
                    ctx,
                    pool_id,
                    "refusedNotAuthorized",
                    ApiError(
                        403,
                        avd_feed.NOT_AUTHORIZED,
                        f"{upn}: no group holds Desktop Virtualization User on the pool's published desktop.",
                    ),
                )
            sign_in(ctx, pool, upn, entitled=True)
            signed_in += 1
        except ApiError as exc:
            if exc.code not in REFUSALS:
                raise
            refused += 1
    return {
        "signedInUsers": len(pool_sessions(ctx, pool_id)),
        "signedIn": signed_in,
        "signedOut": signed_out,
        "refused": refused,
    }


def register(ctx: Context) -> None:
    r = ctx.router

    def pool_of(request: Request) -> Doc:
        operations.settle_due(ctx)  # a VM's stop that is due has ended its sessions before anyone signs in
        return common.require(ctx, pool_id_of(request.params), "host pool")

    def user_session(pool: Doc, request: Request) -> Doc:
        upn = str(_text(request, "userPrincipalName"))
        session = session_of(ctx, pool["resource"]["id"], upn)
        if session is None:
            raise ApiError(404, "NotFound", f"{upn} has no session in {pool['resource']['name']}.")
        return session

    @r.route("GET", r"/emulator/avd/feed", operation="emulatorControl", api="emulator", auth=False)
    def get_feed(request: Request) -> Response:
        tenant, upn = (request.q("tenantId") or "").strip(), (request.q("userPrincipalName") or "").strip()
        if not tenant or not upn:
            raise ApiError(400, "InvalidRequestContent", "'tenantId' and 'userPrincipalName' are both required.")
        with ctx.store.transaction():
            if find_user(ctx.store, tenant, upn) is None:
                raise ApiError(404, "NotFound", f"The directory of tenant {tenant} has no user {upn}.")
            return Response(200, avd_feed.feed(ctx, tenant, upn))

    @r.route("POST", POOL_CONTROL + r"/signIns", operation="emulatorControl", api="emulator", auth=False)
    def post_sign_in(request: Request) -> Response:
        with ctx.store.transaction():
            pool = pool_of(request)
            session = sign_in(
                ctx, pool, str(_text(request, "userPrincipalName")), _text(request, "sessionHostName", required=False)
            )
            return Response(201, common.shown(session))

    @r.route("POST", POOL_CONTROL + r"/connections", operation="emulatorControl", api="emulator", auth=False)
    def post_connection(request: Request) -> Response:
        with ctx.store.transaction():
            pool = pool_of(request)
            upn, made_at = str(_text(request, "userPrincipalName")), _time(request, "createTime")
            new = session_of(ctx, pool["resource"]["id"], upn) is None
            session = start_on_connect.connect(ctx, pool, upn)
            if session is None:  # AVD started the user's VM: their client waits while it boots
                return Response(202, {"userPrincipalName": upn, "state": "Starting"})
            if new and made_at is not None:  # a test's simulated day: the session dated then, as AVD would show it
                session["resource"]["properties"]["createTime"] = made_at
                session = common.put(ctx, session)
            return Response(201, common.shown(session))

    @r.route("POST", POOL_CONTROL + r"/signOuts", operation="emulatorControl", api="emulator", auth=False)
    def post_sign_out(request: Request) -> Response:
        with ctx.store.transaction():
            session = user_session(pool_of(request), request)
            end_session(ctx, session, "signOuts")
            return Response(200, {"signedOut": session["resource"]["id"]})

    @r.route("POST", POOL_CONTROL + r"/disconnects", operation="emulatorControl", api="emulator", auth=False)
    def post_disconnect(request: Request) -> Response:
        with ctx.store.transaction():
            pool = pool_of(request)
            session = set_state(ctx, user_session(pool, request), "Disconnected")
            count(ctx, pool["resource"]["id"], "disconnects")
            return Response(200, common.shown(session))

    @r.route("PUT", POOL_CONTROL + r"/load", operation="emulatorControl", api="emulator", auth=False)
    def put_load(request: Request) -> Response:
        wanted = request.json().get("signedInUsers")
        if not isinstance(wanted, int) or isinstance(wanted, bool) or not 0 <= wanted <= MAX_LOAD:
            raise ApiError(400, "InvalidRequestContent", f"'signedInUsers' must be a whole number 0-{MAX_LOAD}.")
        domain = _text(request, "domain", required=False) or LOAD_DOMAIN
        sign_out = request.json().get("signOut", "newest")
        if sign_out not in SIGN_OUTS:
            raise ApiError(400, "InvalidRequestContent", f"'signOut' must be one of {', '.join(SIGN_OUTS)}.")
        with ctx.store.transaction():
            return Response(200, _load(ctx, pool_of(request), wanted, domain, sign_out))

    @r.route("GET", POOL_CONTROL + r"/sessionCounters", operation="emulatorControl", api="emulator", auth=False)
    def get_counters(request: Request) -> Response:
        with ctx.store.transaction():
            pool_id = pool_of(request)["resource"]["id"]
            return Response(200, {**counters(ctx, pool_id), "sessions": len(pool_sessions(ctx, pool_id))})

    @r.route(
        "PUT",
        POOL_CONTROL + r"/sessionHosts/(?P<host>[^/]+)/agent",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def put_agent(request: Request) -> Response:
        """The host's agent breaks (or recovers) while its VM runs: {status: one of AGENT_FAULTS, or Available}."""
        status = request.json().get("status")
        if status not in (*desktop_virtualization.AGENT_FAULTS, "Available"):
            raise ApiError(
                400,
                "InvalidRequestContent",
                f"'status' must be Available or one of {', '.join(desktop_virtualization.AGENT_FAULTS)}.",
            )
        with ctx.store.transaction():
            pool_id = pool_of(request)["resource"]["id"]
            docs = [d for d in common.children(ctx, pool_id, "sessionHosts") if _named(d, request.params["host"])]
            if not docs:
                raise ApiError(404, "NotFound", f"No session host {request.params['host']} in the pool.")
            doc = docs[0]
            doc["meta"]["agentStatus"] = None if status == "Available" else status
            common.put(ctx, doc)
            return Response(200, desktop_virtualization.host_view(ctx, doc))

    @r.route(
        "POST",
        POOL_CONTROL + r"/sessionHosts/(?P<host>[^/]+)/booted",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def post_booted(request: Request) -> Response:
        """The host's VM, started for a connecting user, has booted now: the user who waited signs in."""
        with ctx.store.transaction():
            pool_id = pool_of(request)["resource"]["id"]
            docs = [d for d in common.children(ctx, pool_id, "sessionHosts") if _named(d, request.params["host"])]
            if not docs:
                raise ApiError(404, "NotFound", f"No session host {request.params['host']} in the pool.")
            if not start_on_connect.boot_now(ctx, docs[0]["resource"]["properties"]["resourceId"]):
                raise ApiError(409, "Conflict", f"The VM of {request.params['host']} is not booting.")
            return Response(200, desktop_virtualization.host_view(ctx, docs[0]))

    @r.route("GET", POOL_CONTROL + r"/messages", operation="emulatorControl", api="emulator", auth=False)
    def get_messages(request: Request) -> Response:
        pool_id = pool_id_of(request.params)
        return Response(200, {"value": ctx.store.scan(MESSAGES, common.key(pool_id) + "/")})

    @r.route("POST", r"/emulator/sessions", operation="emulatorControl", api="emulator", auth=False)
    def post_session(request: Request) -> Response:
        """The contract's form: a user signed in to, or out of, one session host (by its name, in any pool)."""
        host_name, user_id = str(_text(request, "hostName")), str(_text(request, "userId"))
        action = request.json().get("action")
        if action not in ("signIn", "signOut"):
            raise ApiError(400, "InvalidRequestContent", "'action' must be signIn or signOut.")
        with ctx.store.transaction():
            operations.settle_due(ctx)
            hosts = common.of_type(ctx, desktop_virtualization.SESSION_HOST_TYPE, where=lambda d: _named(d, host_name))
            if not hosts:
                raise ApiError(404, "NotFound", f"No session host is named {host_name}.")
            if len(hosts) > 1:
                raise ApiError(
                    409,
                    "Conflict",
                    f"{len(hosts)} session hosts are named {host_name}: sign the user in "
                    "through the host pool's control.",
                )
            pool = common.require(ctx, common.parent_of(hosts[0]["resource"]["id"]), "host pool")
            user = find_user(ctx.store, pool["meta"]["tid"], user_id) if pool["meta"].get("tid") else None
            upn = str(user["userPrincipalName"]) if user else user_id
            if "@" not in upn:
                raise ApiError(400, "InvalidRequestContent", f"'{user_id}' is neither a user of the tenant nor a UPN.")
            if action == "signIn":
                return Response(201, common.shown(sign_in(ctx, pool, upn, short_name(hosts[0]))))
            session = session_of(ctx, pool["resource"]["id"], upn)
            if session is None:
                raise ApiError(404, "NotFound", f"{upn} has no session in {pool['resource']['name']}.")
            end_session(ctx, session, "signOuts")
            return Response(200, {"signedOut": session["resource"]["id"]})


def _named(doc: Doc, host_name: str) -> bool:
    """A session host answers to its short name and to its computer name without the domain."""
    short = short_name(doc).lower()
    return host_name.lower() in (short, short.split(".", 1)[0])
