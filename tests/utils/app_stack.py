"""The app on devhost over the session's Azurite and emulator, its tables and queues its own (e2e, browser tiers)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from azure_emulator.launcher import EmulatorProcess
from devhost.app_registration import register_app
from devhost.azurite import Azurite, free_port
from tests.conftest import PROJECT_ROOT
from tests.utils.api_client import ApiClient
from tests.utils.factories import unique_table_prefix

if TYPE_CHECKING:  # imported by the fixture that starts it: the unit tier, which loads this plugin too, never does
    from devhost.host import DevHost
    from shared.bootstrap import Services


class Collected(logging.Handler):
    """Keeps every log record of the session, so tests can prove what was never logged."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.tracebacks: list[str] = []  # each record logged with a traceback, as its message and traceback

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        self.lines.append(message)
        # a worker process's record arrives with its traceback already formatted (devhost/worker.py)
        if record.exc_info or record.exc_text:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]
            self.tracebacks.append(f"{message}\n{text}")


@pytest.fixture(scope="session")
def app_logs() -> Iterator[Collected]:
    handler = Collected()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture(scope="session")
def table_prefix() -> str:
    return unique_table_prefix()


@pytest.fixture(scope="session")
def app_host(
    azurite: Azurite,
    azure_emulator: EmulatorProcess,
    azure_environment: dict[str, str],
    table_prefix: str,
    app_logs: Collected,
) -> Iterator[DevHost]:
    port = free_port()  # known before the start, for the Graph subscriptions' notification URL and the portal's
    portal_url = f"http://127.0.0.1:{port}/api/portal/"
    register_app(azure_emulator, portal_url)
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": table_prefix,
        "NOTIFICATION_URL": f"http://127.0.0.1:{port}/api/directoryNotifications",
        "PORTAL_URL": portal_url,
        "DIRECTORY_EVENTS_QUEUE": f"events-{table_prefix}",
        "BULK_ACTIONS_QUEUE": f"bulk-{table_prefix}",
        "TEMPLATE_ROLLOUTS_QUEUE": f"rollouts-{table_prefix}",
        "DIRECTORY_SUBSCRIPTIONS_QUEUE": f"subscriptions-{table_prefix}",
        "ALERT_EVALUATIONS_QUEUE": f"alert-evaluations-{table_prefix}",
        "TIMER_WORK_QUEUE": f"timer-work-{table_prefix}",
        "ALERT_DELIVERIES_QUEUE": f"alert-deliveries-{table_prefix}",
        "ALERT_WEBHOOK_PRIVATE_NETWORKS": "127.0.0.0/8",  # the tests' webhook receivers listen on loopback
        # grace periods stay long (tests act within them); clean-up comes at once, swept every 5 s: a sweep every
        # second kept an idle host and its Azurite at 9% of a core, every 5 s at 5% (the queues' polling)
        "CLOUDPC_CLEANUP_DELAY": "PT1S",
        "WINDOWS365_POLL": "PT1S",  # Windows 365 in the emulator works in moments
        "WINDOWS365_CHECKS_POLL": "PT1S",
        "LIFECYCLE_SWEEP_SCHEDULE": "*/5 * * * * *",
        # host power is the optimization's only when a test asks for it (a sweep would stop idle hosts mid-test)
        "SPOT_OPTIMIZE_SCHEDULE": "0 0 0 1 1 *",
        # the use watch too (tests run it, at real or simulated times: a run of its own would count a simulated day)
        "USE_WATCH_SCHEDULE": "0 0 0 1 1 *",
    }
    from devhost.host import DevHost

    host = DevHost(PROJECT_ROOT, env=env, port=port)
    host.start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def app_services(azurite: Azurite, azure_environment: dict[str, str], table_prefix: str) -> Services:
    """The app's services as shared/bootstrap.py builds them for the Functions host, on the stack's tables and the
    emulator: for a test that calls a domain function as its trigger does, at a time of the test's choosing (a
    simulated day of the 5-minute optimization), on the same state the app on devhost serves."""
    from shared.bootstrap import build_services
    from shared.settings import Settings

    return build_services(Settings(storage_connection_string=azurite.connection_string, table_name_prefix=table_prefix))


@pytest.fixture
def api(app_host: DevHost, admin_token: str) -> ApiClient:
    """The API as the development settings' organization owner (`make token AS=admin`) calls it."""
    return ApiClient(f"{app_host.base_url}/api", admin_token)
