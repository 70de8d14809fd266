"""devhost's Azurite keeps idle connections as long as Azure's front ends do, not Node's 5 s."""

from __future__ import annotations

import requests

from devhost.azurite import Azurite


def test_each_service_keeps_an_idle_connection_longer_than_any_poll_here(azurite: Azurite) -> None:
    # a 5 s keep-alive met a 5 s poller's write as the socket closed: a POST the SDKs do not retry failed
    for service in ("blob", "queue", "table"):
        answer = requests.get(azurite.service_uri(service), timeout=30)
        assert answer.headers.get("Keep-Alive") == "timeout=250", (service, answer.headers)
