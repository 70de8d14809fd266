"""Entra ID credentials: the app's own identity, and the multi-tenant app registration in each customer's tenant or,
for a customer who delegated its Azure through Azure Lighthouse, in the app's own tenant."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AzureAuthorityHosts,
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
)

from shared.cloud.azure.transport import ENTRA_PATIENCE
from shared.ports.cloud_errors import NOT_LINKED, CloudError
from shared.settings import Settings, setting_name

# Entra's refusal of a token in a tenant where no admin consented to the app: no service principal there, or consent
# not granted (https://learn.microsoft.com/entra/identity-platform/reference-error-codes)
NOT_CONSENTED = ("AADSTS700016", "AADSTS65001")
# how long Entra's "no consent" answer stands for a tenant before a token is asked of it again: every write to a tenant
# nobody consented in would otherwise ask Entra (and log the refusal) again, while an admin who has just consented
# retries within seconds (the consent check forgets the refusal at once)
CONSENT_REFUSAL_KEPT_S = 5.0
log = logging.getLogger(__name__)
TOKEN_EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"  # the audience a federated identity credential trusts
ARM_SCOPE = "https://management.azure.com/.default"  # what the ARM SDKs ask a token for, whatever their endpoint
KNOWN_AUTHORITY_HOSTS = frozenset(
    {
        AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
        AzureAuthorityHosts.AZURE_GOVERNMENT,
        AzureAuthorityHosts.AZURE_CHINA,
    }
)


def token_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read and not verified: only for the app's own tokens, fresh from Entra."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


class GivenToken:
    """A TokenCredential over one token the caller holds (an administrator's, for one grant): what it was given,
    whatever is asked."""

    def __init__(self, token: str) -> None:
        self._token = AccessToken(token, int(token_claims(token).get("exp") or 0))

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._token


def authority_host(value: str) -> str:
    """`https://login.microsoftonline.com/` and `login.microsoftonline.com` name the same host."""
    return value.strip().removeprefix("https://").rstrip("/").lower()


def is_known_authority(value: str) -> bool:
    return authority_host(value) in KNOWN_AUTHORITY_HOSTS


class AzureCredentials:
    """Built once by the composition root; every Azure and Graph client asks it for a TokenCredential.

    `entra_tenant_of(tenant_id)` maps the app's tenant id to the customer's Entra tenant id (None: not linked);
    `azure_access_of(tenant_id)` says how the app works in that customer's Azure (Tenant.azure_access).
    """

    def __init__(
        self,
        settings: Settings,
        entra_tenant_of: Callable[[str], str | None],
        clock: Callable[[], float] = time.monotonic,
        azure_access_of: Callable[[str], str] = lambda tenant_id: "consent",
    ) -> None:
        self._azure_access_of = azure_access_of
        self._settings = settings
        self._clock = clock
        self._refused_until: dict[str, tuple[float, str]] = {}  # Entra tenant -> (until, Entra's refusal)
        self._entra_tenant_of = entra_tenant_of
        self._authority = authority_host(settings.azure_authority_host)
        # a token request waits no longer than Entra's patience: the transport azure-identity builds takes the timeouts
        self._options: dict[str, Any] = {
            "authority": self._authority,
            "connection_timeout": ENTRA_PATIENCE.connect_s,
            "read_timeout": ENTRA_PATIENCE.read_s,
        }
        if not is_known_authority(self._authority):
            # MSAL validates an authority it does not know by asking login.microsoftonline.com's instance
            # discovery, which cannot vouch for a private cloud, Azure Stack or a local emulator: such a host
            # is trusted because the settings name it, as azure-identity documents for these clouds.
            self._options["disable_instance_discovery"] = True
        # in Azure: the Function App's managed identity; locally IDENTITY_ENDPOINT/IDENTITY_HEADER point at the
        # emulator's managed-identity endpoint, so the same chain finds a "managed identity" there
        self.app_credential: TokenCredential = DefaultAzureCredential(**self._options)
        self._by_entra_tenant: dict[str, TokenCredential] = {}
        self._own_entra_tenant_id: str | None = None
        self._lock = threading.Lock()

    def entra_tenant_id(self, tenant_id: str) -> str:
        """The customer's Entra tenant id of an app tenant; CloudError `tenantNotLinked` when it has none."""
        entra = self._entra_tenant_of(tenant_id)
        if not entra:
            raise CloudError(
                "directory",
                NOT_LINKED,
                f"Tenant '{tenant_id}' has no entraTenantId: link it to its Microsoft Entra tenant first.",
            )
        return entra

    def own_entra_tenant_id(self) -> str:
        """The app's own Entra tenant: its managed identity's, which is the app registration's too (a federated
        identity credential trusts only an identity of its registration's tenant)."""
        if self._own_entra_tenant_id is None:
            token = self.app_credential.get_token(TOKEN_EXCHANGE_SCOPE).token
            self._own_entra_tenant_id = str(token_claims(token)["tid"])
        return self._own_entra_tenant_id

    def for_tenant(self, tenant_id: str) -> TokenCredential:
        """The app registration acting in the customer's tenant (one credential, and token cache, per tenant)."""
        return self.for_entra_tenant(self.entra_tenant_id(tenant_id))

    def for_arm(self, tenant_id: str) -> TokenCredential:
        """The identity the app works in the customer's Azure with: its registration in the customer's tenant, or,
        where the customer delegated its subscriptions through Azure Lighthouse, its registration in its own tenant,
        the principal the delegation names (https://learn.microsoft.com/azure/lighthouse/overview)."""
        if self.azure_access(tenant_id) == "lighthouse":
            return self.for_entra_tenant(self.own_entra_tenant_id())
        return self.for_tenant(tenant_id)

    def azure_access(self, tenant_id: str) -> str:
        """How the app works in the tenant's Azure: `consent` or `lighthouse` (Tenant.azure_access)."""
        return self._azure_access_of(tenant_id)

    def own_principal_id(self) -> str:
        """The object id of the app's service principal in its own tenant: the `oid` of its own app token there
        (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference), which a Lighthouse
        delegation names."""
        token = self.for_entra_tenant(self.own_entra_tenant_id()).get_token(ARM_SCOPE).token
        return str(token_claims(token)["oid"])

    def for_entra_tenant(self, entra_tenant_id: str) -> TokenCredential:
        with self._lock:
            credential = self._by_entra_tenant.get(entra_tenant_id)
            if credential is None:
                built = _ConsentRefusalKept(self._build(entra_tenant_id), entra_tenant_id, self)
                credential = self._by_entra_tenant[entra_tenant_id] = built
            return credential

    def forget(self, entra_tenant_id: str) -> None:
        """The tenant's next credential starts with no token (its clients ask for it again), and a refusal for want
        of consent is no longer answered from memory: the consent check calls this once the app has a token there."""
        with self._lock:
            credential = self._by_entra_tenant.pop(entra_tenant_id, None)
            self._refused_until.pop(entra_tenant_id, None)
        close = getattr(credential, "close", None)
        if close is not None:
            close()

    def refused_consent(self, entra_tenant_id: str) -> str | None:
        """Entra's recent refusal of a token in the tenant for want of consent, while it stands, else None."""
        with self._lock:
            until, refusal = self._refused_until.get(entra_tenant_id, (0.0, ""))
            if until > self._clock():
                return refusal
            self._refused_until.pop(entra_tenant_id, None)
            return None

    def keep_refusal(self, entra_tenant_id: str, refusal: str) -> None:
        with self._lock:
            self._refused_until[entra_tenant_id] = (self._clock() + CONSENT_REFUSAL_KEPT_S, refusal)
        log.info(
            "No consent in Entra tenant %s: no token is asked there for %g s", entra_tenant_id, CONSENT_REFUSAL_KEPT_S
        )

    def uncached(self, entra_tenant_id: str) -> TokenCredential:
        """A credential of its own, with no token yet: what the tenant grants now, not when a cached token was made."""
        return self._build(entra_tenant_id)

    def _build(self, entra_tenant_id: str) -> TokenCredential:
        client_id = self._settings.app_client_id
        if not client_id:
            raise CloudError(
                "directory", "credentialMissing", f"{setting_name('app_client_id')} is not set: no app registration."
            )
        secret = self._settings.app_client_secret
        if secret is not None and secret.get_secret_value():
            return ClientSecretCredential(entra_tenant_id, client_id, secret.get_secret_value(), **self._options)
        # no secret to keep or rotate: the app registration trusts the managed identity (a federated identity
        # credential), and the managed identity's token for api://AzureADTokenExchange is the client assertion
        return ClientAssertionCredential(entra_tenant_id, client_id, self._assertion, **self._options)

    def _assertion(self) -> str:
        return self.app_credential.get_token(TOKEN_EXCHANGE_SCOPE).token

    def close(self) -> None:
        with self._lock:
            credentials = [self.app_credential, *self._by_entra_tenant.values()]
            self._by_entra_tenant.clear()
        for credential in credentials:
            close = getattr(credential, "close", None)
            if close is not None:
                close()


class _ConsentRefusalKept:
    """A tenant's credential that answers Entra's refusal for want of consent from memory while it stands
    (AzureCredentials.refused_consent), so the writes to a tenant nobody consented in ask Entra once, not each."""

    def __init__(self, inner: TokenCredential, entra_tenant_id: str, credentials: AzureCredentials) -> None:
        self._inner, self._entra, self._credentials = inner, entra_tenant_id, credentials

    @property
    def inner(self) -> TokenCredential:
        """The credential that asks Entra (a secret's or a federated assertion's)."""
        return self._inner

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        refusal = self._credentials.refused_consent(self._entra)
        if refusal is not None:
            raise ClientAuthenticationError(message=refusal)
        try:
            return self._inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:
            if any(code in str(exc) for code in NOT_CONSENTED):
                self._credentials.keep_refusal(self._entra, str(exc))
            raise

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def check_credentials(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """What is missing for usable credentials, one sentence per gap naming the setting (empty: all there)."""
    missing: list[str] = []
    if not settings.app_client_id:
        missing.append(
            f"{setting_name('app_client_id')} is not set: the multi-tenant app registration that acts in each "
            "customer's Entra tenant"
        )
    managed_identity = bool(environ.get("IDENTITY_ENDPOINT") and environ.get("IDENTITY_HEADER")) or bool(
        environ.get("MSI_ENDPOINT")
    )
    service_principal = all(environ.get(name) for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"))
    workload_identity = bool(environ.get("AZURE_FEDERATED_TOKEN_FILE"))
    if not (managed_identity or service_principal or workload_identity):
        missing.append(
            "no identity for the app itself: enable the Function App's managed identity (IDENTITY_ENDPOINT and "
            "IDENTITY_HEADER), or set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID, or "
            "AZURE_FEDERATED_TOKEN_FILE for workload identity"
        )
    if not settings.key_vault_url:
        missing.append(f"{setting_name('key_vault_url')} is not set: the Key Vault that keeps domain-join passwords")
    return missing
