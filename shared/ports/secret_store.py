"""The secret store port: what the app keeps out of its own tables, such as domain-join passwords."""

from __future__ import annotations

from typing import Protocol


class SecretStore(Protocol):
    """Write-only secrets such as domain-join passwords (Key Vault in production)."""

    def set_secret(self, name: str, value: str) -> None: ...

    def get_secret(self, name: str) -> str: ...

    def delete_secret(self, name: str) -> None: ...
