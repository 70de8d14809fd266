"""Alert rules a tenant or the organization keeps: checked whole before anything is saved (each error naming its
field), a webhook's secret kept in the secret store; an alert acknowledged by an admin, and the alerts of the tenants a
caller may read listed together."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.alerts import (
    HTTPS_URL,
    ORGANIZATION,
    THRESHOLD_UNITS,
    Alert,
    AlertChannel,
    AlertRule,
    AlertRuleCreate,
    AlertRuleKind,
    AlertRuleUpdate,
    AlertStatus,
    StoredChannel,
    TenantAlert,
    WebhookChannel,
    masked_url,
    webhook_secret_name,
)
from shared.ports.access_stores import TenantStore
from shared.ports.alerts import AlertStore, NoticeSender, webhook_may_reach
from shared.ports.secret_store import SecretStore
from shared.services.engine import mail_senders
from shared.services.engine.updates import update_with_etag
from shared.services.monitoring.alert_transitions import ALERTS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RulePorts(Protocol):
    @property
    def alerts(self) -> AlertStore: ...
    @property
    def tenants(self) -> TenantStore: ...  # where an organization rule's alerts are
    @property
    def secrets(self) -> SecretStore: ...  # a webhook's secret, write-only
    @property
    def notices(self) -> NoticeSender: ...  # whether the app can send as an e-mail channel's mailbox
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def new_id(self) -> Callable[[], str]: ...
    @property
    def resolve_host(self) -> Callable[[str], list[str]]: ...  # a webhook host's addresses (DNS)
    @property
    def private_networks(self) -> Sequence[Network]: ...  # ALERT_WEBHOOK_PRIVATE_NETWORKS


def create_alert_rule(ports: RulePorts, tenant_id: str, data: AlertRuleCreate, *, dry_run: bool = False) -> AlertRule:
    now = ports.clock()
    rule_id = ports.new_id()
    channels = _checked(ports, tenant_id, rule_id, data.kind, data.threshold, data.channels, [])
    rule = AlertRule(
        id=rule_id,
        created_date_time=now,
        last_modified_date_time=now,
        tenant_id=tenant_id,
        **data.model_dump(exclude={"channels"}),
        channels=channels,
    )
    if dry_run:
        return rule
    _keep_secrets(ports, rule, data.channels)
    return ports.alerts.put_alert_rule(rule, if_none_match=True)


def update_alert_rule(
    ports: RulePorts, tenant_id: str, rule_id: str, patch: AlertRuleUpdate, *, if_match: str | None, dry_run: bool
) -> AlertRule:
    """A merge patch: `channels`, when present, replaces the list; a webhook named again by its URL without a
    secret keeps the one it had. A secret no channel uses any more is deleted once the rule is saved."""
    fields = patch.model_dump(exclude_unset=True, exclude={"channels"})
    if "display_name" in fields and fields["display_name"] is None:
        raise ValidationFailed.of(ErrorDetail("missing", "displayName cannot be removed.", "displayName"))
    defaults = {name: AlertRule.model_fields[name].get_default() for name in ("description", "severity", "enabled")}
    fields = {name: defaults[name] if value is None and name in defaults else value for name, value in fields.items()}
    before: list[StoredChannel] = []

    def change(current: AlertRule) -> AlertRule:
        before[:] = current.channels
        threshold = fields.get("threshold", current.threshold)
        given = (patch.channels or []) if "channels" in patch.model_fields_set else None
        channels = _checked(ports, tenant_id, rule_id, current.kind, threshold, given, current.channels)
        return current.model_copy(update={**fields, "channels": channels, "last_modified_date_time": ports.clock()})

    def save(rule: AlertRule, etag: str | None) -> AlertRule:
        _keep_secrets(ports, rule, patch.channels or [])
        return ports.alerts.put_alert_rule(rule, if_match=etag)

    rule = update_with_etag(
        lambda: ports.alerts.get_alert_rule(tenant_id, rule_id), change, save, if_match=if_match, dry_run=dry_run
    )
    if not dry_run:
        _forget_secrets(ports, rule, before)
        if not rule.enabled:  # no evaluation looks at a tenant whose rules are all off: resolve its alerts now
            _resolve_open(ports, tenant_id, rule_id)
    return rule


def delete_alert_rule(ports: RulePorts, tenant_id: str, rule_id: str, *, if_match: str | None) -> None:
    """The rule, its webhooks' secrets, and its open alerts resolved: no channel is left to tell of them."""
    rule = ports.alerts.get_alert_rule(tenant_id, rule_id)
    ports.alerts.delete_alert_rule(tenant_id, rule_id, if_match=if_match or rule.etag)
    _forget_secrets(ports, rule.model_copy(update={"channels": []}), rule.channels)
    _resolve_open(ports, tenant_id, rule_id)


