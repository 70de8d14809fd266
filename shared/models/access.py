"""Who may do what: callers, per-tenant roles, role assignments, and the audit log of changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StringConstraints

from shared.models.base import ApiModel, DisplayName, Guid, InputModel

# a user principal name as Entra allows it: a user name of letters, digits and . ' _ ! # ^ ~ - (a guest's holds
# `#EXT#`), an @, and a domain (https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname)
UPN_PATTERN = r"^[A-Za-z0-9.'_!#^~+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
# an address Graph invites: none of the characters its invitation page refuses in the user name
# (https://learn.microsoft.com/graph/api/invitation-post), and no period or hyphen at either end of it
INVITED_EMAIL_PATTERN = r"^[A-Za-z0-9_']([A-Za-z0-9._'-]*[A-Za-z0-9_'])?@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
UserPrincipalName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=256, pattern=UPN_PATTERN)
]
InvitedEmail = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=256, pattern=INVITED_EMAIL_PATTERN)
]
# where a person or app is: the organization's own Entra tenant (the provider's staff, its guests, its apps), or
# the tenant's linked one (the customer's own admins)
DirectoryName = Literal["organization", "tenant"]
PrincipalKind = Literal["user", "guest", "servicePrincipal"]


class Role(StrEnum):
    """A principal's role on one tenant; each includes the rights of the ones below it."""

    READER = "reader"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def covers(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class Caller(ApiModel):
    """The principal a validated token names: `oid` is the principal, `tid` its home Entra tenant."""

    principal_id: str
    home_tenant_id: str | None = None
    name: str | None = None
    organization_owner: bool = False


class ManagedIdentity(ApiModel):
    """An Azure resource's managed identity, as a validated token of it names it: its Entra tenant and its principal
    (`oid`). A token for a customer's own API names no resource (Entra adds `xms_mirid` for Microsoft's only)."""

    entra_tenant_id: str
    principal_id: str


# what people.assign checks, for the document: exactly one of the two names the principal (a string, not null)
ONE_PRINCIPAL: dict[str, Any] = {
    "oneOf": [
        {"required": [name], "properties": {name: {"type": "string"}}} for name in ("principalId", "userPrincipalName")
    ]
}


class RoleAssignmentCreate(InputModel):
    """Exactly one of principalId and userPrincipalName (400 at the field otherwise)."""

    model_config = ConfigDict(json_schema_extra=ONE_PRINCIPAL)

    principal_id: Guid | None = Field(
        default=None, description="The Entra object id of the user or app (listDirectoryPrincipals finds it by name)."
    )
    user_principal_name: UserPrincipalName | None = Field(
        default=None,
        description="A user by sign-in name instead of principalId: looked up in the organization's directory, then "
        "in the tenant's linked one, and kept as its object id and name. 400 userNotFound at this field when neither "
        "has it; nothing is saved.",
    )
    principal_name: DisplayName | None = Field(
        default=None, description="A name to show with principalId; not checked (a user's own is kept instead)."
    )
    role: Role


class RoleInvitationCreate(InputModel):
    """Someone outside the organization, invited by e-mail as a guest of the organization's own Entra tenant."""

    email: InvitedEmail = Field(description="Where the invitation goes; the guest's e-mail.")
    display_name: DisplayName | None = Field(default=None, description="The guest's name (default: the e-mail).")
    role: Role
    send_invitation_message: StrictBool = Field(
        default=True,
        description="Microsoft sends the invitation e-mail; false: send inviteRedeemUrl from the answer yourself.",
    )


class RoleAssignment(ApiModel):
    """A principal's role on a tenant; its id is the principal id, so a principal has one role per tenant."""

    id: str
    tenant_id: str
    principal_id: str
    principal_name: str | None = None
    principal_type: PrincipalKind | None = Field(default=None, description="Set when the directory named it.")
    user_principal_name: str | None = Field(default=None, description="A user's sign-in name (a guest's `#EXT#` one).")
    mail: str | None = Field(default=None, description="An invited guest's e-mail.")
    directory: DirectoryName | None = Field(default=None, description="Whose Entra tenant the principal is in.")
    role: Role
    created_date_time: datetime
    created_by: str | None = None
    etag: str | None = Field(default=None, description="Pass back in If-Match to delete safely.")


class RoleInvitation(ApiModel):
    """An invitation's outcome: the guest holds the role at once, which takes effect when they sign in as that guest."""

    id: str = Field(description="The guest's object id in the organization's Entra tenant (the assignment's id).")
    role_assignment: RoleAssignment
    status: str = Field(description="Graph's: PendingAcceptance until the guest redeems the invitation.")
    invitation_sent: bool = Field(description="Whether Microsoft e-mailed the invitation.")
    invite_redeem_url: str | None = Field(
        default=None, description="The link to send the guest, when Microsoft did not e-mail it (null otherwise)."
    )


class DirectoryPrincipal(ApiModel):
    """A person or app found by name, to pick for a role."""

    id: str = Field(description="Its object id: a role assignment's principalId.")
    kind: PrincipalKind
    display_name: str
    user_principal_name: str | None = None
    mail: str | None = None
    directory: DirectoryName


class DirectoryPrincipalList(ApiModel):
    value: list[DirectoryPrincipal]


class TenantRole(ApiModel):
    tenant_id: str
    display_name: str
    role: Role


class Me(ApiModel):
    """`GET /me`: the caller and its role on each tenant it can see."""

    principal_id: str
    name: str | None = None
    home_tenant_id: str | None = None
    organization_owner: bool
    tenants: list[TenantRole]


AuditResult = Literal["pending", "success", "failure", "denied"]


class AuditActor(ApiModel):
    principal_id: str
    name: str | None = None


class AuditChange(ApiModel):
    field: str
    old_value: Any = None
    new_value: Any = None


class AuditEvent(ApiModel):
    """One write or action, successful, failed or refused; secrets appear as `***`."""

    id: str
    tenant_id: str
    activity_date_time: datetime
    actor: AuditActor
    activity: str = Field(description="The operation, e.g. updateProvisioningPolicy or rebootCloudPc.")
    resource_type: str
    resource_id: str | None = None
    resource_display_name: str | None = None
    result: AuditResult
    error_code: str | None = None
    changes: list[AuditChange] = Field(default_factory=list)
    source: Literal["app", "windows365"] = Field(
        default="app", description="Whose log it comes from: this app's, or Windows 365's (on a windows365 tenant)."
    )


class AuditRecord(AuditEvent):
    """An audit event as stored: flat fields to filter on, and for a pending one, where its change was written."""

    actor_id: str
    # where the change's first write goes (table, partition key, row key) and digests of the values it sets,
    # saved before that write: how an event a crash left pending is settled (see shared/services/access/audit.py)
    written_at: list[str] | None = None
    intended: dict[str, str] | None = None


RowKey = tuple[str, str, str]  # table, partition key, row key


@dataclass(frozen=True)
class Intent:
    """Told before a request's first write, so a crash cannot hide it: where it goes and what it sets."""

    key: RowKey
    resource_id: str | None
    fingerprint: dict[str, str]  # field -> digest of the value the write sets, for fields it changes
