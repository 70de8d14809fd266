"""Contract tests of AzureDesktopVirtualization: the app's credentials and the real SDK against the emulator. A Spot
Group's host pool, application group, workspace and the groups' access are made once and a repeat only reads; a VM
made by the provisioning adapter is registered as a session host with a token that shows up nowhere; drained, listed,
removed, and the whole environment deleted; the users' sessions listed by VM, messaged, disconnected and logged off, a
gone one said so. Throttling comes back as Progress (or CloudThrottled for what answers none), never as a wait."""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.mgmt.desktopvirtualization.operations import HostPoolsOperations

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.avd import KEPT_S, AzureDesktopVirtualization
from shared.cloud.azure.credentials import AzureCredentials
from shared.ports.cloud_errors import SESSION_GONE, CloudError, CloudThrottled
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DEPLOYMENT_WINDOW, DesktopVirtualization, HostPoolSpec
from shared.ports.progress import Progress
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.graph_admin import GraphAdmin
from tests.utils.onboarding import grant_app
from tests.utils.progress import marketplace_vm, until_done

THROTTLED = "Azure Resource Manager said not now (TooManyRequests)"  # a 429's reason, for the timeline

APP_TENANT = "spot-groups"
REGION, RG = "westeurope", "rg-spot"
NS = "Microsoft.DesktopVirtualization"
AVD_API = "2024-04-03"
MARKETPLACE = "microsoftwindowsdesktop_windows-11_win11-24h2-avd"
DESKTOP_USER = "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63"


@dataclass
class Cloud:
    avd: DesktopVirtualization  # typed as the port, so mypy checks that the adapter implements it
    compute: AzureProvisioningCompute
    admin: ArmAdmin
    controls: Controls
    placement: Placement
    clients: ArmClients
    sales: str  # two Entra groups of the tenant (ARM assigns roles only to principals that exist)
    support: str

    def spec(self, pool: str = "hp-sales", **changes: Any) -> HostPoolSpec:
        spec = HostPoolSpec(
            placement=self.placement,
            host_pool=pool,
            pool_type="pooled",
            max_sessions=8,
            friendly_name="Sales desktops",
            user_group_ids=(self.sales, self.support),
        )
        return replace(spec, **changes)

    def ensure(self, spec: HostPoolSpec) -> Progress:
        return until_done(lambda op: self.avd.ensure_host_pool(APP_TENANT, spec, op))

    def id(self, resource_type: str, name: str) -> str:
        return self.admin.resource_id(RG, NS, resource_type, name)

    def get(self, resource_id: str) -> Any:
        return self.admin.call("GET", resource_id, api_version=AVD_API)

    def sent(self, operation: str | None = None) -> list[dict[str, Any]]:
        """What this test's subscription sent (under `operation`; the emulator is shared by the session)."""
        return [e for e in self.controls.log(operation) if self.admin.subscription_id in e["path"]]

    def writes(self) -> list[dict[str, Any]]:
        """What changed something: retrieveRegistrationToken is a POST that only reads."""
        return [e for e in self.sent() if e["method"] != "GET" and e["operation"] != "retrieveRegistrationToken"]

    def access(self, pool: str) -> dict[str, str]:
        """principal -> principalType of the Desktop Virtualization User assignments on the application group."""
        scope = self.id("applicationGroups", f"{pool}-dag").lower()
        return {
            a["properties"]["principalId"]: a["properties"]["principalType"]
            for a in self.admin.role_assignments(RG)
            if a["properties"]["scope"].lower() == scope and a["properties"]["roleDefinitionId"].endswith(DESKTOP_USER)
        }

    def vm(self) -> str:
        """A running VM made as provisioning makes one; its name."""
        return marketplace_vm(self.compute, APP_TENANT, self.placement, MARKETPLACE, "spot")

    def register(self, pool: str, vm: str) -> Progress:
        return until_done(lambda op: self.avd.register_session_host(APP_TENANT, self.placement, pool, vm, op))

    def sign_in(self, pool: str, upn: str) -> None:
        """A user of Sales, which the pool's desktop is granted to, connects (the emulator's control: AVD places them
        as its load balancing does)."""
        directory = GraphAdmin(self.admin.emulator, self.admin.tenant_id)
        local = upn.split("@", 1)[0]
        user = directory.call(
            "POST",
            f"{directory.graph}/users",
            {
                "accountEnabled": True,
                "displayName": local,
                "mailNickname": local,
                "userPrincipalName": upn,
                "passwordProfile": {"password": uuid.uuid4().hex + "Aa1!"},
            },
        )
        directory.add_member(self.sales, str(user["id"]))
        url = f"{self.admin.emulator.base_url}/emulator/avd{self.id('hostPools', pool)}/signIns"
        reply = self.admin.session.post(url, json={"userPrincipalName": upn}, timeout=30)
        assert reply.status_code == 201, reply.text

    def messages(self, pool: str) -> list[dict[str, Any]]:
        url = f"{self.admin.emulator.base_url}/emulator/avd{self.id('hostPools', pool)}/messages"
        return list(self.admin.session.get(url, timeout=30).json()["value"])

    def token(self, pool: str) -> str:
        reply = self.admin.call("POST", f"{self.id('hostPools', pool)}/retrieveRegistrationToken", api_version=AVD_API)
        return str(reply.json()["token"])


