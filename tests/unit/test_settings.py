"""Settings: defaults, ISO durations, env over local.settings.json, errors naming the setting."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from shared import settings as settings_module
from shared.settings import Settings, SettingsError, load_settings, setting_name


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the process environment; a host started earlier in the session may have set some."""
    for field in Settings.model_fields:
        monkeypatch.delenv(setting_name(field), raising=False)


def test_defaults_match_the_contract() -> None:
    settings = Settings()
    assert settings.cloudpc_grace_period == timedelta(days=7)
    assert settings.cloudpc_cleanup_delay == timedelta(hours=3)
    assert settings.windows365_checks_poll == timedelta(seconds=15)
    assert settings.provisioning_max_attempts == 3
    assert settings.lifecycle_sweep_schedule == "0 */5 * * * *"


def test_iso_durations_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDPC_GRACE_PERIOD", "PT5S")
    monkeypatch.setenv("CLOUDPC_CLEANUP_DELAY", "P1DT2H")
    monkeypatch.setenv("WINDOWS365_CHECKS_POLL", "PT1S")
    settings = load_settings()
    assert settings.cloudpc_grace_period == timedelta(seconds=5)
    assert settings.cloudpc_cleanup_delay == timedelta(days=1, hours=2)
    assert settings.windows365_checks_poll == timedelta(seconds=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLOUDPC_GRACE_PERIOD", "7 days"),
        ("CLOUDPC_CLEANUP_DELAY", "-PT1H"),
        ("PROVISIONING_MAX_ATTEMPTS", "zero"),
        ("PROVISIONING_MAX_ATTEMPTS", "0"),
        ("LIFECYCLE_SWEEP_SCHEDULE", "*/5 * * * *"),
        ("ARM_ENDPOINT", "http://management.example"),
        ("KEY_VAULT_URL", "vault.example"),
        ("DIRECTORY_EVENTS_QUEUE", "Not_A_Queue"),
    ],
)
def test_an_invalid_setting_fails_at_start_up_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_environment_wins_over_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    local = tmp_path / "local.settings.json"
    local.write_text(
        json.dumps(
            {
                "Values": {
                    "PROVISIONING_MAX_ATTEMPTS": "5",
                    "CLOUDPC_GRACE_PERIOD": "PT1M",
                    "AzureWebJobsStorage": "x=y",
                }
            }
        )
    )
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("PROVISIONING_MAX_ATTEMPTS", "2")
    settings = load_settings()
    assert settings.provisioning_max_attempts == 2
    assert settings.cloudpc_grace_period == timedelta(minutes=1)
    assert settings.storage_connection_string == "x=y"


def test_overrides_win_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISIONING_MAX_ATTEMPTS", "2")
    assert Settings(provisioning_max_attempts=4).provisioning_max_attempts == 4


@pytest.mark.parametrize(
    ("hostname", "public_url"),
    [
        (None, None),
        ("spot-pc.azurewebsites.net", "https://spot-pc.azurewebsites.net"),  # Azure serves https only
        ("localhost:7071", "http://localhost:7071"),  # Core Tools
        ("127.0.0.1:50123", "http://127.0.0.1:50123"),  # devhost
    ],
)
def test_the_public_address_is_the_host_name_functions_gives(hostname: str | None, public_url: str | None) -> None:
    assert Settings(website_hostname=hostname).public_url == public_url
