"""Alert rules and alerts, partition = tenant: an alert's row key is its id (newest first); while it is open a marker
row `~open|<rule>|<subject digest>` holds its id, written and removed in one transaction with it."""

from __future__ import annotations

import hashlib
import heapq
from itertools import islice

from azure.core import MatchConditions
from azure.data.tables import TableTransactionError, TransactionOperation, UpdateMode

from shared.errors import Conflict, PreconditionFailed
from shared.models.alerts import Alert, AlertRule, AlertStatus, Severity
from shared.models.base import ApiModel
from shared.models.summary import OpenAlert
from shared.storage.table_service import TableStorage
from shared.storage.tables import MAX_PAGE, EntityRepository

# after every alert id (they begin with digits): a key range below it holds alerts only, one from it markers only
OPEN = "~open|"
IN_PARTITION = "PartitionKey eq @t"
MARKERS = "RowKey ge @lower and RowKey lt @upper"
MARKER_RANGE = {"lower": OPEN, "upper": OPEN[:-1] + chr(ord("|") + 1)}  # every key that starts with OPEN


class OpenMarker(ApiModel):
    """The open alert of one rule and subject: create-only, so two evaluations at once raise it once."""

    alert_id: str
    severity: Severity | None = None  # the alert's, so a summary ranks the open alerts from the markers alone
    etag: str | None = None


def marker_key(rule_id: str, subject: str) -> str:
    return f"{OPEN}{rule_id}|{hashlib.sha256(subject.encode()).hexdigest()[:32]}"


class AlertRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rules = EntityRepository(storage, "AlertRules", AlertRule, kind="Alert rule")
        self._alerts = EntityRepository(storage, "Alerts", Alert, kind="Alert")
        self._markers = EntityRepository(storage, "Alerts", OpenMarker, kind="Alert")

    # rules
    def get_alert_rule(self, tenant_id: str, rule_id: str) -> AlertRule:
        return self._rules.get(tenant_id, rule_id, target="alertRuleId")

    def list_alert_rules(
        self, tenant_id: str, *, top: int | None = None, skip_token: str | None = None
    ) -> tuple[list[AlertRule], str | None]:
        return self._rules.page(IN_PARTITION, {"t": tenant_id}, top=top or 100, skip_token=skip_token)

    def list_all_alert_rules(self, tenant_id: str) -> list[AlertRule]:
        return list(self._rules.scan(IN_PARTITION, {"t": tenant_id}))

    def tenants_with_enabled_rules(self) -> list[str]:
        """One query over the rules' partition keys only: the tenants an evaluation has work in."""
        return sorted(self._rules.count_by("PartitionKey", "enabled eq true"))

    def put_alert_rule(self, rule: AlertRule, *, if_match: str | None = None, if_none_match: bool = False) -> AlertRule:
        return self._rules.put(rule, rule.tenant_id, rule.id, if_match=if_match, if_none_match=if_none_match)

    def delete_alert_rule(self, tenant_id: str, rule_id: str, *, if_match: str | None = None) -> None:
        self._rules.delete(tenant_id, rule_id, if_match=if_match)

    # alerts
    def get_alert(self, tenant_id: str, alert_id: str) -> Alert:
        if alert_id.startswith(OPEN):
            alert_id = ""  # a marker's key is no alert's id
        return self._alerts.get(tenant_id, alert_id, target="alertId")

    def list_alerts(
        self,
        tenant_id: str,
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        """Newest first (the ids sort so); `status` filters in the query."""
        query = f"{IN_PARTITION} and RowKey lt @open" + (" and status eq @s" if status else "")
        parameters = {"t": tenant_id, "open": OPEN, **({"s": status} if status else {})}
        return self._alerts.page(query, parameters, top=top or 100, skip_token=skip_token)

    def list_alerts_of(
        self,
        tenant_ids: list[str],
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        """Newest first across the tenants, as ids sort alike in every partition: one query per tenant, merged,
        each reading on only while its alerts are taken; the token holds the last id given."""
        top = top or 100
        after = self._alerts.continuations.decode(skip_token) or {}
        query = f"{IN_PARTITION} and RowKey gt @after and RowKey lt @open" + (" and status eq @s" if status else "")
        parameters = {"after": str(after.get("after", "")), "open": OPEN, **({"s": status} if status else {})}
        newest = (
            self._alerts.scan(query, {**parameters, "t": tenant_id}, per_page=min(top + 1, MAX_PAGE))
            for tenant_id in tenant_ids
        )
        taken = list(islice(heapq.merge(*newest, key=lambda alert: alert.id), top + 1))
        if len(taken) <= top:
            return taken, None
        return taken[:top], self._alerts.continuations.encode({"after": taken[top - 1].id})

    def open_alerts(self, tenant_id: str, rule_id: str) -> list[Alert]:
        """The rule's alerts not yet resolved: its markers' key range, then each alert by its key."""
        lower = f"{OPEN}{rule_id}|"
        upper = lower[:-1] + chr(ord("|") + 1)
        between = {"t": tenant_id, "lower": lower, "upper": upper}
        markers = self._markers.scan(f"{IN_PARTITION} and RowKey ge @lower and RowKey lt @upper", between)
        found = (self._alerts.find(tenant_id, marker.alert_id) for marker in markers)
        return [alert for alert in found if alert is not None and alert.status != "resolved"]

    def count_open_alerts(self, tenant_id: str) -> int:
        """Active and acknowledged alerts: the markers counted, in one query that reads their keys only."""
        keys = self._markers.row_keys(f"{IN_PARTITION} and {MARKERS}", {"t": tenant_id, **MARKER_RANGE})
        return sum(1 for _ in keys)

    def open_alert_severities(self, tenant_id: str) -> list[OpenAlert]:
        """The open alerts' ids and severities, read from their markers (one query reading those columns)."""
        return self._open(f"{IN_PARTITION} and {MARKERS}", {"t": tenant_id, **MARKER_RANGE}).get(tenant_id, [])

    def open_alert_severities_per_tenant(self) -> dict[str, list[OpenAlert]]:
        """open_alert_severities of every tenant that has any, in one query across them."""
        return self._open(MARKERS, MARKER_RANGE)

    def _open(self, query: str, parameters: dict[str, str]) -> dict[str, list[OpenAlert]]:
        found: dict[str, list[OpenAlert]] = {}
        for row in self._markers.columns(["PartitionKey", "alertId", "severity"], query, parameters):
            tenant_id, alert_id, severity = row["PartitionKey"], row["alertId"], row["severity"]
            if severity is None:  # a marker written before markers kept it: the alert has it
                alert = self._alerts.find(tenant_id, alert_id)
                if alert is None:
                    continue
                severity = alert.severity
            found.setdefault(tenant_id, []).append(OpenAlert(alert_id=alert_id, severity=severity))
        return found

    def count_open_alerts_per_tenant(self) -> dict[str, int]:
        """count_open_alerts for every tenant, in one query across them that reads the markers' partition keys."""
        return dict(self._markers.count_by("PartitionKey", MARKERS, MARKER_RANGE))

    def put_alert(self, alert: Alert, *, if_match: str | None = None, if_none_match: bool = False) -> Alert:
        """Create-only raises the alert with its marker (Conflict: its rule and subject have an open one already);
        a write that resolves it removes the marker in the same transaction; any other write is the row's alone."""
        key = marker_key(alert.rule_id, alert.subject)
        if if_none_match:
            marker = self._markers.codec.to_entity(
                OpenMarker(alert_id=alert.id, severity=alert.severity), alert.tenant_id, key
            )
            return self._transact(alert, [(TransactionOperation.CREATE, marker)], create=True)
        if alert.status == "resolved" and if_match:
            held = self._markers.find(alert.tenant_id, key)
            if held is not None and held.alert_id == alert.id:
                entity = {"PartitionKey": alert.tenant_id, "RowKey": key}
                release = (TransactionOperation.DELETE, entity, self._unchanged(held.etag))
                return self._transact(alert, [release], create=False, if_match=if_match)
        return self._alerts.put(alert, alert.tenant_id, alert.id, if_match=if_match, if_none_match=if_none_match)

    def _transact(self, alert: Alert, others: list[tuple], *, create: bool, if_match: str | None = None) -> Alert:
        entity = self._alerts.codec.to_entity(alert, alert.tenant_id, alert.id)
        write = (
            (TransactionOperation.CREATE, entity)
            if create
            else (TransactionOperation.UPDATE, entity, {"mode": UpdateMode.REPLACE, **self._unchanged(if_match)})
        )
        try:
            answers = self._alerts.table.submit_transaction([write, *others])
        except TableTransactionError as exc:
            if create:
                raise Conflict(
                    f"Rule '{alert.rule_id}' has an open alert for '{alert.subject}' already.",
                    code="alreadyExists",
                    target="id",
                ) from exc
            raise PreconditionFailed.stale("Alert", alert.id) from exc
        return alert.model_copy(update={"etag": answers[0].get("etag")})

    @staticmethod
    def _unchanged(etag: str | None) -> dict[str, object]:
        return {"etag": etag, "match_condition": MatchConditions.IfNotModified}
