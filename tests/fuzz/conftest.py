"""The fuzzing tier: schemathesis against the OpenAPI document the real app serves.

One devhost serves the app (on Azurite and the Azure emulator of tests/conftest.py); one tenant with one site is
made for the session, and every generated request names that tenant, so tenant-scoped operations get past their
404s (the site keeps the tenant from being deleted by deleteTenant, which then answers 409 or 412). Every request
goes through one counting session; each failure is recorded once per (operation, kind of failure, title, status),
with the shortest request that showed it, and the tier's last test fails with that list.

Knobs (environment):
- FUZZ_EXAMPLES: Hypothesis examples per operation in the fuzzing phase (default 10, as `make test` runs it;
  `make fuzz` raises it). The examples and coverage phases add their own, schema-derived cases.
- FUZZ_SEED: a fixed seed (an integer); unset, generation is derandomized: the same cases on every run.
- FUZZ_FAIL_FAST=1: stop each operation at its first failure and let Hypothesis shrink it (schemathesis' own
  report), instead of recording every failure and going on.
- FUZZ_REPORT: a path; the run's counts and deduplicated failures are written there as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import schemathesis.specs.openapi.coverage
import schemathesis.specs.openapi.schemas  # compiled at collection: see below
from hypothesis.internal.reflection import get_pretty_function_description
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from devhost.azurite import Azurite, free_port
from devhost.host import DevHost
from tests.conftest import PROJECT_ROOT
from tests.fuzz.harness import (
    FUZZ_EXAMPLES,
    FUZZ_REPORT,
    FUZZ_SEED,
    FUZZED_NOT_WALKED,
    STATS,
    CountingSession,
    FuzzStats,
)
from tests.utils.api_client import ApiClient
from tests.utils.factories import site_body, tenant_body, unique_table_prefix

# CPython 3.11's AST conversion can fail on a large module ("AST constructor recursion depth mismatch") when it runs
# deep in a test's stack with the in-process hosts' threads about. Two such conversions happen in the fuzz tier:
# compiling schemathesis' OpenAPI modules on first use (imported above, so compiled now, at collection) and
# Hypothesis parsing the coverage package's modules once to describe their filter lambdas (done now, through
# Hypothesis' own description of a lambda of each file, which keeps the parsed module in its cache for the tier's
# real ones).
COVERAGE_PACKAGE = Path(schemathesis.specs.openapi.coverage.__file__).parent
for module in sorted(COVERAGE_PACKAGE.glob("*.py")):
    get_pretty_function_description(eval(compile("lambda value: value", str(module), "eval")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS.requests == 0:
        return
    terminalreporter.section("fuzz")
    for line in STATS.report()[:2]:  # the counts and statuses; the failures are in the last test's assertion
        terminalreporter.write_line(line)
    if FUZZ_REPORT:
        Path(FUZZ_REPORT).write_text(json.dumps(STATS.as_json(), indent=2), encoding="utf-8")
        terminalreporter.write_line(f"fuzz: counts and failures written to {FUZZ_REPORT}")


@pytest.fixture(scope="session")
def fuzz_stats() -> FuzzStats:
    return STATS


@pytest.fixture(scope="session")
def fuzz_session() -> Iterator[requests.Session]:
    with CountingSession() as session:
        yield session


@pytest.fixture(scope="session")
def fuzz_host(azurite: Azurite, azure_environment: dict[str, str]) -> Iterator[DevHost]:
    """The app as the e2e tier serves it, on tables and queues of its own (and no log collection)."""
    prefix = unique_table_prefix()
    port = free_port()
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": prefix,
        "NOTIFICATION_URL": f"http://127.0.0.1:{port}/api/directoryNotifications",
        "DIRECTORY_EVENTS_QUEUE": f"events-{prefix}",
        "BULK_ACTIONS_QUEUE": f"bulk-{prefix}",
        "TEMPLATE_ROLLOUTS_QUEUE": f"rollouts-{prefix}",
        "DIRECTORY_SUBSCRIPTIONS_QUEUE": f"subscriptions-{prefix}",
        "ALERT_EVALUATIONS_QUEUE": f"alert-evaluations-{prefix}",
        "TIMER_WORK_QUEUE": f"timer-work-{prefix}",
        "ALERT_DELIVERIES_QUEUE": f"alert-deliveries-{prefix}",
    }
    host = DevHost(PROJECT_ROOT, env=env, port=port)
    host.start()
    try:
        yield host
    finally:
        host.stop()


@dataclass(frozen=True)
class FuzzTenant:
    tenant_id: str
    site_id: str


@pytest.fixture(scope="session")
def fuzz_tenant(fuzz_host: DevHost, admin_token: str) -> FuzzTenant:
    """A tenant the admin owns, with a site: the site keeps deleteTenant from ever removing the tenant."""
    api = ApiClient(f"{fuzz_host.base_url}/api", admin_token)
    tenant_id: str = api.created("/tenants", tenant_body(displayName="Fuzzing"))["id"]
    site_id: str = api.created(f"/tenants/{tenant_id}/sites", site_body(displayName="Fuzzing"))["id"]
    return FuzzTenant(tenant_id, site_id)


def fuzz_config(*, base_url: str, token: str, tenant: FuzzTenant) -> SchemathesisConfig:
    generation: dict[str, Any] = {
        "mode": "all",  # positive and negative data
        "max-examples": FUZZ_EXAMPLES,
        "database": "none",  # no .hypothesis/ folder in the tree: a run is reproduced by its seed
    }
    settings: dict[str, Any] = {
        "base-url": base_url,
        "auth": {"openapi": {"entraId": {"bearer": token}}},  # the document's scheme: anonymous routes go without
        "parameters": {"path.tenantId": tenant.tenant_id},
        "operations": [
            # reads and updates of a real site validate a real Site; its delete keeps generated ids (404)
            {"include-operation-id": ["getSite", "updateSite"], "parameters": {"path.siteId": tenant.site_id}},
            {"include-operation-id": sorted(FUZZED_NOT_WALKED), "phases": {"coverage": {"enabled": False}}},
        ],
        "generation": generation,
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        "checks": {
            "enabled": True,
            # schemathesis' defaults, and 412: a schema-valid If-Match naming no current etag is stale, as documented
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
            },
        },
        # only the token is a secret: skip tokens, validation tokens and passwords here are generated data
        "output": {"sanitization": {"keys-to-sanitize": ["authorization"], "sensitive-markers": ["authorization"]}},
    }
    if FUZZ_SEED is None:
        generation["deterministic"] = True
    else:
        settings["seed"] = int(FUZZ_SEED)
    return SchemathesisConfig.from_dict(settings)


SCHEMA_WAIT_S = 300


@pytest.fixture(scope="session")
def fuzz_schema(fuzz_host: DevHost, admin_token: str, fuzz_tenant: FuzzTenant) -> BaseSchema:
    config = fuzz_config(base_url=f"{fuzz_host.base_url}/api", token=admin_token, tenant=fuzz_tenant)
    # the app builds its OpenAPI document at the first request (every route's models): on a loaded 2-core machine
    # that took longer than schemathesis' 10 s, so the whole tier errored; the document is waited for, not timed
    return schemathesis.openapi.from_url(f"{fuzz_host.base_url}/api/openapi.json", config=config, timeout=SCHEMA_WAIT_S)
