"""Graph's sendMail (https://learn.microsoft.com/graph/api/user-sendmail): mail sent as a user of the tenant, kept for
tests to read, and the control `GET /emulator/graph/sentMail?tenantId=` that lists it.

`POST /users/{id | userPrincipalName}/sendMail` answers 202 with no body; a user the tenant does not have is 404
`ErrorInvalidUser`; a user without an Exchange Online mailbox is 404 `MailboxNotEnabledForRESTAPI`, and a mailbox an
application access policy keeps the app from is 403 `ErrorAccessDenied` (mailboxes.py); a message without
`toRecipients` is 400 `ErrorInvalidRecipients`; an app-only token needs the Mail.Send application permission
(permissions.json), else 403 as every route.

Store kind: `graph.sentMail` `{tid}/{ns}/{id}` -> `{from, to, subject, body, contentType, saveToSentItems, time}`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from azure_emulator.graph.common import ID, GraphRoutes, bad_request, now_iso
from azure_emulator.graph.mailboxes import mailbox_of
from azure_emulator.server import Context, Request, Response

SENT = "graph.sentMail"


def _recipients(message: dict[str, Any]) -> list[str]:
    listed = message.get("toRecipients")
    if not isinstance(listed, list) or not listed:
        raise bad_request("At least one recipient is required in toRecipients.", "ErrorInvalidRecipients")
    addresses = [str(((item or {}).get("emailAddress") or {}).get("address") or "") for item in listed]
    if not all("@" in address for address in addresses):
        raise bad_request("At least one recipient isn't valid.", "ErrorInvalidRecipients")
    return addresses


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    @routes.route("POST", rf"/users/(?P<user>{ID})/sendMail", "sendMail", service="other")
    def send_mail(request: Request) -> Response:
        user = mailbox_of(store, request)
        body = request.json()
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            raise bad_request("The request body must carry a message.", "ErrorInvalidRequest")
        content = message.get("body") or {}
        sent = {
            "from": user.get("mail") or user["userPrincipalName"],
            "to": _recipients(message),
            "subject": str(message.get("subject") or ""),
            "body": str(content.get("content") or ""),
            "contentType": str(content.get("contentType") or "Text"),
            "saveToSentItems": body.get("saveToSentItems", True) is not False,
            "time": now_iso(),
        }
        # listed in the order sent: nanoseconds, with an id for two in the same one
        store.put(SENT, f"{request.tenant}/{time.time_ns():020d}/{uuid.uuid4()}", sent)
        return Response(202)

    @ctx.router.route("GET", r"/emulator/graph/sentMail", operation="emulatorControl", api="emulator", auth=False)
    def sent_mail(request: Request) -> Response:
        tenant = request.q("tenantId")
        return Response(200, {"value": store.scan(SENT, f"{tenant}/" if tenant else "")})
