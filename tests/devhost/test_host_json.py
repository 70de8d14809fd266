"""host.json: AzureFunctionsJobHost__* overrides, typed and checked settings, and one-paragraph errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devhost.azurite import free_port
from devhost.host import DevHost
from devhost.host_json import HostJsonError, format_timespan, function_timeout_s, load_host_json
from tests.devhost.support import call

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROBE_APP = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.route(route="probe")
def probe(req: func.HttpRequest) -> str:
    return "here"
"""


def _app(folder: Path, host_json: str, values: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "function_app.py").write_text(PROBE_APP)
    (folder / "host.json").write_text(host_json)
    if values is not None:
        (folder / "local.settings.json").write_text(json.dumps({"Values": values}))
    return folder


def test_overrides_replace_and_add_settings_case_insensitively(tmp_path: Path) -> None:
    _app(tmp_path, '{"version": "2.0", "extensions": {"queues": {"batchSize": 16, "maxDequeueCount": 5}}}')
    environ = {
        "AzureFunctionsJobHost__extensions__Queues__BATCHSIZE": "4",
        "azurefunctionsjobhost__functionTimeout": "00:00:05",
        "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "3",
        "AzureFunctionsJobHost__extensions__durableTask__overridableExistingInstanceStates": "anystate",
        "UNRELATED": "x",
    }
    document = load_host_json(tmp_path, environ)
    # the existing key keeps its spelling and the text becomes the setting's type
    assert document["extensions"]["queues"] == {"batchSize": 4, "maxDequeueCount": 5}
    assert document["functionTimeout"] == "00:00:05"
    assert document["extensions"]["durableTask"] == {
        "maxConcurrentActivityFunctions": 3,
        "overridableExistingInstanceStates": "AnyState",
    }
    assert function_timeout_s(document) == 5


def test_comments_a_bom_and_odd_key_case_are_accepted(tmp_path: Path) -> None:
    text = '\ufeff{\n  // the host skips comments\n  "version": "2.0", /* here too */\n  "FunctionTimeout": "-1"\n}\n'
    (tmp_path / "host.json").write_text(text, encoding="utf-8")
    document = load_host_json(tmp_path, {})
    assert document == {"version": "2.0", "functionTimeout": "-1"}
    assert function_timeout_s(document) is None  # unbounded
    assert function_timeout_s({}) == 30 * 60  # the host's default outside the Consumption plan


def test_bad_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    _app(tmp_path, '{\n  "version": "2.0",\n  "extensions": {"http": {"routePrefix": "api"}}\n  "logging": {}\n}\n')
    with pytest.raises(HostJsonError) as caught:
        load_host_json(tmp_path, {})
    message = str(caught.value)
    assert message.startswith(f"Unable to parse host configuration file '{tmp_path / 'host.json'}': ")
    assert "line 4, column 3" in message
    assert "\n" not in message


def test_a_wrong_type_names_the_setting_and_where_it_is(tmp_path: Path) -> None:
    _app(tmp_path, '{\n  "version": "2.0",\n  "extensions": {\n    "queues": {"batchSize": "many"}\n  }\n}\n')
    with pytest.raises(HostJsonError) as caught:
        load_host_json(tmp_path, {})
    assert str(caught.value) == (
        f"Invalid host configuration file '{tmp_path / 'host.json'}', line 4, column 29: "
        "'extensions.queues.batchSize' must be an integer from 1 to 32, not \"many\"."
    )


def test_a_bad_override_names_the_app_setting(tmp_path: Path) -> None:
    _app(tmp_path, '{"version": "2.0"}')
    setting = "AzureFunctionsJobHost__functionTimeout"
    with pytest.raises(HostJsonError) as caught:
        load_host_json(tmp_path, {setting: "soon"})
    assert str(caught.value) == (
        f"Invalid host configuration: app setting '{setting}' sets 'functionTimeout' to \"soon\", "
        'but it must be a time span such as "00:10:00", or "-1" for no limit.'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", "is missing the required 'version' property"),
        ('{"version": "1.0"}', "line 1, column 13: \"1.0\" is an invalid value for the 'version' property"),
        ("[]", "it must hold a JSON object"),
        ('{"version": "2.0", "extensions": {"durableTask": {"maxConcurrentActivityFunctions": 0}}}', "at least 1"),
        ('{"version": "2.0", "extensions": {"queues": {"messageEncoding": "utf8"}}}', "one of base64, none"),
        ('{"version": "2.0", "extensions": {"http": []}}', "'extensions.http' must be a JSON object"),
    ],
)
def test_other_unusable_files(tmp_path: Path, text: str, expected: str) -> None:
    _app(tmp_path, text)
    with pytest.raises(HostJsonError, match="host configuration") as caught:
        load_host_json(tmp_path, {})
    assert expected in str(caught.value)


def test_timespans_print_as_dotnet_does() -> None:
    assert format_timespan(1) == "00:00:01"
    assert format_timespan(600) == "00:10:00"
    assert format_timespan(90061.5) == "1.01:01:01.5000000"


def test_overrides_from_local_settings_and_the_environment_reach_the_host(tmp_path: Path) -> None:
    folder = _app(
        tmp_path / "app",
        '{"version": "2.0", "extensions": {"http": {"routePrefix": "api"}}}',
        values={"AzureFunctionsJobHost__extensions__http__routePrefix": "from-settings"},
    )
    with DevHost(folder) as host:
        assert call("GET", f"{host.base_url}/from-settings/probe").text == "here"
        assert call("GET", f"{host.base_url}/api/probe").status == 404
    # the environment (here DevHost's own) wins over local.settings.json, as for any app setting
    with DevHost(folder, env={"AzureFunctionsJobHost__extensions__http__routePrefix": ""}) as host:
        assert call("GET", f"{host.base_url}/probe").text == "here"


def test_cli_explains_an_invalid_host_json_and_exits_non_zero(tmp_path: Path) -> None:
    folder = _app(tmp_path / "broken", '{\n  "version": "2.0",\n  "functionTimeout": "10 minutes"\n}\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devhost",
            "--app-dir",
            str(folder),
            "--port",
            str(free_port()),
            "--durable-store",
            "memory",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"Invalid host configuration file '{folder / 'host.json'}', line 3, column 22: " in output
    assert "'functionTimeout' must be a time span" in output
    assert "Traceback" not in output
