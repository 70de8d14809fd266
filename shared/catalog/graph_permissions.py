"""What the app needs of Microsoft Graph in a customer's tenant: its application permissions, each with its reason and
the calls it is held for, and how each is granted; app_access.py lists the Azure side, and both are read by the
onboarding report."""

from __future__ import annotations

from dataclasses import dataclass

from shared.models.tenants import BackendName

BOTH: tuple[BackendName, ...] = ("azure", "windows365")
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's application, in every tenant
EMAIL = "email"  # the tenant's alerts (or its reclaim notices) are e-mailed from a mailbox of its own
RECLAIM = "reclaim"  # the tenant's reclaim rule is on: a freed license goes to the next user in line


@dataclass(frozen=True)
class GraphPermission:
    name: str  # an application permission (app role) of Microsoft Graph
    reason: str
    # the Graph calls the app makes with it: `METHOD path`, `{id}` for any one segment, a final `**` for any rest
    calls: tuple[str, ...]
    backends: tuple[BackendName, ...] = BOTH  # the tenants' backends it is needed for (none: the app's own tenant's)
    only_for: str | None = None  # a use only some tenants make of the app (EMAIL), asked only of those
    own_tenant: bool = False  # asked in the app's own (the provider's) tenant too, besides the backends'


GRAPH_PERMISSIONS: tuple[GraphPermission, ...] = (
    GraphPermission(
        "User.Read.All",
        "reads the users in assigned groups and the licenses they hold, and follows their changes; finds people by "
        "name or sign-in name for a tenant's roles (in the app's own tenant too, for the provider's staff)",
        (
            "GET users",
            "GET users/{id}",
            "POST subscriptions (users)",
            "PATCH subscriptions/{id}",
            "DELETE subscriptions/{id}",
        ),
        own_tenant=True,
    ),
    GraphPermission(
        "Group.Read.All",
        "reads the groups policies are assigned to and their members, names the group a license comes from, and "
        "follows the groups' changes (Graph takes no less for a subscription on groups)",
        (
            "GET groups",
            "GET groups/{id}",
            "GET groups/{id}/members",
            "POST users/{id}/checkMemberGroups",
            "POST subscriptions (groups)",
        ),
    ),
    GraphPermission(
        "Directory.Read.All",
        "confirms that a user is a direct member of an assigned group, reads the tenant's licenses (Graph lists a "
        "user's group memberships to an app only with this permission), finds Azure Virtual Desktop's service "
        "principal to check its role, and finds apps by name for a tenant's roles (in the app's own tenant too)",
        ("GET users/{id}/memberOf", "GET subscribedSkus", "GET servicePrincipals"),
        own_tenant=True,
    ),
    GraphPermission(
        "Device.ReadWrite.All",
        "removes the Entra device of a Cloud PC or session host that goes",
        ("GET devices", "DELETE devices/{id}"),
        ("azure",),
    ),
    GraphPermission(
        "DeviceManagementManagedDevices.ReadWrite.All",
        "enrolls Cloud PCs in Intune and retires them when they go",
        (
            "GET deviceManagement/managedDevices",
            "DELETE deviceManagement/managedDevices/{id}",
            "POST deviceManagement/managedDevices/{id}/users/$ref",
        ),
        ("azure",),
    ),
    GraphPermission(
        "LicenseAssignment.ReadWrite.All",
        "moves a user's Windows 365 license when a Cloud PC is resized",
        ("POST users/{id}/assignLicense",),
        ("azure",),
    ),
    # Graph offers reprocessLicenseAssignment to nothing less (https://learn.microsoft.com/graph/api/
    # user-reprocesslicenseassignment), and it writes any user's properties too: asked only of a tenant whose reclaim
    # rule is on
    GraphPermission(
        "User.ReadWrite.All",
        "hands a license the reclaim rule frees to the next user in line: Entra applies their group's license again",
        ("POST users/{id}/reprocessLicenseAssignment",),
        ("azure",),
        only_for=RECLAIM,
    ),
    # Windows 365 provisions, resizes and retires its own Cloud PCs, devices and licenses: the app drives it with
    # one permission (https://learn.microsoft.com/graph/api/resources/virtualendpoint)
    GraphPermission(
        "CloudPC.ReadWrite.All",
        "drives Windows 365: its network connections, images, provisioning policies and their assignments, user "
        "settings, and the Cloud PCs with their actions and audit events",
        (
            "GET deviceManagement/virtualEndpoint/**",
            "POST deviceManagement/virtualEndpoint/**",
            "PATCH deviceManagement/virtualEndpoint/**",
            "DELETE deviceManagement/virtualEndpoint/**",
        ),
        ("windows365",),
    ),
    # an application permission lets the app send as any mailbox of the tenant unless its admin scopes it with an
    # application access policy (https://learn.microsoft.com/graph/auth-limit-mailbox-access): asked only of a tenant
    # that e-mails
    GraphPermission(
        "Mail.Send",
        "sends the tenant's alerts by e-mail from the mailbox its alert rules name",
        ("POST users/{id}/sendMail",),
        only_for=EMAIL,
    ),
    # the one read that tells, without sending, what Exchange makes of a sender: a user without a mailbox and a
    # mailbox an application access policy keeps the app from are refused here as a send would be (the policy scopes
    # this permission too: https://learn.microsoft.com/graph/auth-limit-mailbox-access); it reads settings only, never
    # mail
    GraphPermission(
        "MailboxSettings.Read",
        "checks, when a rule names the mailbox to send from, that it is an Exchange Online mailbox the app may send as",
        ("GET users/{id}/mailboxSettings",),
        only_for=EMAIL,
    ),
    # asked in the app's own tenant, not a customer's: Entra answers any tenant's public facts to a caller holding it
    GraphPermission(
        "CrossTenantInformation.ReadBasic.All",
        "finds a new customer's Entra tenant by one of its domain names, so nobody types a tenant id (granted in the "
        "app's own tenant only)",
        ("GET tenantRelationships/findTenantInformationByDomainName(domainName={id})",),
        (),
    ),
    # the provider's own tenant invites its outsiders as guests (https://learn.microsoft.com/graph/api/invitation-post:
    # User.Invite.All is the least privileged); an app-only invitation also needs the tenant's B2B settings to let
    # apps invite, which the page says
    GraphPermission(
        "User.Invite.All",
        "invites someone outside the provider's organization by e-mail, as a guest given a tenant's role (granted in "
        "the app's own tenant only)",
        ("POST invitations",),
        (),
    ),
)