def _resolve_open(ports: RulePorts, tenant_id: str, rule_id: str) -> None:
    """A rule's open alerts resolved without a notice (the rule is gone or off: its admin asked for quiet); an
    organization rule's in every tenant."""
    now = ports.clock()
    holders = [tenant.id for tenant in ports.tenants.iter_tenants()] if tenant_id == ORGANIZATION else [tenant_id]
    for holder in holders:
        for alert in ports.alerts.open_alerts(holder, rule_id):
            resolved = ALERTS.move(alert, "resolve", resolved_date_time=now, last_modified_date_time=now)
            ports.alerts.put_alert(resolved, if_match=alert.etag)


def acknowledge_alert(ports: RulePorts, tenant_id: str, alert_id: str, *, by: str) -> Alert:
    """An admin has seen it: it stays open until its condition clears (a resolved alert cannot be acknowledged)."""

    def change(current: Alert) -> Alert:
        now = ports.clock()
        return ALERTS.move(
            current, "acknowledge", acknowledged_by=by, acknowledged_date_time=now, last_modified_date_time=now
        )

    def save(alert: Alert, etag: str | None) -> Alert:
        return ports.alerts.put_alert(alert, if_match=etag)

    return update_with_etag(lambda: ports.alerts.get_alert(tenant_id, alert_id), change, save, if_match=None)


def alerts_of_tenants(
    alerts: AlertStore, tenant_names: Mapping[str, str], status: AlertStatus | None, *, top: int, skip_token: str | None
) -> tuple[list[TenantAlert], str | None]:
    """The alerts of the tenants named (id to name), newest first, each with its tenant's name."""
    page, token = alerts.list_alerts_of(list(tenant_names), status=status, top=top, skip_token=skip_token)
    named = [TenantAlert(**dict(alert), tenant_name=tenant_names[alert.tenant_id]) for alert in page]
    return named, token


def _checked(
    ports: RulePorts,
    tenant_id: str,
    rule_id: str,
    kind: AlertRuleKind,
    threshold: int | None,
    channels: list[AlertChannel] | None,
    stored: list[StoredChannel],
) -> list[StoredChannel]:
    """The channels as they will be kept (`channels` None: the stored ones), once every rule holds; else one
    ValidationFailed naming each field that breaks one."""
    problems = _threshold_problems(kind, threshold)
    if channels is None:
        if problems:
            raise ValidationFailed.of(*problems)
        return stored
    secrets = {channel.url for channel in stored if channel.kind == "webhook" and channel.secret_set}
    teams = {channel.url for channel in stored if channel.kind == "teams" and channel.secret_set}
    kept = []
    for index, channel in enumerate(channels):
        where = f"channels[{index}]"
        if channel.kind == "email":
            if tenant_id == ORGANIZATION:  # a customer's mailbox is the customer's, not the provider's to send from
                problems.append(
                    ErrorDetail(
                        "channelNotForOrganization",
                        "An organization rule notifies through "
                        "webhooks and Teams only: e-mail is sent from a mailbox of a tenant's "
                        "own.",
                        f"{where}.kind",
                    )
                )
            else:
                problems += mail_senders.sender_problems(ports.notices, tenant_id, channel.mailbox, f"{where}.mailbox")
            kept.append(StoredChannel(kind="email", mailbox=channel.mailbox, to=channel.to))
            continue
        if channel.kind == "teams":  # its address is its secret: a masked one sent back keeps the one stored
            if channel.url not in teams:
                problems += _url_problems(ports, channel.url, f"{where}.url")
            kept.append(StoredChannel(kind="teams", url=_masked(channel.url, teams), secret_set=True))
            continue
        problems += _url_problems(ports, channel.url, f"{where}.url")
        if isinstance(channel, WebhookChannel) and channel.secret is None and channel.url not in secrets:
            problems.append(
                ErrorDetail(
                    "secretRequired",
                    "A new webhook needs a secret: each notice is signed with it (HMAC-SHA256).",
                    f"{where}.secret",
                )
            )
        kept.append(StoredChannel(kind="webhook", url=channel.url, secret_set=True))
    if problems:
        raise ValidationFailed.of(*problems)
    return kept


