"""Microsoft Graph at `/graph/v1.0` and `/graph/beta`: directory, licenses, devices, batching, change notifications,
tenants found by a domain name, B2B invitations of guests, mail sent as a user from an Exchange Online mailbox.

State is per Entra tenant, chosen by the bearer token's `tid` as Graph does. Errors are Graph's
`{"error": {"code", "message", "innerError"}}`; throttling answers 429 with `Retry-After`, directory requests costing
Microsoft's resource units against its published budgets (throttling.py; `PUT /emulator/throttles/{name}` replaces
one, `DELETE` restores it). Lists of directory objects follow Graph's advanced-query rules (odata.py). An app-only
token needs one of the operation's application permissions (Microsoft's tables, in permissions.json) in its `roles`,
else 403 `Authorization_RequestDenied`; the tenant's consent (`PUT /emulator/tenants/{tid}/apps/{appId}`), admin
consent and app role assignments (app_role_assignments.py) set those roles. A user signed in on the sign-in page
with a Graph scope calls it as a delegated caller: the token's `scp` needs one of the operation's delegated
permissions, and the user the Entra roles its page names (directory_roles.py).
"""

from __future__ import annotations

from azure_emulator.graph import (
    app_role_assignments,
    batch,
    devices,
    groups,
    invitations,
    mail,
    mailboxes,
    notifications,
    service_principals,
    skus,
    tenant_information,
    users,
    windows365,
)
from azure_emulator.graph.common import GraphRoutes, accepted_audiences, register_unserved
from azure_emulator.server import Context


def register(ctx: Context) -> None:
    ctx.user_audiences["graph"] = lambda: sorted(accepted_audiences(ctx))  # the sign-in page's users call Graph too
    routes = GraphRoutes(ctx)
    notifier = notifications.Notifier(ctx)
    ctx.background.append(notifier.stop)
    users.register(ctx, routes, notifier.changed)
    invitations.register(ctx, routes, notifier.changed)
    skus.register(ctx, routes)
    groups.register(ctx, routes, notifier.changed)
    devices.register(ctx, routes)
    service_principals.register(ctx, routes)
    app_role_assignments.register(ctx, routes)
    tenant_information.register(ctx, routes)
    mail.register(ctx, routes)
    mailboxes.register(ctx, routes)
    windows365.register(ctx, notifier.changed)
    batch.register(ctx, routes)
    notifications.register(ctx, routes, notifier)
    register_unserved(ctx)  # last: it answers what no route above serves