@pytest.fixture
def cloud(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Cloud]:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    admin.resource_group(RG)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    settings = Settings()  # the app's settings: the environment points them at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    arm = ArmClients(credentials, settings.arm_endpoint)
    yield Cloud(
        avd=AzureDesktopVirtualization(arm),
        compute=AzureProvisioningCompute(arm),
        admin=admin,
        controls=Controls(azure_emulator, entra),
        placement=Placement(admin.subscription_id, RG, REGION),
        clients=arm,
        sales=GraphAdmin(azure_emulator, entra).create_group("Sales"),
        support=GraphAdmin(azure_emulator, entra).create_group("Support"),
    )
    arm.close()
    credentials.close()


def test_the_host_pool_its_desktop_group_and_workspace_are_made_once_and_a_repeat_only_reads(cloud: Cloud) -> None:
    spec = cloud.spec()
    pool_id, group_id, ws_id = (
        cloud.id("hostPools", "hp-sales"),
        cloud.id("applicationGroups", "hp-sales-dag"),
        cloud.id("workspaces", "hp-sales-ws"),
    )
    assert cloud.ensure(spec) == Progress(done=True, resource_id=pool_id)
    [put] = cloud.sent("createHostPool")
    assert put["method"] == "PUT" and put["path"] == f"/arm{pool_id}" and put["query"]["api-version"] == AVD_API
    assert put["body"]["location"] == REGION
    assert put["body"]["properties"] == {
        "hostPoolType": "Pooled",
        "loadBalancerType": "BreadthFirst",
        "maxSessionLimit": 8,
        "preferredAppGroupType": "Desktop",
        "friendlyName": "Sales desktops",
    }
    group = cloud.get(group_id).json()["properties"]
    assert (group["applicationGroupType"], group["hostPoolArmPath"], group["workspaceArmPath"]) == (
        "Desktop",
        pool_id,
        ws_id,
    )
    assert cloud.get(ws_id).json()["properties"]["applicationGroupReferences"] == [group_id]
    assert cloud.access("hp-sales") == {cloud.sales: "Group", cloud.support: "Group"}

    writes = len(cloud.writes())
    assert cloud.ensure(spec) == Progress(done=True, resource_id=pool_id)
    assert len(cloud.writes()) == writes, "a repeat with the same spec sends nothing but reads"

    changed = cloud.spec(max_sessions=12, friendly_name="Sales", user_group_ids=(cloud.sales,))
    assert cloud.ensure(changed).done
    token, patch = cloud.sent("updateHostPool")  # the registration token made with the pool, then the change
    assert "registrationInfo" in token["body"]["properties"]
    # made once, before any host registers, to last a deployment: hosts registering side by side never renew it
    # (a new token replaces the old, so a renewal would fail the registrations in flight)
    expires = datetime.fromisoformat(token["body"]["properties"]["registrationInfo"]["expirationTime"])
    assert expires - datetime.now(UTC) > DEPLOYMENT_WINDOW
    assert patch["body"] == {"properties": {"friendlyName": "Sales", "maxSessionLimit": 12}}, "only what differs"
    assert cloud.access("hp-sales") == {cloud.sales: "Group"}, "the group no longer in the spec lost its access"
    assert len(cloud.sent("createHostPool")) == 1 and len(cloud.sent("createApplicationGroup")) == 1