def _threshold_problems(kind: AlertRuleKind, threshold: int | None) -> list[ErrorDetail]:
    unit = THRESHOLD_UNITS.get(kind)
    # in an admin's words: the portal shows the message at the field, beside the kind's own sentence
    if unit is not None and threshold is None:
        return [ErrorDetail("thresholdRequired", f"A rule of this kind needs a threshold, in {unit}.", "threshold")]
    if unit is None and threshold is not None:
        return [
            ErrorDetail("thresholdNotAllowed", "A rule of this kind takes no threshold: leave it empty.", "threshold")
        ]
    return []


def _url_problems(ports: RulePorts, url: str, target: str) -> list[ErrorDetail]:
    """An https URL whose host is public: a rule must not make the app call into its own network (SSRF), unless
    that network is one the settings allow; a name is judged by every address it resolves to now."""
    if not re.fullmatch(HTTPS_URL, url):  # the pattern the schema states, to the last character
        return [ErrorDetail("httpsRequired", "The URL must be https://, with a host name.", target)]
    host = urlsplit(url).hostname or ""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(address.split("%")[0]) for address in ports.resolve_host(host)]
        except (OSError, UnicodeError):  # no such name, or one DNS cannot encode (a name over 253 characters)
            addresses = []
        if not addresses:
            return [ErrorDetail("hostNotFound", f"The URL's host '{host}' does not resolve.", target)]
    refused = [address for address in addresses if not webhook_may_reach(address, ports.private_networks)]
    if refused:
        return [
            ErrorDetail(
                "privateAddress",
                f"The URL's host '{host}' is not a public address "
                f"({refused[0]}): the app sends notices only to public endpoints.",
                target,
            )
        ]
    return []


def _masked(url: str, stored: set[str | None]) -> str:
    return url if url in stored else masked_url(url)


def _keep_secrets(ports: RulePorts, rule: AlertRule, given: list[AlertChannel]) -> None:
    """Each webhook secret and new Teams address given, under the name its rule and (masked) URL have; neither is
    ever logged or returned."""
    stored = {channel.url for channel in rule.channels}
    for channel in given:
        if isinstance(channel, WebhookChannel) and channel.secret is not None:
            ports.secrets.set_secret(webhook_secret_name(rule.tenant_id, rule.id, channel.url), channel.secret)
        elif channel.kind == "teams" and masked_url(channel.url) in stored:
            ports.secrets.set_secret(webhook_secret_name(rule.tenant_id, rule.id, masked_url(channel.url)), channel.url)


def _forget_secrets(ports: RulePorts, rule: AlertRule, before: list[StoredChannel]) -> None:
    """The secrets of the webhooks `before` had and `rule` has no more."""
    still = {channel.url for channel in rule.channels if channel.secret_set}
    for channel in before:
        if channel.secret_set and channel.url and channel.url not in still:
            ports.secrets.delete_secret(webhook_secret_name(rule.tenant_id, rule.id, channel.url))
