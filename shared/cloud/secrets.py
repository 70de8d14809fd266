"""Secret stores: encrypted at rest in Table Storage locally; the key never leaves the settings."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from shared.errors import NotFound
from shared.models.base import ApiModel
from shared.storage.tables import EntityRepository, TableStorage

PARTITION = "secrets"


class StoredSecret(ApiModel):
    name: str
    ciphertext: str


class EncryptedTableSecretStore:
    """Fernet (AES-128-CBC + HMAC-SHA256) ciphertext in a table; plaintext only in memory."""

    def __init__(self, storage: TableStorage, key: str) -> None:
        # any passphrase works: it is stretched to the 32-byte key Fernet needs
        digest = hashlib.sha256(key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._rows = EntityRepository(storage, "Secrets", StoredSecret, kind="Secret")

    def set_secret(self, name: str, value: str) -> None:
        token = self._fernet.encrypt(value.encode()).decode()
        self._rows.put(StoredSecret(name=name, ciphertext=token), PARTITION, name)

    def get_secret(self, name: str) -> str:
        stored = self._rows.find(PARTITION, name)
        if stored is None:
            raise NotFound(f"Secret '{name}' was not found.", code="notFound", target="secret")
        try:
            return self._fernet.decrypt(stored.ciphertext.encode()).decode()
        except InvalidToken:
            raise NotFound(
                f"Secret '{name}' cannot be decrypted with the configured key; enter the password again.",
                code="secretUnreadable",
                target="adDomainPassword",
            ) from None

    def delete_secret(self, name: str) -> None:
        self._rows.delete(PARTITION, name)
