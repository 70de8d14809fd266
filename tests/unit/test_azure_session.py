"""The session of every Azure, Graph and Table Storage client reads the environment's proxies once, when it is made,
and never again at a request (requests re-reads the environment at each one while `trust_env` is on); the Table
clients send through it as the Azure clients do."""

from __future__ import annotations

import pytest

from shared.cloud.azure.transport import azure_session
from shared.storage.account import client_options


def test_the_proxies_are_read_once_when_the_session_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.delenv("https_proxy", raising=False)
    session = azure_session()
    assert session.trust_env is False, "nothing read from the environment at a request"
    assert session.proxies == {"https": "http://proxy.corp.example:3128"}


def test_table_storage_sends_through_such_a_session_whatever_its_endpoint() -> None:
    transport = client_options()["transport"]
    assert transport.session.trust_env is False
