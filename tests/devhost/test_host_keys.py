"""Host keys: off loopback (here forced on 127.0.0.1) the Durable webhooks and admin routes need the host key."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from devhost.__main__ import _parse
from devhost.host import KEYS_NOTICE, DevHost, connect_url
from devhost.host_keys import (
    KEY_FILE_NAME,
    MASTER_KEY_SETTING,
    HostKeys,
    host_key_required,
    is_loopback,
    load_host_keys,
    management_scope,
)
from tests.devhost.support import SAMPLE_APP, Reply, call, eventually, quiet_env
from tests.utils.durable_session import own_sdk_session

WEBHOOK = "/runtime/webhooks/durabletask"
# "daily" stays enabled as the admin API's target; its schedule (03:00) never fires during a test
QUIET = quiet_env("every_second", "work_item", "text_item")


def _env(storage_connection_string: str) -> dict[str, str]:
    return {"AzureWebJobsStorage": storage_connection_string, **QUIET}


@contextmanager
def serving(storage_connection_string: str, state_dir: Path, **options: Any) -> Iterator[DevHost]:
    """A host beside the package's sample_host, with the Durable SDK's HTTP session to itself.

    The SDK keeps one session per process, tied to the loop of the host that made it, and each
    host closes it on stop: set the sample host's aside meanwhile, and give it back afterwards.
    """
    with own_sdk_session():
        env = {**_env(storage_connection_string), **options.pop("env", {})}
        with DevHost(SAMPLE_APP, env=env, state_dir=state_dir, **options) as host:
            yield host


@pytest.fixture(scope="module")
def keyed_host(storage_connection_string: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    with serving(storage_connection_string, tmp_path_factory.mktemp("devhost-keys"), require_host_key=True) as host:
        yield host


def _start(host: DevHost, names: list[str]) -> Reply:
    return call(
        "POST", f"{host.base_url}/api/start/greet_all", json.dumps(names).encode(), {"Content-Type": "application/json"}
    )


def _admin(host: DevHost, query: str = "", headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"input": ""}).encode()
    return call(
        "POST",
        f"{host.base_url}/admin/functions/daily{query}",
        body,
        {"Content-Type": "application/json", **(headers or {})},
    )


def _finished(url: str) -> dict[str, Any] | None:
    reply = call("GET", url)
    assert reply.status in (200, 202), reply.status
    status: dict[str, Any] = reply.json()
    return status if status["runtimeStatus"] in ("Completed", "Failed", "Terminated") else None


# ---- the policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "fe80::1", "", "devbox.example"])
def test_addresses_off_loopback_require_the_key(address: str) -> None:
    assert not is_loopback(address)
    assert host_key_required(address, None)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1"])
def test_loopback_addresses_do_not(address: str) -> None:
    assert is_loopback(address)
    assert not host_key_required(address, None)


def test_an_explicit_policy_wins_over_the_address() -> None:
    assert host_key_required("127.0.0.1", True)
    assert not host_key_required("0.0.0.0", False)


def test_devhost_defaults_to_loopback_and_the_cli_takes_host() -> None:
    host = DevHost(SAMPLE_APP)
    assert host.bind_host == "127.0.0.1"
    assert not host.host_key_required
    assert DevHost(SAMPLE_APP, host="0.0.0.0").host_key_required
    assert _parse([]).host == "127.0.0.1"
    assert _parse(["--host", "0.0.0.0"]).host == "0.0.0.0"


def test_urls_for_a_wildcard_bind_use_loopback() -> None:
    assert connect_url("0.0.0.0", 7071) == "http://127.0.0.1:7071"
    assert connect_url("::", 7071) == "http://[::1]:7071"
    assert connect_url("::1", 7071) == "http://[::1]:7071"
    assert connect_url("192.168.1.20", 7071) == "http://192.168.1.20:7071"
    assert connect_url("localhost", 7071) == "http://localhost:7071"


def test_management_scopes() -> None:
    assert management_scope(f"{WEBHOOK}/instances/abc") == "durable"
    assert management_scope("/Runtime/Webhooks/DurableTask/instances") == "durable"
    assert management_scope("/admin/functions/daily") == "admin"
    assert management_scope("/ADMIN/host/status") == "admin"
    assert management_scope("/runtime/webhooks/eventgrid") == "admin"
    assert management_scope("/api/start/greet_all") is None
    assert management_scope("/administrator") is None
    assert management_scope("/") is None


def test_the_system_key_opens_durable_only_and_nothing_opens_with_nothing() -> None:
    keys = HostKeys(master="m" * 43, durable="d" * 43, source="test")
    assert keys.admits("m" * 43, durable=False)
    assert keys.admits("m" * 43, durable=True)
    assert keys.admits("d" * 43, durable=True)
    assert not keys.admits("d" * 43, durable=False)
    assert not keys.admits("m" * 42, durable=True)
    assert not keys.admits("", durable=True)
    assert not keys.admits(None, durable=True)
    assert not keys.admits("clé", durable=True)  # non-ASCII is compared as bytes, not raised on


def test_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_host_keys(tmp_path, {})
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == {"masterKey": first.master, "systemKeys": {"durabletask_extension": first.durable}}
    assert len(first.master) >= 43 and first.master != first.durable
    assert first.source == str(path.resolve())
    assert load_host_keys(tmp_path, {}) == first


def test_key_file_made_readable_is_tightened_and_missing_keys_are_added(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    path.write_text(json.dumps({"masterKey": "my-own-master-key"}), encoding="utf-8")
    path.chmod(0o644)
    keys = load_host_keys(tmp_path, {})
    assert keys.master == "my-own-master-key"
    assert keys.durable
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_host_keys(tmp_path, {}).durable == keys.durable


def test_a_broken_key_file_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match="not JSON"):
        load_host_keys(tmp_path, {})


def test_the_setting_overrides_the_master_key(tmp_path: Path) -> None:
    keys = load_host_keys(tmp_path, {MASTER_KEY_SETTING: "from-the-setting"})
    assert keys.master == "from-the-setting"
    assert keys.source == f"the {MASTER_KEY_SETTING} setting"
    assert json.loads((tmp_path / KEY_FILE_NAME).read_text(encoding="utf-8"))["masterKey"] != "from-the-setting"


def test_without_a_state_folder_keys_live_in_memory() -> None:
    first, second = load_host_keys(None, {}), load_host_keys(None, {})
    assert first.master != second.master
    assert "in memory" in first.source


# ---- a host that requires the key -----------------------------------------------------------


def test_durable_status_needs_the_key(keyed_host: DevHost) -> None:
    master = keyed_host.master_key
    assert master
    started = _start(keyed_host, ["ada"])  # an HTTP function: no key, the app authenticates its callers
    assert started.status == 202, started.text
    instance_id = started.json()["id"]
    status_url = f"{keyed_host.base_url}{WEBHOOK}/instances/{instance_id}"

    for reply in (
        call("GET", status_url),
        call("GET", status_url, headers={"x-functions-key": "wrong"}),
        call("GET", f"{status_url}?code=wrong"),
        call("GET", f"{status_url}?code={master[:-1]}"),
    ):
        assert reply.status == 401
        assert reply.body == b""

    by_header = call("GET", status_url, headers={"x-functions-key": master})
    assert by_header.status in (200, 202)
    assert by_header.json()["instanceId"] == instance_id
    by_query = call("GET", f"{status_url}?code={master}")
    assert by_query.status in (200, 202)
    # the header is the key when both are sent, as in the Functions host
    assert call("GET", f"{status_url}?code={master}", headers={"x-functions-key": "wrong"}).status == 401
    # any other Durable route is guarded the same way
    assert call("GET", f"{keyed_host.base_url}{WEBHOOK}/instances").status == 401
    assert call("POST", f"{keyed_host.base_url}{WEBHOOK}/orchestrators/greet_all", b"[]").status == 401
    made = call("POST", f"{keyed_host.base_url}{WEBHOOK}/orchestrators/greet_all?code={master}", b'["bob"]')
    assert made.status == 202


def test_admin_routes_need_the_master_key(keyed_host: DevHost) -> None:
    master = keyed_host.master_key
    assert master and keyed_host.host_keys is not None
    assert _admin(keyed_host).status == 401
    assert _admin(keyed_host).body == b""
    assert _admin(keyed_host, headers={"x-functions-key": "wrong"}).status == 401
    assert _admin(keyed_host, "?code=wrong").status == 401
    # the Durable system key, which the check-status links carry, does not open the admin API
    assert _admin(keyed_host, headers={"x-functions-key": keyed_host.host_keys.durable}).status == 401
    assert _admin(keyed_host, headers={"x-functions-key": master}).status == 202
    assert _admin(keyed_host, f"?code={master}").status == 202
    # admin paths devhost does not serve are not told apart from served ones without the key
    assert call("GET", f"{keyed_host.base_url}/admin/host/status").status == 401
    assert call("GET", f"{keyed_host.base_url}/admin/host/status", headers={"x-functions-key": master}).status == 404


def test_http_functions_need_no_key_and_ignore_a_wrong_one(keyed_host: DevHost) -> None:
    assert call("GET", f"{keyed_host.base_url}/api/items/7").json() == {"kind": "id", "id": "7"}
    reply = call("GET", f"{keyed_host.base_url}/api/items/7?code=wrong", headers={"x-functions-key": "wrong"})
    assert reply.status == 200


def test_orchestration_started_from_an_http_function_completes(keyed_host: DevHost) -> None:
    assert keyed_host.host_keys is not None
    reply = _start(keyed_host, ["ada", "grace"])
    assert reply.status == 202, reply.text
    payload = reply.json()
    location = reply.headers["Location"]
    assert location == payload["statusQueryGetUri"]
    assert location.startswith(f"{keyed_host.base_url}{WEBHOOK}/instances/")
    # the links carry the Durable system key, as the extension's do in Azure; never the master key
    assert parse_qs(urlsplit(location).query)["code"] == [keyed_host.host_keys.durable]
    assert keyed_host.host_keys.master not in reply.text

    status = eventually(lambda: _finished(location), what="orchestration to finish")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["hello from local settings, ada", "hello from local settings, grace"]


def test_binding_payload_carries_the_system_key_and_a_loopback_rpc_url(keyed_host: DevHost) -> None:
    assert keyed_host.engine is not None and keyed_host.host_keys is not None
    payload = json.loads(keyed_host.engine.client_binding_json())
    code = keyed_host.host_keys.durable
    assert payload["requiredQueryStringParameters"] == f"code={code}"
    assert f"&code={code}" in payload["creationUrls"]["createNewInstancePostUri"]
    assert f"&code={code}" in payload["managementUrls"]["statusQueryGetUri"]
    rpc = urlsplit(payload["rpcBaseUrl"])
    assert rpc.hostname == "127.0.0.1"
    assert rpc.port != keyed_host.port
    # the SDK's own API answers without a key, on loopback only, as the extension's local listener does
    assert call("GET", f"{payload['rpcBaseUrl']}instances").status == 200


# ---- start-up and the key file ------------------------------------------------------------


def test_default_loopback_host_leaves_endpoints_open(
    storage_connection_string: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devhost")
    with serving(storage_connection_string, tmp_path) as host:
        assert host.master_key is None
        assert call("GET", f"{host.base_url}{WEBHOOK}/instances/no-such-instance").status == 404
        assert _admin(host).status == 202
        payload = json.loads(host.engine.client_binding_json()) if host.engine else {}
        assert payload["requiredQueryStringParameters"] == ""
    messages = [r.getMessage() for r in caplog.records]
    assert "Durable and admin endpoints are open: the host is bound to loopback" in messages
    assert KEYS_NOTICE in messages
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_key_file_persists_across_hosts_and_is_never_logged(
    storage_connection_string: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devhost")
    with serving(storage_connection_string, tmp_path, require_host_key=True) as first:
        key = first.master_key
    path = tmp_path / KEY_FILE_NAME
    assert key and json.loads(path.read_text(encoding="utf-8"))["masterKey"] == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with serving(storage_connection_string, tmp_path, require_host_key=True) as second:
        assert second.master_key == key
        status_url = f"{second.base_url}{WEBHOOK}/instances/no-such-instance"
        assert call("GET", status_url, headers={"x-functions-key": key}).status == 404
        assert call("GET", status_url).status == 401

    expected = (
        "Bound to 127.0.0.1 (loopback): Durable and admin endpoints require the host key "
        f"(x-functions-key or ?code=) from {path.resolve()}"
    )
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count(expected) == 2
    assert not any(key in m for m in messages)


def test_master_key_from_the_setting(
    storage_connection_string: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devhost")
    env = {MASTER_KEY_SETTING: "a-key-from-the-environment"}
    assert MASTER_KEY_SETTING not in os.environ
    with serving(storage_connection_string, tmp_path, env=env, require_host_key=True) as host:
        assert host.master_key == "a-key-from-the-environment"
        assert _admin(host, headers={"x-functions-key": "a-key-from-the-environment"}).status == 202
    assert any(r.getMessage().endswith(f"from the {MASTER_KEY_SETTING} setting") for r in caplog.records)
