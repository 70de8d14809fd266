"""No module of the app, its local host or its emulator reaches a dependency's private name (a module or attribute
whose name starts with `_`): such names change without notice in a patch release. The project's own modules may use
each other's freely, and the standard library's documented underscored names (`os._exit`) are not a dependency's."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import PROJECT_ROOT

FIRST_PARTY = {
    "shared",
    "triggers",
    "activities",
    "orchestrators",
    "devhost",
    "function_app",
    "azure_emulator",
    "bench",
    "tests",
}
TREES = (
    "function_app.py",
    "cli",
    "shared",
    "triggers",
    "activities",
    "orchestrators",
    "devhost",
    "azure_emulator",
    "bench",
)
# a package whose public API is published under an underscored name, and why
PUBLISHED_UNDERSCORED = {
    # OpenTelemetry's Python logs signal is still in development, so its API, SDK and OTLP exporter publish it under
    # `_logs` and `_log_exporter`: their own documentation imports it from there, and no other path exists yet
    "opentelemetry._logs": "the logs API",
    "opentelemetry.sdk._logs": "the logs SDK",
    "opentelemetry.exporter.otlp.proto.http._log_exporter": "the OTLP logs exporter",
}
# the local host's one patch of a dependency, and why: it runs only under `make run` and the tests, never in Azure
PATCHED = {
    # the Durable SDK's client keeps one aiohttp session per process and offers no way to give it one per event loop,
    # which devhost's several loops need (devhost/durable_wiring.py)
    ("devhost/durable_wiring.py", "http_utils._get_session"),
    ("devhost/durable_wiring.py", "http_utils._client_session"),
    ("devhost/durable_wiring.py", "http_utils._session_lock"),
}


def _private(dotted: str) -> bool:
    for published in PUBLISHED_UNDERSCORED:
        if dotted == published or dotted.startswith(f"{published}."):
            dotted = dotted[len(published) :]
            break
    return any(part.startswith("_") and not part.endswith("__") for part in dotted.split(".") if part)


def _dependency(module: str) -> bool:
    top = module.split(".")[0]
    return top not in FIRST_PARTY and top not in sys.stdlib_module_names


def _modules() -> Iterator[Path]:
    for tree in TREES:
        path = PROJECT_ROOT / tree
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def _reaches(source: ast.Module) -> Iterator[tuple[int, str]]:
    """Each dependency's private name the module imports or reads off a dependency's module, with its line."""
    dependencies: set[str] = set()  # the names this module binds to a dependency's module
    for node in ast.walk(source):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _dependency(alias.name):
                    continue
                if _private(alias.name):
                    yield node.lineno, alias.name
                dependencies.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _dependency(node.module):
                continue
            for alias in node.names:
                dependencies.add(alias.asname or alias.name)  # a dependency's module or object, as named here
                if _private(f"{node.module}.{alias.name}"):
                    yield node.lineno, f"{node.module}.{alias.name}"
    for node in ast.walk(source):
        match node:
            case ast.Attribute(value=ast.Name(id=name), attr=attr) if name in dependencies and _private(attr):
                yield node.lineno, f"{name}.{attr}"
            case ast.Call(
                func=ast.Name(id="getattr" | "setattr" | "delattr"),
                args=[ast.Name(id=name), ast.Constant(value=str(attr)), *_],
            ) if name in dependencies and _private(attr):
                yield node.lineno, f"{name}.{attr}"


def test_no_module_reaches_a_dependencys_private_name() -> None:
    found = [
        f"{where}:{line}: {name}"
        for path in _modules()
        for line, name in _reaches(ast.parse(path.read_text(), str(path)))
        if ((where := str(path.relative_to(PROJECT_ROOT))), name) not in PATCHED
    ]
    assert not found, "private names of dependencies:\n" + "\n".join(found)


def test_the_check_sees_each_way_of_reaching_one() -> None:
    source = ast.parse(
        "import azure.core.pipeline._tools\n"
        "from azure.functions import _abc\n"
        "from azure.core.rest._http_response_impl import X\n"
        "import os\n"
        "os._exit(0)\n"
        "import urllib3\n"
        "urllib3._collections\n"
        "from opentelemetry.sdk._logs import LoggerProvider\n"
        "from azure.durable_functions.models.utils import http_utils\n"
        "http_utils._client_session = None\n"
        "getattr(http_utils, '_get_session')\n"
        "from shared import _own\n"
        "from typing import __all__\n"
    )
    assert [line for line, _ in _reaches(source)] == [1, 2, 3, 7, 10, 11]
