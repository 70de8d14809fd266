"""The People port over Microsoft Graph: users and service principals found by `$search`, a user read by sign-in
name, and B2B invitations in the app's own tenant."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_directory import ADVANCED_QUERY, LOOKUP_MAX_WAIT_S
from shared.ports.people import Invited, Person

STEP = "people"
USER_FIELDS = "id,displayName,userPrincipalName,mail,userType"
APP_FIELDS = "id,displayName,appId"
# `$search` takes "property:text" clauses in double quotes; a quote or backslash in the text would end one early,
# and no name, sign-in name or e-mail the look-up serves holds either
NOT_SEARCHED = re.compile(r'["\\]')


def _app(item: dict[str, Any]) -> Person:
    return Person(item["id"], "servicePrincipal", item.get("displayName") or item.get("appId") or "")


def _person(item: dict[str, Any]) -> Person:
    guest = str(item.get("userType") or "").lower() == "guest"
    return Person(
        item["id"],
        "guest" if guest else "user",
        item.get("displayName") or "",
        item.get("userPrincipalName") or None,
        item.get("mail") or None,
    )


class GraphPeople:
    """Implements People (shared.ports.people); reads only, but for the invitation."""

    def __init__(self, graph: GraphClients, credentials: AzureCredentials) -> None:
        self._graph, self._credentials = graph, credentials

    def own_entra_tenant_id(self) -> str:
        return self._credentials.own_entra_tenant_id()

    def find(self, entra_tenant_id: str, text: str, top: int) -> list[Person]:
        wanted = NOT_SEARCHED.sub(" ", text).strip()
        if not wanted:
            return []
        client = self._graph.client_for_entra(entra_tenant_id)
        # $search on directory objects is an advanced query: ConsistencyLevel eventual, and $count for the count
        # (https://learn.microsoft.com/graph/search-query-parameter)
        users = client.call(
            "GET",
            "users",
            step=STEP,
            params={
                "$search": " OR ".join(f'"{field}:{wanted}"' for field in ("displayName", "userPrincipalName", "mail")),
                "$count": "true",
                "$top": str(top),
                "$select": USER_FIELDS,
            },
            headers=ADVANCED_QUERY,
            retry_max_wait=LOOKUP_MAX_WAIT_S,
        )
        apps = client.call(
            "GET",
            "servicePrincipals",
            step=STEP,
            params={"$search": f'"displayName:{wanted}"', "$count": "true", "$top": str(top), "$select": APP_FIELDS},
            headers=ADVANCED_QUERY,
            retry_max_wait=LOOKUP_MAX_WAIT_S,
        )
        found = [_person(item) for item in (users.get("value") or [])]
        found += [_app(item) for item in (apps.get("value") or [])]
        return sorted(found, key=lambda p: (p.display_name.casefold(), p.id))[:top]

    def user(self, entra_tenant_id: str, user_principal_name: str) -> Person | None:
        client = self._graph.client_for_entra(entra_tenant_id)
        # a guest's sign-in name holds `#`, which would end the path: the name is one escaped segment
        item = client.get_or_none(
            f"users/{quote(user_principal_name, safe='@')}",
            step=STEP,
            params={"$select": USER_FIELDS},
            retry_max_wait=LOOKUP_MAX_WAIT_S,
        )
        return _person(item) if item is not None else None

    def invite(self, email: str, display_name: str | None, redirect_url: str, send_message: bool) -> Invited:
        own = self.own_entra_tenant_id()
        client = self._graph.client_for_entra(own)
        body: dict[str, Any] = {
            "invitedUserEmailAddress": email,
            "inviteRedirectUrl": redirect_url,
            "sendInvitationMessage": send_message,
        }
        if display_name:
            body["invitedUserDisplayName"] = display_name
        invitation = client.call("POST", "invitations", step=STEP, body=body)
        guest_id = str(invitation["invitedUser"]["id"])
        # the invitation names only the guest's id: its sign-in name is read from the user
        item = client.call("GET", f"users/{guest_id}", step=STEP, params={"$select": USER_FIELDS})
        return Invited(_person(item), str(invitation.get("status") or ""), str(invitation.get("inviteRedeemUrl") or ""))