def test_users_are_given_the_desktop_directly_listed_and_revoked_and_a_repeat_changes_nothing(cloud: Cloud) -> None:
    avd, placement = cloud.avd, cloud.placement
    assert avd.desktop_access(APP_TENANT, placement, "hp-users") is None, "no application group yet"
    assert cloud.ensure(cloud.spec("hp-users", user_group_ids=(cloud.sales,))).done
    directory = GraphAdmin(cloud.admin.emulator, cloud.admin.tenant_id)
    ann, bob = directory.create_user("ann"), directory.create_user("bob")
    assert avd.grant_desktop_access(APP_TENANT, placement, "hp-users", ann)
    assert avd.grant_desktop_access(APP_TENANT, placement, "hp-users", bob)
    assert avd.grant_desktop_access(APP_TENANT, placement, "hp-users", ann), "held already: done"
    assert cloud.access("hp-users") == {cloud.sales: "Group", ann: "User", bob: "User"}
    found = avd.desktop_access(APP_TENANT, placement, "hp-users")
    assert found is not None and (found.users, found.groups) == (frozenset({ann, bob}), frozenset({cloud.sales}))

    avd.revoke_desktop_access(APP_TENANT, placement, "hp-users", bob)
    avd.revoke_desktop_access(APP_TENANT, placement, "hp-users", cloud.sales)
    avd.revoke_desktop_access(APP_TENANT, placement, "hp-users", bob)  # gone already: done
    assert cloud.access("hp-users") == {ann: "User"}
    assert not avd.grant_desktop_access(APP_TENANT, placement, "hp-users", str(uuid.uuid4())), "unknown to Azure"


def test_a_personal_pool_assigns_automatically_and_keeps_a_users_host(cloud: Cloud) -> None:
    spec = cloud.spec("hp-personal", pool_type="personal", max_sessions=1, user_group_ids=(cloud.sales,))
    assert cloud.ensure(spec).done
    [put] = cloud.sent("createHostPool")
    props = put["body"]["properties"]
    assert (props["hostPoolType"], props["loadBalancerType"], props["personalDesktopAssignmentType"]) == (
        "Personal",
        "Persistent",
        "Automatic",
    )
    assert "maxSessionLimit" not in props
    with pytest.raises(CloudError) as changed:
        cloud.avd.ensure_host_pool(APP_TENANT, replace(spec, pool_type="pooled"))
    assert (changed.value.step, changed.value.code) == ("ensureHostPool", "hostPoolTypeChanged")

    vm = cloud.vm()
    assert cloud.register("hp-personal", vm).done
    [host] = cloud.get(f"{cloud.id('hostPools', 'hp-personal')}/sessionHosts").json()["value"]
    cloud.admin.call("PATCH", host["id"], {"properties": {"assignedUser": "ann@contoso.com"}}, api_version=AVD_API)
    [record] = cloud.avd.list_session_hosts(APP_TENANT, cloud.placement, "hp-personal")
    assert (record.vm_name, record.assigned_user_id) == (vm, "ann@contoso.com")


