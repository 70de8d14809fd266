"""A per-tenant token bucket in Table Storage, like Azure's limit on VM creates (1,500, refill 500/min)."""

from __future__ import annotations

import threading

from shared.cloud.simulated.latency import Clock
from shared.cloud.simulated.models import SimTokenBucket
from shared.errors import Conflict, NotFound, PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

MAX_ATTEMPTS = 20  # optimistic-concurrency retries before giving up on a hot bucket


class TokenBucket:
    """`take` spends one token or says how long until one is there; etags keep concurrent callers honest."""

    def __init__(
        self,
        storage: TableStorage,
        name: str,
        clock: Clock,
        *,
        per_minute: float = 500,
        capacity: float = 1500,
    ) -> None:
        if per_minute <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive refill rate and room for at least one token")
        self._rows = EntityRepository(storage, "SimThrottle", SimTokenBucket, kind="Token bucket")
        self._name = name
        self._clock = clock
        self._per_second = per_minute / 60
        self._capacity = capacity
        self._known: dict[str, SimTokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, tenant_id: str) -> float:
        """0 when a token was spent; otherwise the seconds until the next token (nothing is spent).

        The bucket is remembered with its etag and this process's callers take turns, so a take is one
        conditional write; a stale etag (another process spent a token) costs a read and another count.
        """
        with self._lock:
            bucket = self._known.get(tenant_id)
            for _ in range(MAX_ATTEMPTS):
                now = self._clock()
                if bucket is None:
                    tokens = self._capacity  # a tenant never seen starts with a full bucket
                else:
                    elapsed = max((now - bucket.updated_date_time).total_seconds(), 0.0)
                    tokens = min(self._capacity, bucket.tokens + elapsed * self._per_second)
                if tokens < 1:
                    return (1 - tokens) / self._per_second
                spent = SimTokenBucket(tokens=tokens - 1, updated_date_time=now)
                try:
                    if bucket is None:
                        self._known[tenant_id] = self._rows.put(spent, tenant_id, self._name, if_none_match=True)
                    else:
                        self._known[tenant_id] = self._rows.put(spent, tenant_id, self._name, if_match=bucket.etag)
                except (Conflict, PreconditionFailed, NotFound):
                    bucket = self._rows.find(tenant_id, self._name)  # another caller spent a token: count again
                    continue
                return 0.0
        # contention this high is itself throttling: ask the caller to come back shortly
        return 1 / self._per_second
