"""Graph B2B invitations: an outsider invited by e-mail becomes a guest user of the inviting tenant.

`POST /invitations` (https://learn.microsoft.com/graph/api/invitation-post; application permission User.Invite.All,
or the higher Directory.ReadWrite.All or User.ReadWrite.All) takes `invitedUserEmailAddress` and `inviteRedirectUrl`
(both required), optionally `invitedUserDisplayName` and `sendInvitationMessage`. It answers 201 with the invitation:
`inviteRedeemUrl`, `status` PendingAcceptance, and `invitedUser` holding the new user's id. That user is a guest
(`userType` Guest, `externalUserState` PendingAcceptance, the user resource's values:
https://learn.microsoft.com/graph/api/resources/user) whose userPrincipalName is the e-mail with `@` made `_`, then
`#EXT#@` and the inviting tenant's default domain, its `mail` the e-mail
(https://learn.microsoft.com/entra/external-id/user-properties). Inviting the same address again answers the same
user, as Graph re-sends an invitation to a guest it has. A missing or malformed e-mail address is 400 BadRequest (its
wording here is not Microsoft's, which the page does not give).

Redemption: the guest follows `inviteRedeemUrl` (`GET /emulator/redeem?tenant&user&ticket`, a page saying so) or a test
calls `POST /emulator/tenants/{tid}/users/{id}/redeemInvitation`; either way its `externalUserState` becomes Accepted.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from azure_emulator.graph.common import GraphRoutes, bad_request, not_found, now_iso, odata_context
from azure_emulator.graph.directory_rows import UPN, USER
from azure_emulator.graph.tenant_information import organization
from azure_emulator.graph.users import Notify, find_user
from azure_emulator.server import Context, Request, Response

# the page lists the characters an invited address may not hold in its user name: ~ ! # $ % ^ & * ( ) + = [ ] { } \ /
# | ; : " < > ? , and a period or hyphen at its start or end
EMAIL = re.compile(r"^[A-Za-z0-9_']([A-Za-z0-9._'-]*[A-Za-z0-9_'])?@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAIL = "graph.guestMail"  # `{tid}/{mail lower}` -> `{id}`: a guest invited once is invited again, not made twice


def guest_upn(email: str, tenant_domain: str) -> str:
    return f"{email.replace('@', '_')}#EXT#@{tenant_domain}"


def register(ctx: Context, routes: GraphRoutes, notify: Notify) -> None:
    store = ctx.store

    @routes.route("POST", r"/invitations", "createInvitation")
    def create_invitation(request: Request) -> Response:
        tid, body = request.tenant, request.json()
        email = body.get("invitedUserEmailAddress") if isinstance(body, dict) else None
        redirect = body.get("inviteRedirectUrl") if isinstance(body, dict) else None
        if not isinstance(email, str) or not EMAIL.fullmatch(email):
            raise bad_request("The invited user's e-mail address (invitedUserEmailAddress) is not a valid address.")
        if not isinstance(redirect, str) or not redirect.startswith(("https://", "http://")):
            raise bad_request("inviteRedirectUrl is required: where the guest goes once the invitation is redeemed.")
        name = body.get("invitedUserDisplayName") or email
        send = bool(body.get("sendInvitationMessage", False))
        with store.transaction():
            known = store.get(MAIL, f"{tid}/{email.lower()}")
            user = store.get(USER, f"{tid}/{known['id']}") if known else None
            if user is None:
                user = _guest(tid, email, str(name), organization(ctx, tid)["domains"][0])
                store.insert(UPN, f"{tid}/{user['userPrincipalName'].lower()}", {"id": user["id"]})
                store.put(USER, f"{tid}/{user['id']}", user)
                store.put(MAIL, f"{tid}/{email.lower()}", {"id": user["id"]})
                notify(tid, "users", "created", user["id"])
        ticket = uuid.uuid4().hex
        redeem = f"{request.base_url}/emulator/redeem?tenant={tid}&user={user['id']}&ticket={ticket}"
        return Response(
            201,
            {
                "@odata.context": odata_context(request, "invitations/$entity"),
                "id": str(uuid.uuid4()),
                "inviteRedeemUrl": redeem,
                "invitedUserDisplayName": user["displayName"],
                "invitedUserEmailAddress": email,
                "invitedUserType": "Guest",
                "inviteRedirectUrl": redirect,
                "sendInvitationMessage": send,
                "resetRedemption": False,
                "status": user["externalUserState"],
                "invitedUser": {"id": user["id"]},
            },
        )

    @ctx.router.route(
        "POST",
        r"/emulator/tenants/(?P<tid>[^/]+)/users/(?P<user>[^/]+)/redeemInvitation",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def redeem(request: Request) -> Response:
        user_id = accept(request.params["tid"].lower(), request.params["user"])
        return Response(200, {"id": user_id, "externalUserState": "Accepted"})

    @ctx.router.route("GET", r"/emulator/redeem", operation="emulatorControl", api="emulator", auth=False)
    def follow_link(request: Request) -> Response:
        accept(str(request.q("tenant") or "").lower(), str(request.q("user") or ""))
        return Response(200, {"message": "Invitation accepted: sign in to the app as this guest."})

    def accept(tid: str, user_ref: str) -> str:
        with store.transaction():
            user = find_user(store, tid, user_ref) if tid and user_ref else None
            if user is None or user.get("userType") != "Guest":
                raise not_found(quote(user_ref))
            user.update(externalUserState="Accepted", externalUserStateChangeDateTime=now_iso())
            store.put(USER, f"{tid}/{user['id']}", user)
        notify(tid, "users", "updated", user["id"])
        return str(user["id"])


def _guest(tid: str, email: str, name: str, tenant_domain: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "businessPhones": [],
        "displayName": name,
        "givenName": None,
        "surname": None,
        "jobTitle": None,
        "mail": email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "usageLocation": None,
        "userPrincipalName": guest_upn(email, tenant_domain),
        "mailNickname": email.replace("@", "_"),
        "accountEnabled": True,
        "userType": "Guest",
        "externalUserState": "PendingAcceptance",
        "externalUserStateChangeDateTime": now_iso(),
        "creationType": "Invitation",
        "assignedLicenses": [],
        "licenseAssignmentStates": [],
        "createdDateTime": now_iso(),
    }
