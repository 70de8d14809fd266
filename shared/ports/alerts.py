"""The alert ports: rules and alerts kept in tables, the queue that carries notices, and the channels that send them."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Literal, Protocol

from shared.models.alerts import Alert, AlertDelivery, AlertRule, AlertStatus
from shared.models.summary import OpenAlert


class AlertStore(Protocol):
    def get_alert_rule(self, tenant_id: str, rule_id: str) -> AlertRule: ...

    def list_alert_rules(
        self, tenant_id: str, *, top: int | None = None, skip_token: str | None = None
    ) -> tuple[list[AlertRule], str | None]: ...

    def list_all_alert_rules(self, tenant_id: str) -> list[AlertRule]: ...

    def tenants_with_enabled_rules(self) -> list[str]:
        """The tenants with an enabled rule (ORGANIZATION: an organization rule), reading the rules' keys only."""
        ...

    def put_alert_rule(
        self, rule: AlertRule, *, if_match: str | None = None, if_none_match: bool = False
    ) -> AlertRule: ...

    def delete_alert_rule(self, tenant_id: str, rule_id: str, *, if_match: str | None = None) -> None: ...

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert: ...

    def list_alerts(
        self,
        tenant_id: str,
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]: ...

    def list_alerts_of(
        self,
        tenant_ids: list[str],
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        """The alerts of these tenants together, newest first."""
        ...

    def open_alerts(self, tenant_id: str, rule_id: str) -> list[Alert]:
        """The rule's alerts not yet resolved: the ones a new sighting deduplicates against."""
        ...

    def count_open_alerts(self, tenant_id: str) -> int:
        """Active and acknowledged alerts, in one query."""
        ...

    def count_open_alerts_per_tenant(self) -> dict[str, int]:
        """count_open_alerts of every tenant that has any, in one query across tenants."""
        ...

    def open_alert_severities(self, tenant_id: str) -> list[OpenAlert]:
        """The open (active and acknowledged) alerts' ids and severities, in one query."""
        ...

    def open_alert_severities_per_tenant(self) -> dict[str, list[OpenAlert]]:
        """open_alert_severities of every tenant that has any, in one query across tenants."""
        ...

    def put_alert(self, alert: Alert, *, if_match: str | None = None, if_none_match: bool = False) -> Alert:
        """Create-only (`if_none_match`) raises it: Conflict when its rule and subject have an open alert already,
        so two evaluations at once raise it once; a write that resolves it lets the next sighting raise a new one."""
        ...


class AlertDeliveryQueue(Protocol):
    def enqueue_alert_delivery(self, delivery: AlertDelivery, delay_s: float = 0.0) -> None: ...


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# a host's addresses as DNS answers now (the port an address is for given too, as getaddrinfo takes it)
ResolveHost = Callable[[str, int], Awaitable[list[str]]]
AZURE_PLATFORM_ADDRESS = ipaddress.ip_address("168.63.129.16")


def internal(address: IpAddress) -> bool:
    """Not a public endpoint: any address not globally reachable (private, loopback, link-local, reserved, the
    shared address space 100.64.0.0/10 of carrier NAT), multicast, and Azure's platform address, which answers only
    from inside Azure (learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return internal(address.ipv4_mapped)
    return not address.is_global or address.is_multicast or address == AZURE_PLATFORM_ADDRESS


def webhook_may_reach(address: IpAddress, private_networks: Sequence[IpNetwork]) -> bool:
    """The one rule of where a notice may go, when a rule is saved and at each delivery: a public address, or one of
    the networks the settings allow (ALERT_WEBHOOK_PRIVATE_NETWORKS, empty in production)."""
    allowed = any(address.version == network.version and address in network for network in private_networks)
    return allowed or not internal(address)


# what Exchange Online makes of a mailbox the app is to send as: it can (`canSend`); no such user (`noUser`); a user
# without an Exchange Online mailbox (`noMailbox`); a mailbox an application access policy keeps the app from
# (`policyExcludes`); or a user whose mailbox the app may not look at, lacking MailboxSettings.Read (`userExists`)
SenderStanding = Literal["canSend", "noUser", "noMailbox", "policyExcludes", "userExists"]


def mailbox_refusal(code: str, message: str) -> SenderStanding | None:
    """What a refusal of a mail call says of the mailbox itself, None when it is not about the mailbox: no retry can
    help it. The status and code of a user without a mailbox: https://learn.microsoft.com/exchange/troubleshoot/
    user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error; an application access policy's
    refusal, told from Exchange's other `ErrorAccessDenied` (a permission the app lacks) by its message:
    https://learn.microsoft.com/graph/auth-limit-mailbox-access, "Handling API errors"."""
    if code == "ErrorInvalidUser":
        return "noUser"
    if code in ("MailboxNotEnabledForRESTAPI", "MailboxNotSupportedForRESTAPI"):
        return "noMailbox"
    if code == "ErrorAccessDenied" and "odata is disabled" in message.casefold():
        return "policyExcludes"
    return None


class NoticeSender(Protocol):
    """Sends a notice out of the app: an HTTPS POST to a webhook (a tenant's endpoint or a Teams incoming webhook),
    or an e-mail through Graph from a mailbox of the customer's. Each raises a CloudError on refusal or failure."""

    async def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Within a total deadline, reading a capped part of the answer, and only to an address that
        webhook_may_reach at the moment of connecting (a name is resolved again at each call)."""
        ...

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None: ...

    def sender_standing(self, tenant_id: str, mailbox: str) -> SenderStanding:
        """Whether the app can send as `mailbox`, asked of its mailbox without sending anything."""
        ...
