"""People and apps in an Entra directory, as a tenant's roles name them: found by name, a user by sign-in name, and
an outsider invited by e-mail as a guest of the organization's own tenant (Graph in production)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Kind = Literal["user", "guest", "servicePrincipal"]


@dataclass(frozen=True)
class Person:
    """A user (a member or a guest) or an app's service principal, by its object id in one Entra tenant."""

    id: str
    kind: Kind
    display_name: str
    user_principal_name: str | None = None
    mail: str | None = None


@dataclass(frozen=True)
class Invited:
    guest: Person
    status: str  # Graph's: PendingAcceptance until redeemed
    redeem_url: str


class People(Protocol):
    def own_entra_tenant_id(self) -> str:
        """The organization's own Entra tenant: the app registration's home, where the provider's staff are."""
        ...

    def find(self, entra_tenant_id: str, text: str, top: int) -> list[Person]:
        """Users whose name, sign-in name or e-mail, and apps whose name, start with a word of `text`: the first
        `top` by display name (a look-up for a picker, not a listing)."""
        ...

    def user(self, entra_tenant_id: str, user_principal_name: str) -> Person | None:
        """The user with this sign-in name; None when the tenant has none."""
        ...

    def invite(self, email: str, display_name: str | None, redirect_url: str, send_message: bool) -> Invited:
        """A B2B invitation in the organization's own tenant: the guest user it makes (or had made before)."""
        ...
