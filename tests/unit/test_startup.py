"""Start-up refuses to run without a usable Azure credential, and says what is missing."""

from __future__ import annotations

import pytest

from shared.bootstrap import build_services
from shared.settings import Settings, SettingsError


def test_without_any_credential_start_up_stops_naming_each_missing_piece() -> None:
    settings = Settings(app_client_id=None, key_vault_url=None, arm_endpoint="https://management.azure.com")
    with pytest.raises(SettingsError) as raised:
        build_services(settings, environ={})
    message = str(raised.value)
    assert "APP_CLIENT_ID" in message
    assert "IDENTITY_ENDPOINT" in message  # the managed identity, or the alternatives named beside it
    assert "KEY_VAULT_URL" in message


def test_a_managed_identity_alone_is_not_enough_without_the_app_registration() -> None:
    settings = Settings(app_client_id=None, key_vault_url="https://vault.example.net")
    environ = {"IDENTITY_ENDPOINT": "http://127.0.0.1:1/msi/token", "IDENTITY_HEADER": "x"}
    with pytest.raises(SettingsError, match="APP_CLIENT_ID") as raised:
        build_services(settings, environ=environ)
    assert "IDENTITY_ENDPOINT" not in str(raised.value)


def test_without_the_token_settings_start_up_stops_naming_them() -> None:
    settings = Settings(
        app_client_id="6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b",
        key_vault_url="https://vault.example.net",
        auth_audience="",
        auth_issuers="",
    )
    environ = {"IDENTITY_ENDPOINT": "http://127.0.0.1:1/msi/token", "IDENTITY_HEADER": "x"}
    with pytest.raises(SettingsError) as raised:
        build_services(settings, environ=environ)
    assert "AUTH_AUDIENCE and AUTH_ISSUERS must be set" in str(raised.value)


def test_token_settings_are_lists_and_issuers_must_be_https() -> None:
    settings = Settings(
        auth_audience="api://a, b", auth_issuers="https://login.example/t/v2.0", auth_bootstrap_admins="A, b"
    )
    assert settings.audiences == ["api://a", "b"]
    assert settings.organization_owners == frozenset({"a", "b"})
    settings.check_auth()
    with pytest.raises(SettingsError, match="not an https URL"):
        Settings(auth_audience="x", auth_issuers="http://plain.example").check_auth()
