"""Exchange Online mailboxes behind Graph's mail operations: who has one, the application access policies that scope an
app to some of them, and `GET /users/{id}/mailboxSettings`.

- A user has a mailbox while it holds a license with an Exchange Online plan that is not disabled
  (skus.EXCHANGE_ONLINE_PLANS); Exchange provisions it minutes after the license and keeps a removed one soft-deleted
  for 30 days, both at once here. Shared mailboxes, which need no license, are not modelled. A mail operation on a
  user without one is 404 `MailboxNotEnabledForRESTAPI` (https://learn.microsoft.com/exchange/troubleshoot/
  user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error gives the status and the code; the
  message is Graph's as clients report it).
- An application access policy (https://learn.microsoft.com/graph/auth-limit-mailbox-access, Exchange's
  New-ApplicationAccessPolicy) restricts an app's application permissions to the members of a mail-enabled security
  group (`RestrictAccess`) or keeps it out of them (`DenyAccess`). An app-only call outside it is 403
  `ErrorAccessDenied` "Access to OData is disabled." (the page's body; it gives no status: 403 is what clients
  report). Delegated calls are not scoped by it. The group's direct members count (the page does not say whether
  nested groups' members do); a policy applies at once here, within an hour in Exchange. One policy per app.
  The control: `PUT /emulator/tenants/{tid}/applicationAccessPolicies/{appId}` `{"groupId", "accessRight"?}`
  (`RestrictAccess` unless said), `GET` reads it, `DELETE` removes it.

Store kind: `exchange.appAccessPolicy` `{tid}/{appId}` -> `{groupId, accessRight}`.
"""

from __future__ import annotations

from typing import Any

from azure_emulator.graph import skus
from azure_emulator.graph.common import ID, GraphRoutes, odata_context
from azure_emulator.graph.directory_rows import GROUP, direct_groups
from azure_emulator.graph.users import find_user
from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.store import Store

POLICY = "exchange.appAccessPolicy"
ACCESS_RIGHTS = ("RestrictAccess", "DenyAccess")


def has_mailbox(user: dict[str, Any]) -> bool:
    return any(
        plan.service_plan_id in skus.EXCHANGE_ONLINE_PLANS and plan.service_plan_id not in lic.get("disabledPlans", [])
        for lic in user.get("assignedLicenses", [])
        if (plan := skus.SKUS_BY_ID.get(lic["skuId"])) is not None
    )


def policy_allows(store: Store, tid: str, app_id: str, user_id: str) -> bool:
    policy = store.get(POLICY, f"{tid}/{app_id.lower()}")
    if policy is None:
        return True
    member = policy["groupId"] in direct_groups(store, tid, user_id)
    return member if policy["accessRight"] == "RestrictAccess" else not member


def mailbox_of(store: Store, request: Request) -> dict[str, Any]:
    """The user whose mailbox a mail operation names, once Exchange lets the caller at it; else Graph's refusal."""
    wanted = request.params["user"]
    user = find_user(store, request.tenant, wanted)
    if user is None:
        raise ApiError(404, "ErrorInvalidUser", f"The requested user '{wanted}' is invalid.")
    if not has_mailbox(user):
        raise ApiError(
            404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
        )
    claims = request.claims or {}
    app_id = str(claims.get("azp") or claims.get("appid") or "")
    if claims.get("idtyp") == "app" and not policy_allows(store, request.tenant, app_id, user["id"]):
        raise ApiError(403, "ErrorAccessDenied", "Access to OData is disabled.")
    return user


def settings_of(user: dict[str, Any]) -> dict[str, Any]:
    """A new mailbox's settings, as https://learn.microsoft.com/graph/api/user-get-mailboxsettings shows them."""
    return {
        "archiveFolder": None,
        "timeZone": "UTC",
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
        },
        "language": {"locale": user.get("preferredLanguage") or "en-US", "displayName": None},
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"},
        },
        "userPurpose": {"value": "user"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
    }


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    @routes.route("GET", rf"/users/(?P<user>{ID})/mailboxSettings", "getMailboxSettings", service="other")
    def mailbox_settings(request: Request) -> Response:
        user = mailbox_of(store, request)
        context = odata_context(request, f"users('{user['id']}')/mailboxSettings")
        return Response(200, {"@odata.context": context, **settings_of(user)})

    policy = r"/emulator/tenants/(?P<tid>[^/]+)/applicationAccessPolicies/(?P<app>[^/]+)"

    def key(request: Request) -> str:
        return f"{request.params['tid']}/{request.params['app'].lower()}"

    @ctx.router.route("PUT", policy, operation="emulatorControl", api="emulator", auth=False)
    def set_policy(request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        group_id, right = str(body.get("groupId") or "").lower(), body.get("accessRight", "RestrictAccess")
        if right not in ACCESS_RIGHTS:
            raise ApiError(400, "InvalidRequestContent", f"'accessRight' must be one of {', '.join(ACCESS_RIGHTS)}.")
        group = store.get(GROUP, f"{request.params['tid']}/{group_id}") if group_id else None
        if group is None:
            raise ApiError(400, "InvalidRequestContent", "'groupId' must name a group of the tenant.")
        if not (group.get("mailEnabled") and group.get("securityEnabled")):
            raise ApiError(400, "InvalidRequestContent", "The policy's group must be a mail-enabled security group.")
        saved = {"groupId": group_id, "accessRight": right}
        store.put(POLICY, key(request), saved)
        return Response(200, {"appId": request.params["app"].lower(), **saved})

    @ctx.router.route("GET", policy, operation="emulatorControl", api="emulator", auth=False)
    def get_policy(request: Request) -> Response:
        found = store.get(POLICY, key(request))
        if found is None:
            raise ApiError(404, "NotFound", "The app has no application access policy in this tenant.")
        return Response(200, {"appId": request.params["app"].lower(), **found})

    @ctx.router.route("DELETE", policy, operation="emulatorControl", api="emulator", auth=False)
    def delete_policy(request: Request) -> Response:
        store.delete(POLICY, key(request))
        return Response(204)