def test_a_direct_pools_host_is_assigned_to_its_user_once_and_a_host_not_in_the_pool_is_refused(cloud: Cloud) -> None:
    spec = cloud.spec("hp-direct", pool_type="personal", max_sessions=1, assignment="Direct")
    assert cloud.ensure(spec).done
    [put] = cloud.sent("createHostPool")
    assert put["body"]["properties"]["personalDesktopAssignmentType"] == "Direct"
    vm, other = cloud.vm(), cloud.vm()
    assert cloud.register("hp-direct", other).done
    assert cloud.register("hp-direct", vm).done
    assign = cloud.avd.assign_session_host

    def host_reads() -> int:
        return sum(1 for e in cloud.sent() if e["method"] == "GET" and "/sessionhosts" in e["path"].lower())

    read = host_reads()
    assert assign(APP_TENANT, cloud.placement, "hp-direct", vm, "ann@contoso.com").done
    assert host_reads() == read, "the host its registration has just read is assigned as read"
    assert assign(APP_TENANT, cloud.placement, "hp-direct", vm, "ann@contoso.com").done
    assert host_reads() == read + 1, "once: a repeat reads it, and finds it assigned"
    assert assign(APP_TENANT, cloud.placement, "hp-direct", other, "bob@contoso.com").done
    assert host_reads() == read + 2, "a host registered before the last one is read"
    [patch, _] = cloud.sent("updateSessionHost")  # a repeat only reads
    assert patch["body"] == {"properties": {"assignedUser": "ann@contoso.com"}}
    assigned = {
        r.vm_name: r.assigned_user_id for r in cloud.avd.list_session_hosts(APP_TENANT, cloud.placement, "hp-direct")
    }
    assert assigned == {vm: "ann@contoso.com", other: "bob@contoso.com"}
    assert assign(APP_TENANT, cloud.placement, "hp-direct", other, "cat@contoso.com").done, "changes hands: forced"
    reassigned = cloud.sent("updateSessionHost")[-1]
    assert str(reassigned["query"].get("force")).lower() == "true" and reassigned["status"] == 200
    assert "force" not in patch["query"], "a free host is assigned without force"
    with pytest.raises(CloudError) as missing:
        assign(APP_TENANT, cloud.placement, "hp-direct", "cpc-nosuch", "ann@contoso.com")
    assert (missing.value.step, missing.value.code) == ("assignSessionHost", "sessionHostNotFound")


def test_start_vm_on_connect_is_turned_on_once_the_personal_pool_exists_and_off_again(cloud: Cloud) -> None:
    spec = cloud.spec(
        "hp-starts", pool_type="personal", max_sessions=1, user_group_ids=(cloud.sales,), start_vm_on_connect=True
    )
    assert cloud.ensure(spec).done
    [put] = cloud.sent("createHostPool")
    assert "startVMOnConnect" not in put["body"]["properties"], "Azure takes it on a pool that exists"
    [patch] = [e for e in cloud.sent("updateHostPool") if "startVMOnConnect" in e["body"]["properties"]]
    assert patch["body"]["properties"] == {"startVMOnConnect": True}
    assert cloud.get(cloud.id("hostPools", "hp-starts")).json()["properties"]["startVMOnConnect"] is True
    writes = len(cloud.writes())
    assert cloud.ensure(spec).done and len(cloud.writes()) == writes, "a repeat only reads"
    assert cloud.ensure(replace(spec, start_vm_on_connect=False)).done
    assert cloud.get(cloud.id("hostPools", "hp-starts")).json()["properties"]["startVMOnConnect"] is False