def consent_permissions() -> tuple[GraphPermission, ...]:
    """What the app's registration requests, so what Entra's admin consent page asks of every customer: only what
    every tenant needs, whatever its backend and use. Admin consent grants all a registration requests and cannot be
    narrowed per tenant (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent), so each of the others
    is granted only where it is used, as an app role assignment (app_role_command)."""
    return tuple(p for p in GRAPH_PERMISSIONS if p.backends == BOTH and p.only_for is None)


def app_role_command(permission: str, app_client_id: str) -> str:
    """The Azure CLI command by which an administrator of a customer's tenant grants the app one application
    permission of Graph there, as an app role assignment to its service principal
    (https://learn.microsoft.com/graph/permissions-grant-via-msgraph), Graph's principal and role looked up by name."""
    graph = f"az ad sp show --id {GRAPH_APP_ID}"
    body = r"{\"principalId\": \"$app\", \"resourceId\": \"$graph\", \"appRoleId\": \"$role\"}"
    return (
        f"graph=$({graph} --query id -o tsv) && "
        f"role=$({graph} --query \"appRoles[?value=='{permission}'].id\" -o tsv) && "
        f"app=$(az ad sp show --id {app_client_id} --query id -o tsv) && "
        'az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$graph/appRoleAssignedTo" '
        f'--body "{body}"'
    )


def own_tenant_permissions() -> tuple[GraphPermission, ...]:
    """What the app is granted in its own (the provider's) tenant: the lookups and invitations made there."""
    return tuple(p for p in GRAPH_PERMISSIONS if not p.backends or p.own_tenant)


def graph_permissions(backend: BackendName, uses: frozenset[str] = frozenset()) -> tuple[GraphPermission, ...]:
    """What a tenant of this backend, making these `uses` of the app (EMAIL, RECLAIM), grants the app in Graph."""
    return tuple(
        permission
        for permission in GRAPH_PERMISSIONS
        if backend in permission.backends and (permission.only_for is None or permission.only_for in uses)
    )


def graph_permissions_for(method: str, path: str) -> list[str]:
    """The permissions of this list that the app holds for a Graph call (`GET`, `users/{id}/memberOf`)."""
    segments = [part for part in path.split("?", 1)[0].strip("/").split("/") if part]

    def matches(call: str) -> bool:
        verb, shape = call.split(" ", 1)
        pattern = shape.split(" (", 1)[0].split("/")
        if pattern[-1] == "**":  # any rest, one segment at least
            pattern = pattern[:-1]
            if len(segments) <= len(pattern):
                return False
        elif len(pattern) != len(segments):
            return False
        return verb == method.upper() and all(
            want == "{id}" or want.lower() == got.lower() for want, got in zip(pattern, segments, strict=False)
        )

    return [permission.name for permission in GRAPH_PERMISSIONS if any(matches(c) for c in permission.calls)]


def subscription_permission(resource: str) -> str:
    """The permission of this list that lets the app follow a resource's changes (`users`, `groups`)."""
    [name] = [p.name for p in GRAPH_PERMISSIONS if f"POST subscriptions ({resource})" in p.calls]
    return name
