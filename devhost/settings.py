"""App settings and host.json: local.settings loading, `%Setting%` resolution, time spans."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devhost.azurite import development_connection_string

LOCAL_SETTINGS_FILES = ("local.settings.json", "local.settings.sample.json")
_SETTING_REF = re.compile(r"%([^%]+)%")


class SettingsError(RuntimeError):
    """A setting the app refers to is missing or malformed."""


def load_local_settings(app_dir: Path) -> dict[str, str]:
    """`Values` of local.settings.json, else of local.settings.sample.json, as strings."""
    for name in LOCAL_SETTINGS_FILES:
        path = app_dir / name
        if path.is_file():
            document = json.loads(path.read_text(encoding="utf-8"))
            values = document.get("Values") or {}
            # Core Tools turns non-string JSON values into their text form
            return {str(k): _as_text(v) for k, v in values.items() if v is not None}
    return {}


def local_http_port(app_dir: Path) -> int | None:
    """`Host.LocalHttpPort` from the local settings file, which Core Tools listens on."""
    for name in LOCAL_SETTINGS_FILES:
        path = app_dir / name
        if path.is_file():
            port = (json.loads(path.read_text(encoding="utf-8")).get("Host") or {}).get("LocalHttpPort")
            return int(port) if port else None
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


# the WEBSITE_HOSTNAME values devhost set itself: a host started while another of this process runs sets its own,
# since that value is the other host's name, not the real environment's
HOST_NAMES_SET: set[str] = set()


class EnvironmentPatch:
    """Applies settings to os.environ and can put back what was there before."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, name: str, value: str) -> None:
        if name not in self._saved:
            self._saved[name] = os.environ.get(name)
        os.environ[name] = value

    def set_default(self, name: str, value: str) -> None:
        """Set only when the real environment does not already define it (environment wins)."""
        if name not in os.environ:
            self.set(name, value)

    def set_host_name(self, value: str) -> None:
        """WEBSITE_HOSTNAME, as Azure Functions and Core Tools set it, unless the real environment names another."""
        if os.environ.get("WEBSITE_HOSTNAME") in (None, *HOST_NAMES_SET):
            self.set("WEBSITE_HOSTNAME", value)
            HOST_NAMES_SET.add(value)

    def apply(self, explicit: Mapping[str, str], local_values: Mapping[str, str]) -> None:
        for name, value in explicit.items():
            self.set(name, value)
        for name, value in local_values.items():
            self.set_default(name, value)

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()


def resolve(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every `%Name%` with app setting Name, as the host's name resolver does."""
    env = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SettingsError(f"app setting '{name}' (referenced as '%{name}%') is not defined")
        return env[name]

    return _SETTING_REF.sub(lookup, text)


def storage_connection_string(setting_name: str | None) -> str:
    """The connection string a binding's `connection` setting names (default AzureWebJobsStorage)."""
    name = setting_name or "AzureWebJobsStorage"
    value = os.environ.get(name)
    if value is None and not name.startswith("AzureWebJobs"):
        value = os.environ.get(f"AzureWebJobs{name}")
    if not value:
        raise SettingsError(f"storage connection setting '{name}' is not defined")
    if value.strip().rstrip(";").lower() == "usedevelopmentstorage=true":
        return development_connection_string()
    return value


def extension_section(host_json: Mapping[str, Any], name: str) -> dict[str, Any]:
    section = (host_json.get("extensions") or {}).get(name) or {}
    return dict(section) if isinstance(section, Mapping) else {}


def parse_timespan(value: Any, *, int_unit_s: float = 1.0) -> float:
    """Seconds in a host.json duration: "[d.]hh:mm:ss[.fff]", or a number in `int_unit_s` units."""
    if isinstance(value, bool):
        raise SettingsError(f"not a time span: {value!r}")
    if isinstance(value, int | float):
        return float(value) * int_unit_s
    text = str(value).strip()
    match = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?", text)
    if match is None:
        raise SettingsError(f"not a time span: {value!r}")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)
