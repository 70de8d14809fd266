"""One DevHost serving the sample app for the HTTP, queue and Durable tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.host import DevHost
from tests.devhost.support import SAMPLE_APP


# package scope: the host (and the settings it puts in os.environ) ends with this folder
@pytest.fixture(scope="package")
def sample_host(storage_connection_string: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    state: Path = tmp_path_factory.mktemp("devhost-state")
    host = DevHost(
        SAMPLE_APP,
        env={"AzureWebJobsStorage": storage_connection_string, "SAMPLE_OVERRIDDEN": "from the test environment"},
        state_dir=state,
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()
