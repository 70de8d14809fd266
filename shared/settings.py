"""App settings: one pydantic-settings class, read once from the environment and local.settings.json."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.models.costs import CURRENCIES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NCRONTAB_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?]+$")


class SettingsError(RuntimeError):
    """Raised at start-up when an app setting is missing or invalid; names the setting."""


class LocalSettingsSource(PydanticBaseSettingsSource):
    """`Values` of local.settings.json, as the Functions host would load them (env still wins)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, str] = {}
        if path.is_file():
            values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
            self._values = {str(k).lower(): str(v) for k, v in values.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        names = [field_name]
        if isinstance(field.validation_alias, AliasChoices):
            names = [str(choice) for choice in field.validation_alias.choices]
        for name in names:
            if name.lower() in self._values:
                return self._values[name.lower()], name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(field, field_name)
            if value is not None:
                found[field_name] = value
        return found


class Settings(BaseSettings):
    """Every setting the app reads. Tests build `Settings(**overrides)` instead of patching env."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", populate_by_name=True)

    storage_connection_string: str = Field(
        default="UseDevelopmentStorage=true",
        validation_alias=AliasChoices("AzureWebJobsStorage", "storage_connection_string"),
        min_length=1,
    )
    # identity-based storage, read as the Functions host reads them (see shared/storage/account.py)
    storage_account_name: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__accountName", "storage_account_name")
    )
    storage_table_service_uri: str | None = Field(
        default=None,
        pattern=r"^https://",
        validation_alias=AliasChoices("AzureWebJobsStorage__tableServiceUri", "storage_table_service_uri"),
    )
    storage_queue_service_uri: str | None = Field(
        default=None,
        pattern=r"^https://",
        validation_alias=AliasChoices("AzureWebJobsStorage__queueServiceUri", "storage_queue_service_uri"),
    )
    storage_credential: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__credential", "storage_credential")
    )
    storage_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__clientId", "storage_client_id")
    )
    arm_endpoint: str = Field(default="https://management.azure.com", pattern=r"^https://")
    graph_endpoint: str = Field(default="https://graph.microsoft.com", pattern=r"^https://")
    metrics_endpoint: str = Field(
        default="https://{region}.metrics.monitor.azure.com",
        pattern=r"^https://.*\{region\}",
        description="Azure Monitor's regional metrics endpoint, `{region}` filled in per batch of VMs.",
    )
    retail_prices_endpoint: str = Field(
        default="https://prices.azure.com",
        pattern=r"^https://",
        description="The Azure Retail Prices API's host (no credentials): `/api/retail/prices` is asked under it.",
    )
    key_vault_url: str | None = Field(default=None, pattern=r"^https://", description="The app's Key Vault.")
    azure_authority_host: str = Field(
        default="login.microsoftonline.com", description="Entra ID's host (a custom one for a private cloud)."
    )
    app_client_id: str | None = Field(
        default=None, description="The multi-tenant app registration the app acts as in each customer tenant."
    )
    app_client_secret: SecretStr | None = Field(
        default=None, description="Its client secret; unset: federated with the app's managed identity."
    )
    applicationinsights_connection_string: SecretStr | None = Field(
        default=None, description="Application Insights: traces and logs go to Azure Monitor (shared/telemetry.py)."
    )
    applicationinsights_authentication_string: str | None = Field(
        default=None, description="`Authorization=AAD;ClientId=...`: the managed identity sends the telemetry."
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, description="Without Application Insights: an OTLP/HTTP collector for traces and logs."
    )
    otel_exporter_otlp_traces_endpoint: str | None = Field(
        default=None, description="Without Application Insights: an OTLP/HTTP collector for traces only."
    )
    telemetry_sampling_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="The share of traces begun in the app that are kept (1: all); a trace is kept or dropped whole.",
    )
    website_hostname: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9.\-\[\]:]+$",
        description="The app's host name (and port), as Azure Functions and Core Tools set it: Spot hosts post their "
        "Scheduled Events to https://<it>/api/scheduledEvents (http:// on a loopback address, as Core Tools serves).",
    )
    notification_url: str | None = Field(
        default=None, description="The public URL of POST /api/directoryNotifications, given to Graph subscriptions."
    )
    cloudpc_grace_period: timedelta = timedelta(days=7)
    cloudpc_cleanup_delay: timedelta = timedelta(hours=3)
    windows365_poll: timedelta = Field(
        default=timedelta(minutes=1),
        description="How often a windows365 tenant's Cloud PCs are read again while Windows 365 works on any.",
    )
    windows365_checks_poll: timedelta = Field(
        default=timedelta(seconds=15),
        description="How often a connection's health checks are read again while Windows 365 runs them.",
    )
    provisioning_max_attempts: int = Field(default=3, ge=1, le=10)
    lifecycle_sweep_schedule: str = "0 */5 * * * *"
    pending_sweep_schedule: str = Field(
        default="*/30 * * * * *",
        description="NCRONTAB of the sweep that starts Cloud PCs a crashed reconcile left in pendingProvision.",
    )
    drift_reconcile_schedule: str = "0 0 * * * *"
    spot_optimize_schedule: str = Field(
        default="0 */5 * * * *",
        description="NCRONTAB of the Spot Group optimization: pooled hosts started and deallocated as sessions need.",
    )
    health_check_schedule: str = "0 0 */6 * * *"
    marketplace_refresh_schedule: str = Field(
        default="0 30 3 * * *", description="NCRONTAB of the daily read of each region's marketplace images."
    )
    copies_mend_schedule: str = Field(
        default="0 45 2 * * *",
        description="NCRONTAB of the daily mend of each tenant's sorted copies of its Cloud PCs (the view across "
        "tenants reads them): a copy for each Cloud PC without one, none for a Cloud PC that is gone.",
    )
    reclaim_schedule: str = Field(
        default="0 0 * * * *",
        description="NCRONTAB of the reclaim rule's run over the tenants that turned it on (reclaimUnused).",
    )
    use_watch_schedule: str = Field(
        default="0 */5 * * * *",
        description="NCRONTAB of the watch over the azure backend's Cloud PCs: who is connected, and which sleep or "
        "wake by their policies' power rules.",
    )
    usage_report_schedule: str = Field(
        default="0 15 2 * * *",
        description="NCRONTAB of the daily read of Windows 365's remote connection report into the windows365 "
        "backend's usage.",
    )
    subscription_renewal_schedule: str = Field(
        default="0 0 */6 * * *", description="NCRONTAB of the timer renewing Graph change-notification subscriptions."
    )
    alert_evaluation_schedule: str = Field(
        default="0 */5 * * * *", description="NCRONTAB of the timer evaluating every tenant's enabled alert rules."
    )
    price_refresh_schedule: str = Field(
        default="0 45 * * * *",
        description="NCRONTAB of the read of the list prices the price cache lacks: each region's once a day, a new "
        "region's or size's at the next run.",
    )
    cost_currencies: str = Field(
        default="USD",
        description="Comma-separated currencies the prices are read and the costs reported in (the first is the "
        "reports' default), each one the Azure Retail Prices API offers; USD is Microsoft's own.",
    )
    alert_evaluations_queue: str = Field(default="alert-evaluations", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    alert_deliveries_queue: str = Field(default="alert-deliveries", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    timer_work_queue: str = Field(
        default="timer-work",
        description="Queue of the timers' work, one message per Spot Group, connection or tenant due.",
        pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
    )
    alert_webhook_private_networks: str = Field(
        default="",
        description="Comma-separated CIDRs an alert webhook may reach although they are private, loopback or "
        "link-local (empty in production: a rule cannot make the app call into its own network).",
    )
    directory_events_queue: str = Field(default="directory-events", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    bulk_actions_queue: str = Field(default="bulk-actions", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    template_rollouts_queue: str = Field(default="template-rollouts", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    directory_subscriptions_queue: str = Field(
        default="directory-subscriptions", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
    )
    table_name_prefix: str = Field(default="", pattern=r"^[A-Za-z]?[A-Za-z0-9]{0,20}$")
    auth_audience: str = Field(
        default="", description="Comma-separated: the audiences (the app registration's API) a token must name."
    )
    auth_issuers: str = Field(
        default="", description="Comma-separated issuers trusted, e.g. https://login.microsoftonline.com/<tid>/v2.0."
    )
    auth_bootstrap_admins: str = Field(
        default="", description="Comma-separated Entra object ids of the organization owners (owner of every tenant)."
    )

    portal_client_id: str | None = Field(
        default=None,
        description="The app registration the admin portal signs in with (an SPA platform); unset: APP_CLIENT_ID.",
    )
    portal_authority: str | None = Field(
        default=None, pattern=r"^https://", description="Where the portal signs in; unset: the first AUTH_ISSUERS."
    )
    portal_scope: str | None = Field(
        default=None,
        description="The API scope the portal asks for; unset: api://<first AUTH_AUDIENCE>/access_as_user.",
    )
    portal_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^?#]+/$",
        description="The portal's public address (https://<app>/api/portal/): where a customer's admin comes back "
        "after admin consent, one of the app registration's Web redirect URIs.",
    )

    @property
    def audiences(self) -> list[str]:
        return _listed(self.auth_audience)

    @property
    def public_url(self) -> str | None:
        """Where the app is reached from outside (None: the host did not say): Azure serves https only."""
        if not self.website_hostname:
            return None
        host = self.website_hostname.rsplit(":", 1)[0].strip("[]").lower()
        local = host == "localhost" or host.startswith("127.") or host == "::1"
        return f"{'http' if local else 'https'}://{self.website_hostname}"

    @property
    def webhook_private_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(value, strict=False) for value in _listed(self.alert_webhook_private_networks)]

    @property
    def issuers(self) -> list[str]:
        return _listed(self.auth_issuers)

    @property
    def organization_owners(self) -> frozenset[str]:
        return frozenset(value.lower() for value in _listed(self.auth_bootstrap_admins))

    def check_auth(self) -> None:
        """The app serves no one without knowing whose tokens to trust: refuse to start instead."""
        missing = [
            name for name, values in (("AUTH_AUDIENCE", self.audiences), ("AUTH_ISSUERS", self.issuers)) if not values
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set: the API accepts only Entra ID tokens for this app "
                "(see the documentation's 'Behind Entra ID', docs/entra.md)."
            )
        for issuer in self.issuers:
            if not issuer.startswith("https://"):
                raise SettingsError(f"AUTH_ISSUERS: {issuer!r} is not an https URL.")

    @field_validator(
        "cloudpc_grace_period", "cloudpc_cleanup_delay", "windows365_poll", "windows365_checks_poll", mode="before"
    )
    @classmethod
    def _iso_duration(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().upper().startswith("P"):
            raise ValueError(f"must be an ISO-8601 duration such as P7D or PT3H, not {value!r}")
        return value

    @field_validator("cloudpc_grace_period", "cloudpc_cleanup_delay", "windows365_poll", "windows365_checks_poll")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    @field_validator("alert_webhook_private_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in _listed(value):
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not a network such as 10.0.0.0/8 or 127.0.0.0/8") from None
        return value

    @field_validator(
        "lifecycle_sweep_schedule",
        "pending_sweep_schedule",
        "drift_reconcile_schedule",
        "spot_optimize_schedule",
        "health_check_schedule",
        "marketplace_refresh_schedule",
        "subscription_renewal_schedule",
        "use_watch_schedule",
        "usage_report_schedule",
        "alert_evaluation_schedule",
        "reclaim_schedule",
        "copies_mend_schedule",
        "price_refresh_schedule",
    )
    @classmethod
    def _ncrontab(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 6 or not all(NCRONTAB_FIELD.match(f) for f in fields):
            raise ValueError(
                f"must be an NCRONTAB expression with six fields (second minute hour day month "
                f"day-of-week), not {value!r}"
            )
        return value

    @field_validator("cost_currencies")
    @classmethod
    def _currencies(cls, value: str) -> str:
        listed = _listed(value)
        unknown = [item for item in listed if item not in CURRENCIES]
        if not listed or unknown:
            named = ", ".join(unknown) or repr(value)
            raise ValueError(f"must name one or more of {', '.join(CURRENCIES)}, comma-separated; not {named}")
        return ",".join(dict.fromkeys(listed))

    @property
    def currencies(self) -> list[str]:
        """COST_CURRENCIES in order, once each: the first is the cost reports' default."""
        return _listed(self.cost_currencies)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        local = LocalSettingsSource(settings_cls, PROJECT_ROOT / "local.settings.json")
        return (init_settings, env_settings, local)


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def setting_name(field_name: str) -> str:
    """The app-setting (environment variable) name of a Settings field, or of any of its names."""
    for name, field in Settings.model_fields.items():
        if isinstance(field.validation_alias, AliasChoices):
            names = [str(choice).lower() for choice in field.validation_alias.choices]
            if field_name.lower() in (name, *names):
                return str(field.validation_alias.choices[0])
    return field_name.upper()


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once at start-up; an invalid value fails with the setting's name."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{setting_name(str(err['loc'][0])) if err['loc'] else '?'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"Invalid app settings: {problems}") from None
