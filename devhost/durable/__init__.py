"""Durable Functions engine for devhost: drives the real Durable Python SDK over stored history."""

from devhost.durable.activities import ActivityFunction
from devhost.durable.engine import (
    DurableEngine,
    EngineStats,
    OrchestrationAlreadyExistsError,
    UnknownOrchestratorError,
)
from devhost.durable.management import InstanceGoneError, InstanceNotFoundError
from devhost.durable.store import DurableStore

__all__ = [
    "ActivityFunction",
    "DurableEngine",
    "DurableStore",
    "EngineStats",
    "InstanceGoneError",
    "InstanceNotFoundError",
    "OrchestrationAlreadyExistsError",
    "UnknownOrchestratorError",
]
