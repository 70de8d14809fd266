"""Graph change-notification subscriptions the app holds in each customer's Entra tenant (one per resource)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
