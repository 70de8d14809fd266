"""Graph change-notification subscriptions the app holds in each customer's Entra tenant (one per resource)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from shared.models.base import ApiModel

SubscribedResource = Literal["users", "groups"]


class DirectorySubscription(ApiModel):
    id: str  # Graph's subscription id
    tenant_id: str  # the app's tenant
    entra_tenant_id: str  # the Entra tenant Graph notifies about (the subscription lives there)
    resource: SubscribedResource
    client_state_hash: str  # SHA-256 of the clientState sent to Graph; the clientState itself is never stored
    expiration_date_time: datetime
    created_date_time: datetime


class ChangeNotificationCollection(ApiModel):
    """What Graph posts to the webhooks: its notifications in `value`.

    Only for the document: the webhooks read the JSON themselves, and are lenient as Graph's contract asks. A
    notification counts only when its subscriptionId and clientState match a subscription this app made; other
    items (not objects, unknown subscriptions) and other fields are ignored.
    """

    model_config = ConfigDict(extra="allow", title="ChangeNotificationCollection")

    value: list[Any] = Field(description="Change notifications (or lifecycle notifications) as Graph sends them.")
