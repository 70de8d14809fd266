"""The account's table service: each table created once, on first use, and the storage round trips counted."""

from __future__ import annotations

import threading
from typing import Any

from azure.data.tables import TableClient, TableServiceClient

from shared.storage.continuation_tokens import PROCESS_TOKENS


class RequestCounter:
    """Counts storage round trips (benchmarks report Table transactions per Cloud PC): in the process, and in the
    calling thread (the process may run other work meanwhile, as the app's timers do beside a test)."""

    count = 0
    _thread = threading.local()

    @classmethod
    def hook(cls, request: Any) -> None:
        cls.count += 1
        cls._thread.count = cls.in_this_thread() + 1

    @classmethod
    def in_this_thread(cls) -> int:
        return int(getattr(cls._thread, "count", 0))


class TableStorage:
    """The account's table service; creates each table once, on first use."""

    def __init__(self, service: TableServiceClient, prefix: str = "") -> None:
        self.service = service
        self._prefix = prefix
        # signs the continuation tokens callers get; bootstrap gives it the app's key (in Key Vault)
        self.continuations = PROCESS_TOKENS
        self._ready: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    def table(self, name: str) -> TableClient:
        full_name = f"{self._prefix}{name}"
        with self._lock:
            client = self._ready.get(full_name)
            if client is None:
                self.service.create_table_if_not_exists(full_name)
                client = self.service.get_table_client(full_name)
                self._ready[full_name] = client
            return client

    def ping(self) -> None:
        """One cheap round trip, without retries; raises when storage does not answer."""
        pages = self.service.list_tables(results_per_page=1, retry_total=0, connection_timeout=3).by_page()
        next(pages, None)
