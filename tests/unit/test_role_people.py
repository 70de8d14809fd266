"""Roles given by name: a user by sign-in name from the organization's directory or the tenant's, exactly one way of
naming the principal, an outsider invited as a guest, and the refusals that name the field or the grant missing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, Unavailable, ValidationFailed
from shared.models.access import Caller, Role, RoleAssignmentCreate, RoleInvitationCreate
from shared.models.tenants import Tenant
from shared.ports.bundles import AccessPorts
from shared.ports.cloud_errors import NO_CONSENT, CloudError
from shared.ports.people import Invited, Person
from shared.services.access import people
from shared.storage.role_assignments import RoleAssignmentRepository
from shared.storage.tenants import TenantRepository
from tests.fakes.tables import MemoryTableService, memory_storage

T0 = datetime(2026, 11, 1, tzinfo=UTC)
OWN, CUSTOMER = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000c"
ADMIN = Caller(principal_id="a", name="admin", organization_owner=True)
ADA = Person("00000000-0000-0000-0000-0000000000ad", "user", "Ada Lovelace", "ada@msp.example", "ada@msp.example")
CHARLES = Person("00000000-0000-0000-0000-0000000000cb", "user", "Charles Babbage", "charles@customer.example")
ROBOT = Person("00000000-0000-0000-0000-0000000000b0", "servicePrincipal", "Deploy robot")
GUEST = Person("00000000-0000-0000-0000-0000000000e1", "guest", "Dana", "dana_fabrikam.example#EXT#@msp.example")


class FakePeople:
    """Two directories by Entra tenant id; `refused` names a tenant whose reads Graph refuses."""

    def __init__(self) -> None:
        self.directories = {OWN: [ADA, ROBOT], CUSTOMER: [CHARLES]}
        self.refused: dict[str, str] = {}
        self.invited: list[tuple[str, str | None, str, bool]] = []

    def _check(self, tenant: str) -> None:
        if tenant in self.refused:
            raise CloudError("people", self.refused[tenant], "Insufficient privileges to complete the operation.")

    def own_entra_tenant_id(self) -> str:
        return OWN

    def find(self, entra_tenant_id: str, text: str, top: int) -> list[Person]:
        self._check(entra_tenant_id)
        words = text.casefold()
        found = [p for p in self.directories[entra_tenant_id] if p.display_name.casefold().startswith(words)]
        return found[:top]

    def user(self, entra_tenant_id: str, user_principal_name: str) -> Person | None:
        self._check(entra_tenant_id)
        wanted = user_principal_name.casefold()
        return next(
            (p for p in self.directories[entra_tenant_id] if (p.user_principal_name or "").casefold() == wanted), None
        )

    def invite(self, email: str, display_name: str | None, redirect_url: str, send_message: bool) -> Invited:
        self._check(OWN)
        self.invited.append((email, display_name, redirect_url, send_message))
        guest = dataclasses.replace(GUEST, display_name=display_name or email)
        return Invited(guest, "PendingAcceptance", "https://login.example/redeem?ticket=1")


@pytest.fixture
def directory() -> FakePeople:
    return FakePeople()


@pytest.fixture
def ports(directory: FakePeople) -> AccessPorts:
    storage = memory_storage(MemoryTableService(lambda: T0))
    return AccessPorts(
        RoleAssignmentRepository(storage),
        TenantRepository(storage),
        frozenset({"a"}),
        clock=lambda: T0,
        people=directory,
        invite_redirect_url="https://portal.example/",
    )


def tenant(linked: bool = True) -> Tenant:
    return Tenant(
        id="00000000-0000-0000-0000-0000000000aa",
        display_name="Contoso",
        entra_tenant_id=CUSTOMER if linked else None,
        created_date_time=T0,
        last_modified_date_time=T0,
    )


def detail(refused: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str | None]:
    return refused.value.details[0].code, refused.value.details[0].target


def test_a_user_named_by_sign_in_name_is_kept_by_object_id_and_name_from_the_right_directory(
    ports: AccessPorts,
) -> None:
    staff = people.assign(
        ports, ADMIN, tenant(), RoleAssignmentCreate(user_principal_name="ADA@msp.example", role=Role.OWNER)
    )
    assert (staff.principal_id, staff.principal_name, staff.user_principal_name) == (
        ADA.id,
        "Ada Lovelace",
        "ada@msp.example",
    )
    assert (staff.principal_type, staff.directory) == ("user", "organization")
    customer = people.assign(
        ports, ADMIN, tenant(), RoleAssignmentCreate(user_principal_name="charles@customer.example", role=Role.READER)
    )
    assert (customer.principal_id, customer.directory) == (CHARLES.id, "tenant")


def test_exactly_one_of_principal_id_and_user_principal_name(ports: AccessPorts) -> None:
    both = RoleAssignmentCreate(principal_id=ADA.id, user_principal_name="ada@msp.example", role=Role.READER)
    with pytest.raises(ValidationFailed) as refused:
        people.assign(ports, ADMIN, tenant(), both)
    assert detail(refused) == ("principalIdOrUserPrincipalName", "userPrincipalName")
    with pytest.raises(ValidationFailed) as refused:
        people.assign(ports, ADMIN, tenant(), RoleAssignmentCreate(role=Role.READER))
    assert detail(refused) == ("principalIdOrUserPrincipalName", "principalId")
    by_id = people.assign(ports, ADMIN, tenant(), RoleAssignmentCreate(principal_id=ROBOT.id, role=Role.READER))
    assert (by_id.principal_id, by_id.principal_type, by_id.directory) == (ROBOT.id, None, None)


def test_an_unknown_or_malformed_sign_in_name_is_a_400_at_the_field_and_nothing_is_saved(
    ports: AccessPorts, directory: FakePeople
) -> None:
    directory.refused[CUSTOMER] = NO_CONSENT  # a customer directory not readable yet is one that lacks the user
    unknown = RoleAssignmentCreate(user_principal_name="nobody@msp.example", role=Role.READER)
    with pytest.raises(ValidationFailed) as refused:
        people.assign(ports, ADMIN, tenant(), unknown)
    assert detail(refused) == ("userNotFound", "userPrincipalName")
    assert "nobody@msp.example" in str(refused.value) and "invite" in str(refused.value)
    for malformed in ("ada", "ada@", "@msp.example", "ada lovelace@msp.example", "ada@msp"):
        with pytest.raises(ValidationError) as invalid:
            RoleAssignmentCreate.model_validate({"userPrincipalName": malformed, "role": "reader"})
        assert invalid.value.errors()[0]["loc"] == ("userPrincipalName",), malformed
    assert ports.role_assignments.list_role_assignments(tenant().id) == []


def test_the_organizations_directory_not_granted_names_the_permission(
    ports: AccessPorts, directory: FakePeople
) -> None:
    directory.refused[OWN] = "Authorization_RequestDenied"
    with pytest.raises(Unavailable) as refused:
        people.find_principals(ports, tenant(), "organization", "ada", 10)
    assert refused.value.code == "organizationDirectoryNotGranted" and "User.Read.All" in str(refused.value)
    with pytest.raises(Unavailable):
        people.assign(
            ports, ADMIN, tenant(), RoleAssignmentCreate(user_principal_name="ada@msp.example", role="reader")
        )


def test_people_and_apps_are_found_in_the_directory_asked(ports: AccessPorts) -> None:
    found = people.find_principals(ports, tenant(), "organization", "de", 10)
    assert [(p.id, p.kind, p.directory) for p in found] == [(ROBOT.id, "servicePrincipal", "organization")]
    assert [p.display_name for p in people.find_principals(ports, tenant(), "tenant", "ch", 10)] == ["Charles Babbage"]
    with pytest.raises(Conflict) as refused:
        people.find_principals(ports, tenant(linked=False), "tenant", "ch", 10)
    assert (refused.value.code, refused.value.target) == ("tenantNotLinked", "entraTenantId")


def test_an_invited_guest_holds_the_role_at_once_and_the_link_is_given_only_when_not_sent(
    ports: AccessPorts, directory: FakePeople
) -> None:
    body = RoleInvitationCreate(email="dana@fabrikam.example", role=Role.OPERATOR, send_invitation_message=False)
    invited = people.invite(ports, ADMIN, tenant(), body)
    assert directory.invited == [("dana@fabrikam.example", None, "https://portal.example/", False)]
    held = invited.role_assignment
    assert (invited.id, held.principal_id, held.role, held.principal_type) == (GUEST.id, GUEST.id, "operator", "guest")
    assert (held.mail, held.user_principal_name, held.directory) == (
        "dana@fabrikam.example",
        GUEST.user_principal_name,
        "organization",
    )
    assert (invited.status, invited.invitation_sent) == ("PendingAcceptance", False)
    assert invited.invite_redeem_url == "https://login.example/redeem?ticket=1"
    again = people.invite(ports, ADMIN, tenant(), body.model_copy(update={"send_invitation_message": True}))
    assert again.role_assignment == held and again.invite_redeem_url is None  # Microsoft e-mailed the link


def test_an_invitation_the_organization_does_not_allow_names_user_invite_all(
    ports: AccessPorts, directory: FakePeople
) -> None:
    directory.refused[OWN] = "Authorization_RequestDenied"
    with pytest.raises(Unavailable) as refused:
        people.invite(ports, ADMIN, tenant(), RoleInvitationCreate(email="dana@fabrikam.example", role="reader"))
    assert refused.value.code == "invitationNotGranted" and "User.Invite.All" in str(refused.value)
    assert ports.role_assignments.list_role_assignments(tenant().id) == []
    for bad in ("dana", "dana@@fabrikam.example", ".dana@fabrikam.example", "da(na)@fabrikam.example", "a b@c.de"):
        with pytest.raises(ValidationError) as invalid:
            RoleInvitationCreate.model_validate({"email": bad, "role": "reader"})
        assert invalid.value.errors()[0]["loc"] == ("email",), bad
