"""A per-tenant token bucket in Table Storage, like Azure's limit on VM creates (1,500, refill 500/min)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from shared.cloud.simulated.latency import Clock
from shared.cloud.simulated.models import SimTokenBucket
from shared.errors import Conflict, NotFound, PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

MAX_ATTEMPTS = 20  # optimistic-concurrency retries before giving up on a hot bucket


class TokenBucket:
    """`take` spends one token now or gives the caller a turn later; etags keep concurrent processes honest."""

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
        self._turns: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def take(self, tenant_id: str, caller: str) -> float:
        """0 when `caller` may go now; otherwise the seconds until its turn.

        A caller that must wait is given a turn, its token borrowed from the refill to come, so waiting
        callers come back one refill apart instead of all retrying for the next token. Turns are kept in
        this process: after a restart a caller simply queues again.
        """
        with self._lock:
            turn = self._turns.get((tenant_id, caller))
            if turn is not None:
                wait = (turn - self._clock()).total_seconds()
                if wait > 0:
                    return wait
                del self._turns[(tenant_id, caller)]
                return 0.0
            balance = self._spend(tenant_id, 1)
            if balance is None:  # contention this high is itself throttling: come back shortly
                return 1 / self._per_second
            if balance >= 0:
                return 0.0
            wait = -balance / self._per_second
            self._turns[(tenant_id, caller)] = self._clock() + timedelta(seconds=wait)
            return wait

    def give_back(self, tenant_id: str, caller: str) -> None:
        """The caller's turn is not needed after all (the VM already exists): its token goes back."""
        with self._lock:
            if self._turns.pop((tenant_id, caller), None) is not None:
                self._spend(tenant_id, -1)

    def _spend(self, tenant_id: str, tokens_spent: int) -> float | None:
        """The balance after spending (below zero: borrowed); None if other processes kept winning the row.

        The bucket is remembered with its etag and this process's callers take turns, so spending is one
        conditional write; a stale etag (another process spent a token) costs a read and another count.
        """
        bucket = self._known.get(tenant_id)
        for _ in range(MAX_ATTEMPTS):
            now = self._clock()
            if bucket is None:
                tokens = self._capacity  # a tenant never seen starts with a full bucket
            else:
                elapsed = max((now - bucket.updated_date_time).total_seconds(), 0.0)
                tokens = min(self._capacity, bucket.tokens + elapsed * self._per_second)
            spent = SimTokenBucket(tokens=tokens - tokens_spent, updated_date_time=now)
            try:
                if bucket is None:
                    self._known[tenant_id] = self._rows.put(spent, tenant_id, self._name, if_none_match=True)
                else:
                    self._known[tenant_id] = self._rows.put(spent, tenant_id, self._name, if_match=bucket.etag)
            except (Conflict, PreconditionFailed, NotFound):
                bucket = self._rows.find(tenant_id, self._name)  # another process spent a token: count again
                continue
            return spent.tokens
        return None
