"""App settings: local.settings loading, environment winning, %Setting% resolution, re-imports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from devhost.host import DevHost
from devhost.settings import (
    EnvironmentPatch,
    SettingsError,
    load_local_settings,
    parse_timespan,
    resolve,
    storage_connection_string,
)
from tests.devhost.support import call

TINY_APP = """
import os
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.route(route="{route}")
def probe(req: func.HttpRequest) -> str:
    return os.environ.get("TINY_SETTING", "unset")
"""


def _write_app(
    folder: Path, route: str, values: dict[str, str] | None = None, sample_values: dict[str, str] | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "function_app.py").write_text(TINY_APP.replace("{route}", route))
    (folder / "host.json").write_text('{"version": "2.0"}')
    if values is not None:
        (folder / "local.settings.json").write_text(json.dumps({"Values": values}))
    if sample_values is not None:
        (folder / "local.settings.sample.json").write_text(json.dumps({"Values": sample_values}))
    return folder


def test_local_settings_json_is_preferred_over_the_sample(tmp_path: Path) -> None:
    _write_app(
        tmp_path,
        "x",
        values={"A": "local", "N": 3, "B": True},  # type: ignore[dict-item]
        sample_values={"A": "sample"},
    )
    assert load_local_settings(tmp_path) == {"A": "local", "N": "3", "B": "true"}
    (tmp_path / "local.settings.json").unlink()
    assert load_local_settings(tmp_path) == {"A": "sample"}


def test_environment_wins_and_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVHOST_T_REAL", "real")
    monkeypatch.delenv("DEVHOST_T_NEW", raising=False)
    patch = EnvironmentPatch()
    patch.apply(
        {"DEVHOST_T_EXPLICIT": "explicit"},
        {"DEVHOST_T_REAL": "file", "DEVHOST_T_NEW": "file", "DEVHOST_T_EXPLICIT": "file"},
    )
    assert os.environ["DEVHOST_T_REAL"] == "real"
    assert os.environ["DEVHOST_T_NEW"] == "file"
    assert os.environ["DEVHOST_T_EXPLICIT"] == "explicit"
    patch.restore()
    assert os.environ["DEVHOST_T_REAL"] == "real"
    assert "DEVHOST_T_NEW" not in os.environ
    assert "DEVHOST_T_EXPLICIT" not in os.environ


def test_setting_references_resolve() -> None:
    env = {"QUEUE": "orders", "HOUR": "3"}
    assert resolve("%QUEUE%-in", env) == "orders-in"
    assert resolve("0 0 %HOUR% * * *", env) == "0 0 3 * * *"
    assert resolve("no references", env) == "no references"
    with pytest.raises(SettingsError):
        resolve("%MISSING%", env)


def test_development_storage_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    assert "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1" in storage_connection_string(None)
    monkeypatch.setenv("AzureWebJobsOther", "DefaultEndpointsProtocol=http;AccountName=x")
    assert storage_connection_string("Other").endswith("AccountName=x")


def test_timespans() -> None:
    assert parse_timespan("00:00:30") == 30
    assert parse_timespan("1.02:00:00") == 93600
    assert parse_timespan(2000, int_unit_s=0.001) == 2
    with pytest.raises(SettingsError):
        parse_timespan("soon")


def test_host_sees_sample_settings_under_the_environment(sample_host: DevHost) -> None:
    base = sample_host.base_url
    assert call("GET", f"{base}/api/settings/SAMPLE_GREETING").json()["value"] == "hello from local settings"
    assert call("GET", f"{base}/api/settings/SAMPLE_OVERRIDDEN").json()["value"] == "from the test environment"


def test_two_apps_in_turn_and_environment_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINY_SETTING", "from the real environment")
    first = _write_app(tmp_path / "first", "first", values={"TINY_SETTING": "from file"})
    second = _write_app(tmp_path / "second", "second", values={"OTHER": "x"})
    with DevHost(first) as host:
        assert call("GET", f"{host.base_url}/api/first").text == "from the real environment"
    with DevHost(second, env={"TINY_SETTING": "explicit"}) as host:
        assert call("GET", f"{host.base_url}/api/first").status == 404
        assert call("GET", f"{host.base_url}/api/second").text == "explicit"
    assert os.environ["TINY_SETTING"] == "from the real environment"
    assert "OTHER" not in os.environ


NAMED_APP = """
import os
import azure.functions as func

AT_IMPORT = os.environ["WEBSITE_HOSTNAME"]
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.route(route="named")
def probe(req: func.HttpRequest) -> str:
    return AT_IMPORT
"""


def test_the_app_knows_its_host_name_as_core_tools_tells_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WEBSITE_HOSTNAME, as Azure Functions and Core Tools set it, is there when the app is imported."""
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
    app = _write_app(tmp_path / "named", "named")
    (app / "function_app.py").write_text(NAMED_APP)
    with DevHost(app) as host:
        assert f"http://{call('GET', f'{host.base_url}/api/named').text}" == host.base_url
    assert "WEBSITE_HOSTNAME" not in os.environ


def test_a_second_host_of_the_process_knows_its_own_host_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hosts in one process (a tier's own beside the session's): the second's name is its own, not the one the
    first devhost set (a Spot host's watcher posted to the other host, whose tables lack the tenant)."""
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
    app = _write_app(tmp_path / "named", "named")
    (app / "function_app.py").write_text(NAMED_APP)
    with DevHost(app) as first, DevHost(app) as second:
        assert f"http://{call('GET', f'{second.base_url}/api/named').text}" == second.base_url != first.base_url
    assert "WEBSITE_HOSTNAME" not in os.environ
