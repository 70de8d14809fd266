"""What a service stamps a new record with: the time it is made and a fresh id, both passed in (tests fix them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

# read-only members (properties): the bundles that satisfy it are frozen dataclasses


class NewRecordPorts(Protocol):
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def new_id(self) -> Callable[[], str]: ...
