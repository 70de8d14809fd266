"""Alert rules a tenant sets, the alerts they raise, and the notices their channels carry."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, StrictBool, StringConstraints, model_validator

from shared.models.base import NOT_A_TRUTH_VALUE, ApiModel, Description, DisplayName, InputModel, Resource, union_tags
from shared.models.json_schema import JsonSchemaKeywords

# What a rule watches. Each kind is a condition over what the app already stores, so an alert is raised while the
# condition holds and resolved when it clears; `threshold` is what the kinds in THRESHOLD_UNITS need.
AlertRuleKind = Literal[
    "provisioningFailed",  # Cloud PCs of a policy that failed provisioning, grouped by policy and error code
    "provisionedWithWarnings",  # provisioned, with post-provisioning warnings, grouped by policy and warning code
    "connectionUnhealthy",  # a connection whose last health check failed
    "imageBuildFailed",  # a device image's or an image set version's build failed
    "spotGroupRolledBack",  # a Spot Group's last update rolled back
    "spotHostUnhealthy",  # a Spot Group's session host unhealthy (per group)
    "spotHostEvicted",  # Spot hosts evicted within the last `threshold` hours (per group)
    "licensesLow",  # a service plan with fewer than `threshold` licenses free
    "graceEndingSoon",  # Cloud PCs whose grace period ends within `threshold` hours
    "onboardingNotReady",  # the tenant's onboarding report no longer ready (a consent or role withdrawn)
    "reclaimAnnounced",  # Cloud PCs announced for reclaim: unused for the tenant's reclaim days
]
# the tenantId (and partition) of the organization's rules, which apply to every tenant and keep their alerts in each
# tenant's own; no tenant has it, as a tenant's id is a GUID
ORGANIZATION = "~organization"
THRESHOLD_UNITS: dict[str, str] = {"licensesLow": "licenses", "graceEndingSoon": "hours", "spotHostEvicted": "hours"}
Severity = Literal["critical", "warning", "informational"]
AlertStatus = Literal["active", "acknowledged", "resolved"]
AlertEvent = Literal["raised", "resolved"]  # what a channel is told

# a host name of DNS labels (each 1-63 letters, digits or inner hyphens), an optional port, then a path or nothing:
# anchored at both ends, no white space or control character anywhere (a NUL at the end included)
HTTPS_URL = r"^https://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f]*)?$"
# a webhook's signing secret: no control character, and no white space at either end (a pasted one's would not sign)
SECRET = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"


# stated in the schema, so a client knows before it sends; the rules service judges it with the rule's other problems
# (alert_rules._url_problems), and the host's addresses as DNS answers when the rule is saved
Threshold = Annotated[int, Field(ge=0, le=100_000), NOT_A_TRUTH_VALUE]
# neither is trimmed (the request bodies' default): the schema's pattern is the whole rule, spaces included
HttpsUrl = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=9, max_length=2048), JsonSchemaKeywords(pattern=HTTPS_URL)
]
# not trimmed either: a secret pasted with a space would be kept without it, and sign nothing the receiver checks
WebhookSecret = Annotated[str, StringConstraints(strip_whitespace=False, min_length=16, max_length=256, pattern=SECRET)]
# a user principal name or e-mail address: a mailbox of the customer's tenant, as Graph's sendMail takes it
Mailbox = Annotated[
    str,
    StringConstraints(
        strip_whitespace=False,
        min_length=3,
        max_length=256,
        pattern=r"^[A-Za-z0-9._%+'#-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
    ),
]


class WebhookChannel(InputModel):
    """An HTTPS endpoint of the tenant's: each notice is POSTed as JSON, signed with HMAC-SHA256 over the body."""

    kind: Literal["webhook"]
    url: HttpsUrl
    secret: WebhookSecret | None = Field(default=None, description="Write-only: kept in Key Vault, never returned.")


class TeamsChannel(InputModel):
    """A Microsoft Teams incoming webhook: each notice is posted as a card."""

    kind: Literal["teams"]
    url: HttpsUrl


class EmailChannel(InputModel):
    """E-mail sent through Graph's sendMail from a mailbox of the tenant's own."""

    kind: Literal["email"]
    mailbox: Mailbox  # the sender: a user or shared mailbox in the customer's tenant
    to: list[Mailbox] = Field(min_length=1, max_length=20)


AlertChannel = Annotated[WebhookChannel | TeamsChannel | EmailChannel, Field(discriminator="kind")]
union_tags(WebhookChannel, TeamsChannel, EmailChannel, by="kind")


class AlertRuleFields(InputModel):
    display_name: DisplayName
    description: Description = ""
    kind: AlertRuleKind
    severity: Severity = "warning"
    threshold: Threshold | None = None
    enabled: StrictBool = True
    channels: list[AlertChannel] = Field(default_factory=list, max_length=10)


class AlertRuleCreate(AlertRuleFields):
    pass


