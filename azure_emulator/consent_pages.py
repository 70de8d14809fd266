"""Admin consent's HTML as a customer's administrator meets it: sign-in to the tenant, the permissions, an error."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from azure_emulator.server import Response
from azure_emulator.sign_in_page import document

# what Entra's consent screen says of each Microsoft Graph application permission: its app role's admin consent
# display name (https://learn.microsoft.com/graph/permissions-reference); one not listed here shows by its name alone
GRAPH_APP_ROLES = {
    "CloudPC.ReadWrite.All": "Read and write Cloud PCs",
    "Device.ReadWrite.All": "Read and write devices",
    "DeviceManagementManagedDevices.ReadWrite.All": "Read and write Microsoft Intune devices",
    "Directory.Read.All": "Read directory data",
    "Group.Read.All": "Read all groups",
    "GroupMember.ReadWrite.All": "Read and write all group memberships",
    "LicenseAssignment.ReadWrite.All": "Manage all license assignments",
    "User.Read.All": "Read all users' full profiles",
}


def _hidden(forwarded: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">\n' for k, v in forwarded.items())


def sign_in(
    action: str, forwarded: Mapping[str, str], *, app: str, administrator: str, upn: str = "", error: str | None = None
) -> Response:
    """Who is signing in, to this tenant; with `error` (Entra's, for someone who may not consent), a 400 showing it."""
    invalid = ' aria-invalid="true" aria-describedby="upn-error"' if error else ""
    message = f'<p id="upn-error" class="error">{escape(error)}</p>\n' if error else ""
    body = (
        f"<p><strong>{escape(app)}</strong> asks an administrator of this organization to consent to its "
        "permissions. This emulator stands in for Microsoft Entra ID: there is no password.</p>\n"
        f'<form method="post" action="{escape(action)}">\n{_hidden(forwarded)}'
        '<p><label for="upn">Email or user principal name</label><br>\n'
        f'<input id="upn" name="username" type="email" value="{escape(upn)}" required autocomplete="username" '
        f'autocapitalize="none" spellcheck="false" autofocus{invalid}>\n'
        '<button type="submit">Next</button></p>\n'
        f"{message}<p>This tenant's Global Administrator signs in as <code>{escape(administrator)}</code>.</p>\n"
        "</form>\n"
    )
    return document(400 if error else 200, "Sign in to your organization", body)


def consent(action: str, forwarded: Mapping[str, str], *, app: str, upn: str, permissions: tuple[str, ...]) -> Response:
    """The permissions the app's registration requests, with Accept and Cancel."""
    listed = (
        "".join(
            f"<li><strong>{escape(GRAPH_APP_ROLES.get(name, name))}</strong> <code>{escape(name)}</code></li>\n"
            for name in permissions
        )
        or "<li>No permission: only to sign in.</li>\n"
    )
    body = (
        f"<p>Signed in as <code>{escape(upn)}</code>.</p>\n"
        f"<p><strong>{escape(app)}</strong> asks, for your whole organization, these Microsoft Graph application "
        "permissions, which it uses with no one signed in:</p>\n"
        f'<ul aria-label="Permissions requested">\n{listed}</ul>\n'
        "<p>Accepting grants them for every user of your organization. No one else is asked.</p>\n"
        f'<form method="post" action="{escape(action)}">\n{_hidden({**forwarded, "username": upn})}'
        '<button type="submit" name="decision" value="accept">Accept</button>\n'
        '<button type="submit" name="decision" value="cancel">Cancel</button>\n'
        "</form>\n"
    )
    return document(200, "Permissions requested", body)


def refused(error: str) -> Response:
    """A request Entra answers on its own page: nothing goes back to the app."""
    body = f'<p class="error">{escape(error)}</p>\n<p>Nothing was sent back to the app.</p>\n'
    return document(400, "Sorry, but we're having trouble signing you in", body)
