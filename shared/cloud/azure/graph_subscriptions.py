"""Graph change-notification subscriptions (`/subscriptions`): create, renew and delete, per Entra tenant."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.cloud.azure.graph_client import GraphClients, GraphError, error_of

STEP = "directorySubscriptions"
CHANGE_TYPES = "updated,deleted"  # a license or membership change, or the object's removal


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def parse_graph_time(value: str) -> datetime:
    # Graph writes seven fractional digits; Python reads at most six
    head, _, rest = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00" if rest else f"{head}+00:00")


class GraphSubscriptionsApi:
    """The SubscriptionApi of shared.services.access.directory_subscriptions over Graph."""

    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients

    def create(
        self,
        entra_tenant_id: str,
        resource: str,
        notification_url: str,
        lifecycle_url: str,
        client_state: str,
        expires: datetime,
    ) -> tuple[str, datetime]:
        """Graph validates both URLs (its handshake) before it answers; the new id and expiry."""
        body = {
            "changeType": CHANGE_TYPES,
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": lifecycle_url,
            "resource": resource,
            "expirationDateTime": graph_time(expires),
            "clientState": client_state,
            "latestSupportedTlsVersion": "v1_2",
        }
        created = self._clients.client_for_entra(entra_tenant_id).call("POST", "subscriptions", step=STEP, body=body)
        return str(created["id"]), parse_graph_time(str(created["expirationDateTime"]))

    def renew(self, entra_tenant_id: str, subscription_id: str, expires: datetime) -> datetime | None:
        """The new expiry, or None when Graph no longer has the subscription (expired or removed)."""
        client = self._clients.client_for_entra(entra_tenant_id)
        try:
            renewed = client.call(
                "PATCH", f"subscriptions/{subscription_id}", step=STEP, body={"expirationDateTime": graph_time(expires)}
            )
        except GraphError as exc:
            if exc.status == 404:
                return None
            raise
        return parse_graph_time(str(renewed["expirationDateTime"]))

    def delete(self, entra_tenant_id: str, subscription_id: str) -> None:
        client = self._clients.client_for_entra(entra_tenant_id)
        response = client.send("DELETE", f"subscriptions/{subscription_id}", step=STEP)
        if response.status_code >= 400 and response.status_code != 404:  # 404: gone already
            raise error_of(STEP, response)