class AlertRuleUpdate(InputModel):
    display_name: DisplayName | None = None
    description: Description | None = None
    severity: Severity | None = None
    threshold: Threshold | None = None
    enabled: StrictBool | None = None
    channels: list[AlertChannel] | None = Field(default=None, max_length=10)


def webhook_secret_name(tenant_id: str, rule_id: str, url: str) -> str:
    """Where a webhook's secret is kept in Key Vault: one per rule and URL, so a rule saved again with the same URL
    and no secret keeps it, wherever the channel moved in the list (Key Vault names: letters, digits and dashes)."""
    return f"alert-{tenant_id}-{rule_id}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def masked_url(url: str) -> str:
    """How a Teams incoming webhook's address is kept and shown: its host and a short digest. The address itself is
    a credential (whoever holds it can post to the channel), so it lives in Key Vault; the digest tells two apart,
    and a masked address sent back unchanged keeps the one stored."""
    host = urlsplit(url).hostname or ""
    return f"https://{host}/…{hashlib.sha256(url.encode()).hexdigest()[:8]}"


class StoredChannel(ApiModel):
    """A channel as kept and returned: a webhook's signing secret, and a Teams channel's whole address (its `url`
    here is masked_url), live in Key Vault under `secret_name` (set by its rule from `url` whenever `secret_set`),
    never here."""

    kind: Literal["webhook", "teams", "email"]
    url: str | None = None
    mailbox: str | None = None
    to: list[str] = Field(default_factory=list)
    secret_set: bool = False
    secret_name: str | None = Field(default=None, exclude=True)


class AlertRule(Resource):
    tenant_id: str = Field(
        description=f"The tenant's id; `{ORGANIZATION}` for an organization's rule, which applies to every tenant."
    )
    display_name: str
    description: str = ""
    kind: AlertRuleKind
    severity: Severity
    threshold: int | None = None
    enabled: StrictBool = True
    channels: list[StoredChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _secret_names(self) -> AlertRule:
        # copies, never the channels given: a caller's objects (a list shared between rules) keep their own names
        self.channels = [
            channel.model_copy(update={"secret_name": webhook_secret_name(self.tenant_id, self.id, channel.url)})
            if channel.secret_set and channel.url
            else channel
            for channel in self.channels
        ]
        return self


class ChannelDelivery(ApiModel):
    """How one channel's notice of one event fared."""

    channel: int  # its index in the rule's channels
    kind: Literal["webhook", "teams", "email"]
    event: AlertEvent
    status: Literal["pending", "delivered", "failed"] = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt_date_time: datetime | None = None
    delivered_date_time: datetime | None = None


NEWEST_FIRST_MS = 10**13  # past the year 2286 in milliseconds: an alert id's first 13 digits count down to it


def alert_id(raised: datetime, unique: str) -> str:
    """An alert's id, which sorts a tenant's alerts newest first: the milliseconds left until NEWEST_FIRST_MS, then
    what keeps two raised in the same millisecond apart."""
    millis = int(raised.astimezone(UTC).timestamp() * 1000)
    return f"{NEWEST_FIRST_MS - millis:013d}-{unique.replace('-', '')[-12:]}"


class Alert(Resource):
    """One occurrence of a rule's condition for one subject: raised once, repeated sightings counted, acknowledged by
    an admin, resolved when the condition clears. A new occurrence after resolution is a new alert."""

    tenant_id: str
    rule_id: str
    kind: AlertRuleKind
    severity: Severity
    subject: str  # what the condition is about, the deduplication key with the rule (e.g. `policy:<id>:QuotaExceeded`)
    subject_name: str  # the subject in an admin's words
    summary: str  # one sentence, in an admin's words
    count: int = 1  # how many items the subject covers now (Cloud PCs, hosts, licenses short)
    items: list[str] = Field(default_factory=list, max_length=50)  # ids of some of them
    status: AlertStatus = "active"
    raised_date_time: datetime
    last_seen_date_time: datetime
    acknowledged_date_time: datetime | None = None
    acknowledged_by: str | None = None
    resolved_date_time: datetime | None = None
    deliveries: list[ChannelDelivery] = Field(default_factory=list)


class TenantAlert(Alert):
    """An alert listed among other tenants' alerts: with its tenant's name."""

    tenant_name: str


class AlertNotice(ApiModel):
    """What a channel is told of an alert: the body a webhook receives, and the content of a card or an e-mail."""

    event: AlertEvent
    tenant_id: str
    alert_id: str
    rule_id: str
    rule_name: str
    kind: AlertRuleKind
    severity: Severity
    subject: str
    subject_name: str
    summary: str
    count: int
    status: AlertStatus
    raised_date_time: datetime
    resolved_date_time: datetime | None = None
    portal_url: str | None = None  # the alert in the portal, where the app knows its address


class AlertDelivery(ApiModel):
    """The queue message that carries one notice to one channel; a failed one is sent again later, with backoff."""

    tenant_id: str
    alert_id: str
    channel: int
    event: AlertEvent
    attempt: int = 1
