"""A tenant's roles given by name: people and apps found in the organization's or the tenant's directory, a user
named by sign-in name, and an outsider invited by e-mail as a guest of the organization's own Entra tenant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, Unavailable, ValidationFailed
from shared.models.access import (
    Caller,
    DirectoryName,
    DirectoryPrincipal,
    RoleAssignment,
    RoleAssignmentCreate,
    RoleInvitation,
    RoleInvitationCreate,
)
from shared.models.tenants import Tenant
from shared.ports.cloud_errors import NO_CONSENT, NOT_LINKED, CloudError
from shared.ports.people import People, Person
from shared.services.access import roles
from shared.services.access.roles import RolePorts


class PeoplePorts(RolePorts, Protocol):
    @property
    def people(self) -> People | None: ...
    @property
    def invite_redirect_url(self) -> str: ...  # where a guest lands once they redeem the invitation


def _people(ports: PeoplePorts) -> People:
    if ports.people is None:
        raise Unavailable("This app has no directory to look people up in.", code="directoryUnavailable")
    return ports.people


@contextmanager
def own_tenant_granting(permissions: str, needed_for: str, code: str) -> Iterator[None]:
    """The organization's own tenant refused: a grant its admin makes there once, not the caller's input (as the
    tenant lookup by domain name answers: customer_lookup.find_customer)."""
    try:
        yield
    except CloudError as exc:
        if not exc.permission_denied:
            raise
        raise Unavailable(
            f"The app's own Entra tenant (the provider's) has not granted it {permissions}, which {needed_for}: an "
            "admin of that tenant grants it there once (admin consent; see docs/deploying.md).",
            code=code,
        ) from exc


def organization_directory() -> AbstractContextManager[None]:
    return own_tenant_granting(
        "User.Read.All and Directory.Read.All",
        "finds the organization's people and apps by name",
        "organizationDirectoryNotGranted",
    )


def _linked(tenant: Tenant) -> str:
    if not tenant.entra_tenant_id:
        raise Conflict(
            f"Tenant '{tenant.display_name}' is not linked to a Microsoft Entra tenant, so it has no directory of "
            "its own to look people up in; set its entraTenantId first, or look in the organization's.",
            code="tenantNotLinked",
            target="entraTenantId",
        )
    return tenant.entra_tenant_id


def _shown(person: Person, directory: DirectoryName) -> DirectoryPrincipal:
    return DirectoryPrincipal(
        id=person.id,
        kind=person.kind,
        display_name=person.display_name,
        user_principal_name=person.user_principal_name,
        mail=person.mail,
        directory=directory,
    )


def find_principals(
    ports: PeoplePorts, tenant: Tenant, directory: DirectoryName, search: str, top: int
) -> list[DirectoryPrincipal]:
    """People and apps by name, sign-in name or e-mail, in the organization's directory or the tenant's."""
    people = _people(ports)
    if directory == "tenant":
        return [_shown(p, directory) for p in people.find(_linked(tenant), search, top)]
    with organization_directory():
        found = people.find(people.own_entra_tenant_id(), search, top)
    return [_shown(p, directory) for p in found]


def _resolve(people: People, tenant: Tenant, user_principal_name: str) -> tuple[Person, DirectoryName]:
    """The user in the organization's directory, else in the tenant's: a sign-in name's domain is verified in one
    Entra tenant only, so it names one user wherever it is found."""
    with organization_directory():
        found = people.user(people.own_entra_tenant_id(), user_principal_name)
    if found is not None:
        return found, "organization"
    if tenant.entra_tenant_id:
        try:
            found = people.user(tenant.entra_tenant_id, user_principal_name)
        except CloudError as exc:
            if exc.code not in (NO_CONSENT, NOT_LINKED):
                raise
            found = None  # the customer's directory cannot be read yet: the user is not found there
        if found is not None:
            return found, "tenant"
    where = "the organization's directory or the tenant's" if tenant.entra_tenant_id else "the organization's directory"
    raise ValidationFailed.of(
        ErrorDetail(
            "userNotFound",
            f"No user signs in as '{user_principal_name}' in {where}: check the spelling, or invite them by e-mail.",
            "userPrincipalName",
        )
    )


def assign(ports: PeoplePorts, caller: Caller, tenant: Tenant, body: RoleAssignmentCreate) -> RoleAssignment:
    """A role for a principal named by object id, or a user by sign-in name (exactly one: 400 at the field)."""
    if (body.principal_id is None) == (body.user_principal_name is None):
        field = "userPrincipalName" if body.principal_id is not None else "principalId"
        raise ValidationFailed.of(
            ErrorDetail(
                "principalIdOrUserPrincipalName",
                "Give exactly one of principalId and userPrincipalName.",
                field,
            )
        )
    if body.user_principal_name is None:
        return roles.assign_role(ports, caller, tenant.id, body)
    person, directory = _resolve(_people(ports), tenant, body.user_principal_name)
    return roles.assign_role(ports, caller, tenant.id, body, person=person, directory=directory)


def invite(ports: PeoplePorts, caller: Caller, tenant: Tenant, body: RoleInvitationCreate) -> RoleInvitation:
    """The outsider becomes a guest of the organization's own tenant, and the guest holds the role at once: it takes
    effect when they sign in as that guest (after redeeming the invitation)."""
    people = _people(ports)
    with own_tenant_granting(
        "User.Invite.All", "invites people outside the organization as guests", "invitationNotGranted"
    ):
        invited = people.invite(body.email, body.display_name, ports.invite_redirect_url, body.send_invitation_message)
    guest = invited.guest
    if guest.mail is None:
        guest = Person(guest.id, guest.kind, guest.display_name, guest.user_principal_name, body.email)
    existing = ports.role_assignments.find_role_assignment(tenant.id, guest.id)
    if existing is not None and existing.role is body.role:
        assignment = existing  # invited again (the invitation re-sent): the role stays as it was
    else:
        create = RoleAssignmentCreate(principal_id=guest.id, role=body.role)
        assignment = roles.assign_role(ports, caller, tenant.id, create, person=guest, directory="organization")
    return RoleInvitation(
        id=guest.id,
        role_assignment=assignment,
        status=invited.status,
        invitation_sent=body.send_invitation_message,
        invite_redeem_url=None if body.send_invitation_message else invited.redeem_url,
    )