def test_a_vm_is_registered_with_a_token_that_shows_up_nowhere_then_drained_listed_and_removed(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    avd, placement = cloud.avd, cloud.placement
    assert cloud.ensure(cloud.spec()).done
    vm = cloud.vm()
    progresses: list[Progress] = []

    def register(op: str | None) -> Progress:
        progresses.append(avd.register_session_host(APP_TENANT, placement, "hp-sales", vm, op))
        return progresses[-1]

    cloud.controls.latency("registerSessionHost", 1)
    done = until_done(register)
    pool_id = cloud.id("hostPools", "hp-sales")
    [host] = cloud.get(f"{pool_id}/sessionHosts").json()["value"]
    assert done == Progress(done=True, resource_id=host["id"])
    assert host["name"] == f"hp-sales/{vm[:15].upper()}", "AVD names the host after the VM's computer name"
    assert any(p.operation and p.operation.startswith("command https://") for p in progresses)

    token = cloud.token("hp-sales")
    assert token and token != "None"
    [command] = cloud.admin.run_commands(RG, vm)
    assert (
        command["name"] == "registerSessionHost" and "REGISTRATIONTOKEN=" in command["properties"]["source"]["script"]
    )
    assert token not in str(command), "not in the script, its parameters or its output"
    assert all(token not in str(e["body"]) for e in cloud.sent())
    [put] = cloud.sent("runCommand")
    assert put["body"]["properties"]["protectedParameters"] == [{"name": "RegistrationToken", "value": "***"}]
    assert all(token not in str(p) for p in progresses)
    assert token not in caplog.text

    assert avd.register_session_host(APP_TENANT, placement, "hp-sales", vm) == done, "a repeat finds it there"
    second = cloud.vm()
    assert cloud.register("hp-sales", second).done
    cloud.controls.page_size("listSessionHosts", 1)  # a host is looked for page by page, through the nextLinks
    try:
        assert avd.register_session_host(APP_TENANT, placement, "hp-sales", second).done
        assert avd.register_session_host(APP_TENANT, placement, "hp-sales", vm) == done
    finally:
        cloud.controls.page_size("listSessionHosts", None)
    assert len(cloud.sent("runCommand")) == 2
    assert len(cloud.sent("updateHostPool")) == 1, "the second registration reuses the token"

    records = {r.vm_name: r for r in avd.list_session_hosts(APP_TENANT, placement, "hp-sales")}
    assert set(records) == {vm, second}
    assert (records[vm].status, records[vm].allow_new_session, records[vm].sessions) == ("Available", True, 0)
    assert records[vm].assigned_user_id is None

    assert avd.drain_session_host(APP_TENANT, placement, "hp-sales", vm) == done
    assert avd.drain_session_host(APP_TENANT, placement, "hp-sales", vm) == done
    assert len(cloud.sent("updateSessionHost")) == 1, "a drained host is not patched again"
    drained = {r.vm_name: r.allow_new_session for r in avd.list_session_hosts(APP_TENANT, placement, "hp-sales")}
    assert drained == {vm: False, second: True}
    # a host not in the pool (never registered, or removed already) takes no session either
    assert avd.drain_session_host(APP_TENANT, placement, "hp-sales", "spot-nosuch") == Progress(done=True)
    # a schedule that drained it wants it again
    assert avd.undrain_session_host(APP_TENANT, placement, "hp-sales", vm) == done
    assert avd.undrain_session_host(APP_TENANT, placement, "hp-sales", vm) == done
    assert [e["body"]["properties"] for e in cloud.sent("updateSessionHost")] == [
        {"allowNewSession": False},
        {"allowNewSession": True},
    ], "each once"
    allowed = {r.vm_name: r.allow_new_session for r in avd.list_session_hosts(APP_TENANT, placement, "hp-sales")}
    assert allowed == {vm: True, second: True}

    assert avd.remove_session_host(APP_TENANT, placement, "hp-sales", vm) == Progress(done=True)
    assert avd.remove_session_host(APP_TENANT, placement, "hp-sales", vm) == Progress(done=True)
    [delete] = cloud.sent("deleteSessionHost")
    assert delete["status"] == 200 and delete["query"].get("force") == "true"
    assert [r.vm_name for r in avd.list_session_hosts(APP_TENANT, placement, "hp-sales")] == [second]
    assert cloud.admin.vm(RG, vm) is not None, "the VM is not touched"


def test_a_token_replaced_while_the_agent_installs_is_given_once_more_and_a_second_refusal_fails(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert cloud.ensure(cloud.spec()).done
    vm = cloud.vm()
    # the install runs for a while, so the token is replaced before it ends however busy the machine; the one run
    # more after it (Azure's latency then) ends quickly
    cloud.controls.latency("registerSessionHost", 10)
    started = cloud.avd.register_session_host(APP_TENANT, cloud.placement, "hp-sales", vm)
    cloud.controls.latency("registerSessionHost", 1)
    assert not started.done and started.operation and started.operation.startswith("command https://")
    sent = cloud.token("hp-sales")
    # another instance (its own cache) or an admin makes a new token: the one the agent was given stops working
    expires = datetime.now(UTC) + timedelta(days=2)
    renewal = {
        "properties": {
            "registrationInfo": {
                "registrationTokenOperation": "Update",
                "expirationTime": f"{expires:%Y-%m-%dT%H:%M:%SZ}",
            }
        }
    }
    assert cloud.admin.call("PATCH", cloud.id("hostPools", "hp-sales"), renewal, api_version=AVD_API).ok
    live = cloud.token("hp-sales")
    steps: list[Progress] = []

    def register(operation: str | None) -> Progress:
        steps.append(cloud.avd.register_session_host(APP_TENANT, cloud.placement, "hp-sales", vm, operation))
        return steps[-1]

    assert until_done(register, started).done, "installed once more, with the pool's live token"
    assert any(s.operation and s.operation.startswith("installAgain https://") for s in steps)
    assert [h.vm_name for h in cloud.avd.list_session_hosts(APP_TENANT, cloud.placement, "hp-sales")] == [vm]
    assert len(cloud.sent("runCommand")) == 2
    assert all(t not in caplog.text for t in (sent, live))

    second = cloud.vm()
    cloud.controls.fault("registerAgent", 2)  # its agent refuses the pool's live token, and again
    with pytest.raises(CloudError) as failed:
        cloud.register("hp-sales", second)
    assert (failed.value.step, failed.value.code) == ("registerSessionHost", "INVALID_REGISTRATION_TOKEN")
    assert len(cloud.sent("runCommand")) == 4, "once more, then the step fails"
    assert live not in str(failed.value) and live not in caplog.text
    assert [h.vm_name for h in cloud.avd.list_session_hosts(APP_TENANT, cloud.placement, "hp-sales")] == [vm]


def test_callers_side_by_side_in_one_process_renew_a_pools_token_once(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = cloud.spec()
    assert cloud.ensure(spec).done
    revoke = {"properties": {"registrationInfo": {"registrationTokenOperation": "Delete"}}}
    assert cloud.admin.call("PATCH", cloud.id("hostPools", "hp-sales"), revoke, api_version=AVD_API).ok
    before = len(cloud.sent("updateHostPool"))
    # each caller that read there is no token waits (a while at most) for another to read it too, before it renews
    met, read = threading.Barrier(2, timeout=2), HostPoolsOperations.retrieve_registration_token

    def read_then_meet(self: HostPoolsOperations, *args: Any, **kwargs: Any) -> Any:
        found = read(self, *args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            met.wait()
        return found

    monkeypatch.setattr(HostPoolsOperations, "retrieve_registration_token", read_then_meet)
    process = AzureDesktopVirtualization(cloud.clients)  # another process, which has not ensured the pool yet
    with ThreadPoolExecutor(max_workers=3) as threads:
        ensured = list(threads.map(lambda _: process.ensure_host_pool(APP_TENANT, spec).done, range(3)))
    assert ensured == [True, True, True]
    renewals = [e for e in cloud.sent("updateHostPool")[before:] if "registrationInfo" in str(e.get("body"))]
    assert len(renewals) == 1, "a second renewal would end the token the first caller's host installs with"


def test_the_process_trusts_a_pool_it_ensured_and_its_token_for_a_minute(cloud: Cloud) -> None:
    clock = [1000.0]
    avd = AzureDesktopVirtualization(cloud.clients, clock=lambda: clock[0])
    spec = cloud.spec()
    assert until_done(lambda op: avd.ensure_host_pool(APP_TENANT, spec, op)).done
    sent = len(cloud.sent())
    assert avd.ensure_host_pool(APP_TENANT, spec).done and len(cloud.sent()) == sent, "ensured: nothing is read"
    vm, name = cloud.vm(), "WRONG-NAME"  # a host named otherwise than the caller said is looked for in the list
    assert until_done(
        lambda op: avd.register_session_host(APP_TENANT, cloud.placement, "hp-sales", vm, op, host_name=name)
    ).done
    assert len(cloud.sent("retrieveRegistrationToken")) == 1, "the token read when the pool was ensured is used"
    assert len(cloud.sent("listSessionHosts")) == 1, "looked for by its name first, then in the list once"
    second = cloud.vm()  # named as the caller says (AVD names it after the VM's computer name): never listed
    assert until_done(
        lambda op: avd.register_session_host(
            APP_TENANT, cloud.placement, "hp-sales", second, op, host_name=second[:15].upper()
        )
    ).done
    assert len(cloud.sent("listSessionHosts")) == 1 and len(cloud.sent("getSessionHost")) == 4
    assert avd.ensure_host_pool(APP_TENANT, replace(spec, max_sessions=9)).done, "another spec is ensured at once"
    pool = cloud.id("hostPools", "hp-sales")
    renamed = {"properties": {"friendlyName": "changed by hand"}}
    assert cloud.admin.call("PATCH", pool, renamed, api_version=AVD_API).ok
    assert avd.ensure_host_pool(APP_TENANT, replace(spec, max_sessions=9)).done
    assert cloud.get(pool).json()["properties"]["friendlyName"] == "changed by hand", "within the minute"
    clock[0] += KEPT_S
    assert avd.ensure_host_pool(APP_TENANT, replace(spec, max_sessions=9)).done
    assert cloud.get(pool).json()["properties"]["friendlyName"] == "Sales desktops", "repaired a minute on"
    assert len(cloud.sent("retrieveRegistrationToken")) == 2, "and the token read again"
    assert avd.delete_host_pool(APP_TENANT, cloud.placement, "hp-sales").done
    assert until_done(lambda op: avd.ensure_host_pool(APP_TENANT, spec, op)).done, "made again once deleted"
    assert cloud.get(pool).status_code == 200


def test_deleting_the_host_pool_takes_workspace_group_access_and_hosts_and_a_repeat_is_done(cloud: Cloud) -> None:
    assert cloud.ensure(cloud.spec()).done
    assert cloud.register("hp-sales", cloud.vm()).done
    ids = [
        cloud.id("workspaces", "hp-sales-ws"),
        cloud.id("applicationGroups", "hp-sales-dag"),
        cloud.id("hostPools", "hp-sales"),
    ]
    assert cloud.avd.delete_host_pool(APP_TENANT, cloud.placement, "hp-sales") == Progress(done=True)
    assert [cloud.get(i).status_code for i in ids] == [404, 404, 404]
    assert cloud.access("hp-sales") == {}
    assert cloud.avd.delete_host_pool(APP_TENANT, cloud.placement, "hp-sales") == Progress(done=True)
    deletes = [e for e in cloud.sent() if e["method"] == "DELETE"]
    assert [e["path"].rsplit("/", 1)[-1] for e in deletes] == ["hp-sales-ws", "hp-sales-dag", "hp-sales"] * 2
    assert [e["status"] for e in deletes] == [200, 200, 200, 204, 204, 204]
    assert deletes[2]["query"].get("force") == "true"
    assert cloud.avd.list_session_hosts(APP_TENANT, cloud.placement, "hp-sales") == []


def test_the_pools_load_balancing_follows_the_phase_patched_only_when_it_differs(cloud: Cloud) -> None:
    avd, placement = cloud.avd, cloud.placement
    assert avd.balance_load(APP_TENANT, placement, "hp-sales", "depthFirst") is False, "no pool yet: nothing to do"
    assert cloud.ensure(cloud.spec()).done
    writes = len(cloud.writes())
    assert avd.balance_load(APP_TENANT, placement, "hp-sales", "breadthFirst") is False, "made breadth-first"
    assert len(cloud.writes()) == writes
    assert avd.balance_load(APP_TENANT, placement, "hp-sales", "depthFirst") is True
    assert avd.balance_load(APP_TENANT, placement, "hp-sales", "depthFirst") is False
    [patch] = [e for e in cloud.sent("updateHostPool") if "loadBalancerType" in e["body"]["properties"]]
    assert patch["body"] == {"properties": {"loadBalancerType": "DepthFirst"}}
    assert cloud.get(cloud.id("hostPools", "hp-sales")).json()["properties"]["loadBalancerType"] == "DepthFirst"


def test_a_429_is_progress_not_done_with_azures_retry_after(cloud: Cloud) -> None:
    avd, placement = cloud.avd, cloud.placement
    cloud.controls.throttle_next("createHostPool", 17)
    assert avd.ensure_host_pool(APP_TENANT, cloud.spec()) == Progress(
        done=False, retry_after_s=17.0, held="TooManyRequests", reason=THROTTLED
    )
    assert cloud.get(cloud.id("hostPools", "hp-sales")).status_code == 404
    assert cloud.ensure(cloud.spec()).done
    cloud.controls.throttle_next("retrieveRegistrationToken", 19)
    another_process = AzureDesktopVirtualization(cloud.clients)  # keeps no token of the pool yet
    assert another_process.register_session_host(APP_TENANT, placement, "hp-sales", "spot-any") == Progress(
        done=False, retry_after_s=19.0, held="TooManyRequests", reason=THROTTLED
    )
    cloud.controls.throttle_next("listSessionHosts", 23)
    with pytest.raises(CloudThrottled) as throttled:
        avd.list_session_hosts(APP_TENANT, placement, "hp-sales")
    assert throttled.value.retry_after_s == 23.0


def test_user_sessions_are_listed_by_vm_messaged_disconnected_and_logged_off_and_a_gone_one_is_said_so(
    cloud: Cloud,
) -> None:
    avd, placement = cloud.avd, cloud.placement
    assert avd.list_user_sessions(APP_TENANT, placement, "hp-sales") == [], "no pool yet: no sessions"
    assert cloud.ensure(cloud.spec()).done
    vm = cloud.vm()
    assert cloud.register("hp-sales", vm).done
    for upn in ("ann@contoso.com", "bob@contoso.com"):
        cloud.sign_in("hp-sales", upn)
    records = sorted(avd.list_user_sessions(APP_TENANT, placement, "hp-sales"), key=lambda r: r.user_principal_name)
    assert [(r.vm_name, r.session_id, r.user_principal_name, r.state) for r in records] == [
        (vm, "1", "ann@contoso.com", "active"),
        (vm, "2", "bob@contoso.com", "active"),
    ]
    assert all(r.started is not None for r in records)

    avd.send_session_message(APP_TENANT, placement, "hp-sales", vm, "1", "Maintenance", "Please save your work.")
    [sent] = cloud.messages("hp-sales")
    assert (sent["userPrincipalName"], sent["messageTitle"], sent["messageBody"]) == (
        "ann@contoso.com",
        "Maintenance",
        "Please save your work.",
    )
    avd.disconnect_session(APP_TENANT, placement, "hp-sales", vm, "2")
    states = {r.user_principal_name: r.state for r in avd.list_user_sessions(APP_TENANT, placement, "hp-sales")}
    assert states == {"ann@contoso.com": "active", "bob@contoso.com": "disconnected"}
    avd.log_off_session(APP_TENANT, placement, "hp-sales", vm, "1")
    [delete] = cloud.sent("deleteUserSession")
    assert delete["status"] == 200 and delete["query"].get("force") == "true"
    assert [r.user_principal_name for r in avd.list_user_sessions(APP_TENANT, placement, "hp-sales")] == [
        "bob@contoso.com"
    ]

    gone = [
        lambda: avd.log_off_session(APP_TENANT, placement, "hp-sales", vm, "1"),  # Azure answers 204
        lambda: avd.disconnect_session(APP_TENANT, placement, "hp-sales", vm, "1"),  # Azure answers 404
        lambda: avd.send_session_message(APP_TENANT, placement, "hp-sales", "spot-nosuch", "2", "a", "b"),
    ]
    for call in gone:
        with pytest.raises(CloudError) as refused:
            call()
        assert (refused.value.code, refused.value.status) == (SESSION_GONE, 404)

    cloud.controls.throttle_next("listUserSessionsByHostPool", 7)
    with pytest.raises(CloudThrottled) as throttled:
        avd.list_user_sessions(APP_TENANT, placement, "hp-sales")
    assert throttled.value.retry_after_s == 7.0
    cloud.controls.throttle_next("deleteUserSession", 9)
    with pytest.raises(CloudThrottled):
        avd.log_off_session(APP_TENANT, placement, "hp-sales", vm, "2")
    assert len(avd.list_user_sessions(APP_TENANT, placement, "hp-sales")) == 1, "a throttled log-off did nothing"
