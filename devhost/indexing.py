"""Imports an app's function_app.py and describes its functions, as the Python worker indexes them."""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func

log = logging.getLogger("devhost")

SCRIPT_MODULE = "function_app"
HTTP_TRIGGER = "httpTrigger"
TIMER_TRIGGER = "timerTrigger"
QUEUE_TRIGGER = "queueTrigger"
ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
ENTITY_TRIGGER = "entityTrigger"
DURABLE_CLIENT = "durableClient"
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class IndexingError(RuntimeError):
    """The app cannot be indexed (no app object, two app objects, bad bindings...)."""


@dataclass
class FunctionInfo:
    """One indexed function: its name, trigger and the user callable the worker would call."""

    name: str
    trigger_type: str
    trigger: Any
    bindings: list[Any]
    fn: Callable[..., Any]
    is_async: bool
    parameters: list[str]
    wants_context: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger_param(self) -> str:
        return str(self.trigger.name)

    def attribute(self, name: str, default: Any = None) -> Any:
        value = getattr(self.trigger, name, default)
        return default if value is None else value

    @property
    def durable_client_param(self) -> str | None:
        for binding in self.bindings:
            if binding.type == DURABLE_CLIENT:
                return str(binding.name)
        return None

    def output_bindings(self) -> list[Any]:
        return [b for b in self.bindings if b is not self.trigger and b.direction == 1]

    @property
    def http_methods(self) -> tuple[str, ...]:
        methods = self.attribute("methods")
        if not methods:
            return ALL_METHODS
        return tuple(str(getattr(m, "value", m)).upper() for m in methods)

    @property
    def registration_name(self) -> str:
        """Name the Durable engine knows an orchestrator/activity by (override, else function name)."""
        override = self.attribute("orchestration") or self.attribute("activity")
        return str(override or self.name)


def import_app(app_dir: Path) -> ModuleType:
    """Import `function_app` from app_dir afresh (a previous import of it is dropped first)."""
    script = app_dir / f"{SCRIPT_MODULE}.py"
    if not script.is_file():
        raise IndexingError(f"{script} not found")
    sys.modules.pop(SCRIPT_MODULE, None)
    folder = str(app_dir.resolve())
    # The worker puts the app folder first on sys.path so the app's own packages win.
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    importlib.invalidate_caches()
    module = importlib.import_module(SCRIPT_MODULE)
    loaded = Path(module.__file__ or "").resolve()
    if loaded != script.resolve():
        raise IndexingError(f"imported {loaded} instead of {script}")
    return module


def find_app(module: ModuleType) -> func.FunctionRegister:
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise IndexingError(f"{module.__name__} must define exactly one FunctionApp/DFApp, found {len(apps)}")
    return apps[0]


def describe(function: Any) -> FunctionInfo:
    trigger = function.get_trigger()
    if trigger is None:
        raise IndexingError(f"function {function.get_function_name()} has no trigger")
    fn = function.get_user_function()
    signature = inspect.signature(fn)
    binding_names = {b.name for b in function.get_bindings()}
    parameters = list(signature.parameters)
    wants_context = "context" in parameters and "context" not in binding_names
    unknown = [p for p in parameters if p not in binding_names and p != "context"]
    # the SDK's orchestrator/entity handles take one positional context, whatever it is called
    if unknown and trigger.type not in (ORCHESTRATION_TRIGGER, ENTITY_TRIGGER):
        raise IndexingError(f"function {function.get_function_name()}: parameters {unknown} match no binding")
    return FunctionInfo(
        name=str(function.get_function_name()),
        trigger_type=str(trigger.type),
        trigger=trigger,
        bindings=list(function.get_bindings()),
        fn=fn,
        is_async=inspect.iscoroutinefunction(fn),
        parameters=parameters,
        wants_context=wants_context,
        settings={s.setting_name: s.get_dict_repr() for s in getattr(function, "_settings", [])},
    )


def index_app(app_dir: Path) -> list[FunctionInfo]:
    """Import the app and describe each function; `get_functions()` is called exactly once."""
    app = find_app(import_app(app_dir))
    infos = [describe(f) for f in app.get_functions()]
    for info in infos:
        known = {HTTP_TRIGGER, TIMER_TRIGGER, QUEUE_TRIGGER, ORCHESTRATION_TRIGGER, ACTIVITY_TRIGGER}
        if info.trigger_type not in known:
            log.warning(
                "function %s: trigger %s is not supported by devhost; it will not run", info.name, info.trigger_type
            )
        for binding in info.bindings:
            if binding is info.trigger or binding.type in {DURABLE_CLIENT, "http", "queue"}:
                continue
            log.warning(
                "function %s: binding %s (%s) is not supported by devhost", info.name, binding.name, binding.type
            )
    return infos
