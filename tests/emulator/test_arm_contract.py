"""The emulator answers each ARM operation the app uses as the published examples of azure-rest-api-specs show.

One fixture per operation (tests/emulator/fixtures/arm_examples/<operation>.json) keeps the facts of its example:
where it comes from, the request's method, path shape and api-version, and per status the headers shown and the body
properties the app relies on. The test makes what the request needs, sends it, and checks that the status is one the
example allows, that the headers the example shows for it are there, and that the body has those properties.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.graph_admin import GraphAdmin

FIXTURES = Path(__file__).parent / "fixtures" / "arm_examples"
EXAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))}
REGION = "westeurope"
PASSWORD = "Pa55w0rd!Pa55w0rd!"
AVD = "2024-04-03"
VM_USER_LOGIN = "fb879df8-f326-4884-b1cf-06f3ad86be52"
DESKTOP_VIRTUALIZATION_USER = "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63"
AGENT_SCRIPT = "param([string]$RegistrationToken)\nmsiexec /i agent.msi /quiet REGISTRATIONTOKEN=$RegistrationToken"
PENDING_S = 300  # an operation given this latency is still running while the test looks at its first answer

ADAPTERS = Path(__file__).parents[2] / "shared" / "cloud" / "azure"
SDK_CALL = re.compile(
    r"\.(virtual_machines|virtual_machine_extensions|virtual_machine_run_commands|disks|images|galleries|gallery_images|"
    r"gallery_image_versions|resource_skus|usage|network_interfaces|virtual_networks|host_pools|application_groups|"
    r"workspaces|session_hosts|user_sessions|role_assignments|permissions)\.([a-z_]+)\("
)
# the groups the adapters name through a local variable (`machines = ....virtual_machines`, then `machines.begin_x`)
ALIASES = {
    "machines": "virtual_machines",
    "versions": "gallery_image_versions",
    "disks": "disks",
    "sessions": "session_hosts",
}
ALIASED_CALL = re.compile(r"\b(machines|versions|disks|sessions)\.(begin_[a-z_]+|get|list[a-z_]*|update|delete)\b")
# The adapters that call ARM outside an SDK operation group (ArmClients.get_url), with the fixtures that cover
# what they call. tenant_access.py reads the caller's permissions at subscription scope: the Authorization spec
# defines that list for a resource group and a resource only, so no example is published and no fixture is kept.
RAW_CALLS: dict[str, tuple[str, ...]] = {
    "arm_clients.py": (),  # defines get_url
    "arm_lro.py": ("Operations_GetStatus", "Operations_GetResult"),  # an operation's status URLs
    "tenant_access.py": (),
    # whether a site's resource group exists; the subscriptions and resource groups a site is placed in
    "arm_inventory.py": ("ResourceGroups_Get", "Subscriptions_List", "ResourceGroups_List"),
    # a pool's session hosts read as JSON, only the one wanted made a model
    "avd_session_hosts.py": ("SessionHosts_List",),
}


def sdk_calls_in_adapters() -> set[str]:
    """`group.method` of every SDK call the ARM adapters make (shared/cloud/azure/*.py)."""
    found: set[str] = set()
    for source in ADAPTERS.glob("*.py"):
        text = source.read_text()
        found.update(f"{group}.{method}" for group, method in SDK_CALL.findall(text))
        found.update(f"{ALIASES[alias]}.{method}" for alias, method in ALIASED_CALL.findall(text))
    # `images.get_image`, `images.find_image`... are the app's own image catalogue, not Microsoft.Compute/images
    return {call for call in found if not (call.startswith("images.") and call != "images.get")}


def test_every_arm_operation_the_adapters_call_has_a_fixture() -> None:
    covered = {example["sdk_call"] for example in EXAMPLES.values()}
    missing = sdk_calls_in_adapters() - covered
    assert not missing, f"ARM operations the app calls without a fixture in {FIXTURES.name}: {sorted(missing)}"
    raw = {source.name for source in ADAPTERS.glob("*.py") if re.search(r"\bget_url\(", source.read_text())}
    assert raw <= RAW_CALLS.keys(), f"ARM calls outside the SDK's operations in {sorted(raw - RAW_CALLS.keys())}"
    assert {name for names in RAW_CALLS.values() for name in names} <= EXAMPLES.keys()


def test_a_fixture_holds_facts_only() -> None:
    for name, example in EXAMPLES.items():
        assert example["operation"] == name
        assert example["source"].get("commit") or example["source"].get("sdk") or example["source"].get("page")
        assert example["responses"], name
        assert len(json.dumps(example)) < 4000, f"{name}: a fixture keeps facts, not a copy of the example"


class World:
    """What one tenant's admin has made so far; each resource is made the first time an operation needs it."""

    def __init__(self, admin: ArmAdmin, directory: GraphAdmin, controls: Controls) -> None:
        self.admin, self.directory, self.controls = admin, directory, controls

    def arm(self, rg: str, namespace: str, *names: str) -> str:
        return self.admin.resource_id(rg, namespace, *names)

    def put(self, resource_id: str, body: Any, api_version: str | None = None) -> dict[str, Any]:
        """What the example needs made, made to the end: a long-running create is followed until it succeeds."""
        reply = self.admin.call("PUT", resource_id, body, api_version)
        assert reply.status_code in (200, 201), reply.text
        self.admin.finished(reply)
        return dict(self.admin.ok("GET", resource_id) if reply.headers.get("Azure-AsyncOperation") else reply.json())

    @cached_property
    def group(self) -> str:
        self.admin.resource_group("rg", REGION)
        return "rg"

    @cached_property
    def subnet(self) -> str:
        return self.admin.virtual_network("rg", "vnet")

    def nic(self, name: str) -> str:
        body = {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": self.subnet}}}]},
        }
        return str(self.put(self.arm("rg", "Microsoft.Network", "networkInterfaces", name), body)["id"])

    @cached_property
    def vm(self) -> dict[str, Any]:
        image = {"publisher": "microsoftwindowsdesktop", "offer": "windows-11", "sku": "win11-24h2-avd"}
        return self.put(
            self.arm("rg", "Microsoft.Compute", "virtualMachines", "vm1"),
            {
                "location": REGION,
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {"imageReference": image},
                    "osProfile": {
                        "computerName": "CPC-HOST-01",
                        "adminUsername": "cpcadmin",
                        "adminPassword": PASSWORD,
                    },
                    "networkProfile": {"networkInterfaces": [{"id": self.nic("vm1-nic")}]},
                },
            },
        )

    def vm_action(self, action: str) -> None:
        reply = self.admin.call("POST", f"{self.vm['id']}/{action}")
        assert reply.status_code in (200, 202), reply.text
        self.admin.finished(reply)

    @cached_property
    def deallocated(self) -> None:
        self.vm_action("deallocate")

    @cached_property
    def generalized(self) -> None:
        _ = self.deallocated
        self.vm_action("generalize")

    @cached_property
    def gallery(self) -> str:
        _ = self.group
        return str(self.put(self.arm("rg", "Microsoft.Compute", "galleries", "gal"), {"location": REGION})["id"])

    def definition_named(self, name: str) -> str:
        body = {
            "location": REGION,
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "contoso", "offer": "cloudpc", "sku": name},
            },
        }
        return str(self.put(f"{self.gallery}/images/{name}", body)["id"])

    @cached_property
    def definition(self) -> str:
        return self.definition_named("win11")

    @cached_property
    def version(self) -> str:
        body = {
            "location": REGION,
            "properties": {
                "storageProfile": {"source": {"id": self.managed_image}},
                "publishingProfile": {"targetRegions": [{"name": REGION}]},
            },
        }
        return str(self.put(f"{self.definition}/versions/1.0.0", body)["id"])

    @cached_property
    def managed_image(self) -> str:
        return self.admin.managed_image("rg", "golden")

    @cached_property
    def pool(self) -> str:
        _ = self.group
        body = {
            "location": REGION,
            "properties": {
                "hostPoolType": "Pooled",
                "loadBalancerType": "BreadthFirst",
                "preferredAppGroupType": "Desktop",
            },
        }
        return str(self.put(self.arm("rg", "Microsoft.DesktopVirtualization", "hostPools", "hp1"), body, AVD)["id"])

    @cached_property
    def empty_pool(self) -> str:
        body = {
            "location": REGION,
            "properties": {
                "hostPoolType": "Personal",
                "loadBalancerType": "Persistent",
                "preferredAppGroupType": "Desktop",
                "personalDesktopAssignmentType": "Automatic",
            },
        }
        _ = self.group
        return str(self.put(self.arm("rg", "Microsoft.DesktopVirtualization", "hostPools", "hp0"), body, AVD)["id"])

    @cached_property
    def token(self) -> str:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"properties": {"registrationInfo": {"expirationTime": expires, "registrationTokenOperation": "Update"}}}
        reply = self.admin.call("PATCH", self.pool, body, AVD)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["properties"]["registrationInfo"]["token"])

    @cached_property
    def session_host(self) -> str:
        body = {
            "location": REGION,
            "properties": {
                "source": {"script": AGENT_SCRIPT},
                "treatFailureAsDeploymentFailure": True,
                "protectedParameters": [{"name": "RegistrationToken", "value": self.token}],
            },
        }
        self.put(f"{self.vm['id']}/runCommands/registerSessionHost", body)
        hosts = self.admin.call("GET", f"{self.pool}/sessionHosts", api_version=AVD).json()["value"]
        assert len(hosts) == 1, hosts
        return str(hosts[0]["id"]).rsplit("/", 1)[-1]

    @cached_property
    def user_session(self) -> str:
        """A user signed in to the session host (the emulator's control, as a user connecting): the session's id.
        The user holds Desktop Virtualization User on the pool's desktop, published in the workspace, as AVD needs."""
        _ = self.session_host, self.workspace
        name = str(uuid.uuid4())
        body = {
            "properties": {
                "roleDefinitionId": self.role_id.replace(VM_USER_LOGIN, DESKTOP_VIRTUALIZATION_USER),
                "principalId": self.user,
                "principalType": "User",
            }
        }
        self.put(f"{self.app_group}/providers/Microsoft.Authorization/roleAssignments/{name}", body)
        upn = self.directory.user(self.user)["userPrincipalName"]
        url = f"{self.admin.emulator.base_url}/emulator/avd{self.pool}/signIns"
        reply = self.admin.session.post(url, json={"userPrincipalName": upn}, timeout=30)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["name"]).rsplit("/", 1)[-1]

    @cached_property
    def app_group(self) -> str:
        body = {"location": REGION, "properties": {"hostPoolArmPath": self.pool, "applicationGroupType": "Desktop"}}
        group_id = self.arm("rg", "Microsoft.DesktopVirtualization", "applicationGroups", "hp1-dag")
        return str(self.put(group_id, body, AVD)["id"])

    @cached_property
    def workspace(self) -> str:
        body = {"location": REGION, "properties": {"applicationGroupReferences": [self.app_group]}}
        return str(self.put(self.arm("rg", "Microsoft.DesktopVirtualization", "workspaces", "hp1-ws"), body, AVD)["id"])

    @cached_property
    def user(self) -> str:
        return self.directory.create_user()

    @cached_property
    def assignment(self) -> str:
        name = str(uuid.uuid4())
        body = {"properties": {"roleDefinitionId": self.role_id, "principalId": self.user, "principalType": "User"}}
        self.put(f"{self.vm['id']}/providers/Microsoft.Authorization/roleAssignments/{name}", body)
        return name

    @cached_property
    def role_id(self) -> str:
        return f"/subscriptions/{self.admin.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/" + (
            VM_USER_LOGIN
        )

    @cached_property
    def run_command(self) -> str:
        body = {"location": REGION, "properties": {"source": {"script": "Write-Output ok"}}}
        self.put(f"{self.vm['id']}/runCommands/contract", body)
        return "contract"

    @cached_property
    def started_operation(self) -> requests.Response:
        """A VM delete that is still running: its first answer, with the status URLs to poll."""
        self.controls.latency("deleteVm", PENDING_S)
        reply = self.admin.call("DELETE", self.vm["id"])
        assert reply.status_code == 202, reply.text
        return reply

    def value(self, name: str) -> str:
        """A path or body placeholder's value; asking for it makes what it names."""
        found: dict[str, Any] = {
            "sub": lambda: self.admin.subscription_id,
            "rg": lambda: self.group,
            "region": lambda: REGION,
            "password": lambda: PASSWORD,
            "vm": lambda: self.vm["name"],
            "vmId": lambda: self.vm["id"],
            "nic": lambda: self.vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"].rsplit("/", 1)[-1],
            "freeNic": lambda: self.nic("free-nic").rsplit("/", 1)[-1],
            "nicId": lambda: self.nic("contract-vm-nic"),
            "vnet": lambda: self.subnet.split("/")[8],
            "subnetId": lambda: self.subnet,
            "osDiskId": lambda: self.vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"],
            "managedImage": lambda: self.managed_image.rsplit("/", 1)[-1],
            "gallery": lambda: self.gallery.rsplit("/", 1)[-1],
            "newGallery": lambda: "contractgal",
            "definition": lambda: self.definition.rsplit("/", 1)[-1],
            "newDefinition": lambda: "contract",
            "emptyDefinition": lambda: self.definition_named("empty").rsplit("/", 1)[-1],
            "version": lambda: self.version.rsplit("/", 1)[-1],
            "runCommand": lambda: self.run_command,
            "pool": lambda: self.pool.rsplit("/", 1)[-1],
            "poolId": lambda: self.pool,
            "emptyPool": lambda: self.empty_pool.rsplit("/", 1)[-1],
            "sessionHost": lambda: self.session_host,
            "userSession": lambda: self.user_session,
            "appGroup": lambda: self.app_group.rsplit("/", 1)[-1],
            "appGroupId": lambda: self.app_group,
            "workspace": lambda: self.workspace.rsplit("/", 1)[-1],
            "inTwoHours": lambda: (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userId": lambda: self.user,
            "vmUserLoginRoleId": lambda: self.role_id,
            "assignment": lambda: self.assignment,
            "newAssignment": lambda: str(uuid.uuid4()),
            "asyncOperationUrl": lambda: self.started_operation.headers["Azure-AsyncOperation"],
            "locationUrl": lambda: self.started_operation.headers["Location"],
        }
        return str(found[name]())

    def fill(self, template: Any) -> Any:
        if isinstance(template, str):
            return re.sub(r"\{(\w+)\}", lambda m: self.value(m.group(1)), template)
        if isinstance(template, list):
            return [self.fill(item) for item in template]
        if isinstance(template, dict):
            return {key: self.fill(item) for key, item in template.items()}
        return template


SETUP = {
    "deallocated": "deallocated",
    "generalized": "generalized",
    "token": "token",
    "runCommand": "run_command",
    "sessionHost": "session_host",
    "userSession": "user_session",
    "assignment": "assignment",
    "startedOperation": "started_operation",
    "version": "version",
    "subnet": "subnet",
    "group": "group",
}


def missing_properties(body: Any, paths: list[str]) -> list[str]:
    """The dotted paths (`a.b`, `list[].c`) that `body` lacks; a list's path must hold in each of its items."""

    def lacks(node: Any, parts: list[str]) -> bool:
        if not parts:
            return False
        part, rest = parts[0], parts[1:]
        listed = part.endswith("[]")
        name = part.removesuffix("[]")
        if not isinstance(node, dict) or name not in node or node[name] is None:
            return True
        if listed:
            items = node[name]
            return not isinstance(items, list) or not items or any(lacks(item, rest) for item in items)
        return lacks(node[name], rest)

    return [path for path in paths if lacks(body, path.split("."))]


def send(world: World, example: dict[str, Any]) -> requests.Response:
    request = example["request"]
    path = world.fill(request["path"])
    query = {"api-version": request["api-version"], **world.fill(request.get("query") or {})}
    body = world.fill(request["body"]) if "body" in request else None
    session = world.admin.session
    if path.startswith("https://"):  # a status URL the emulator handed out: polled as it is
        return session.get(path, timeout=60)
    url = f"{world.admin.emulator.base_url}/arm{path}"
    return session.request(request["method"], url, params=query, json=body, timeout=60)


@pytest.fixture
def world(admin: ArmAdmin, directory: GraphAdmin, azure_emulator: EmulatorProcess) -> World:
    return World(admin, directory, Controls(azure_emulator, admin.tenant_id))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_emulator_answers_as_the_published_example(name: str, world: World) -> None:
    example = EXAMPLES[name]
    for step in example.get("setup") or []:
        getattr(world, SETUP[step])
    if example.get("latency"):  # a long-running operation: still running when its first answer comes
        world.controls.latency(example["latency"], PENDING_S)
    reply = send(world, example)
    allowed = example["responses"]
    assert str(reply.status_code) in allowed, f"{name}: {reply.status_code} {reply.text[:300]}"
    expected = allowed[str(reply.status_code)]
    absent = [header for header in expected.get("headers") or [] if header not in reply.headers]
    assert not absent, f"{name}: {reply.status_code} without the headers {absent}"
    if expected.get("body"):
        missing = missing_properties(reply.json(), expected["body"])
        assert not missing, f"{name}: {reply.status_code} lacks {missing}: {reply.text[:500]}"


def test_a_vm_delete_is_accepted_and_polled_to_its_end(world: World) -> None:
    """Azure answers a VM's delete 202 with the operation's URLs (VirtualMachine_Delete_Force.json), however fast."""
    vm_id = world.vm["id"]
    started = world.admin.call("DELETE", vm_id)
    assert started.status_code == 202 and started.content == b""
    assert {"Location", "Azure-AsyncOperation", "Retry-After"} <= started.headers.keys()
    status = world.admin.session.get(started.headers["Azure-AsyncOperation"], timeout=30)
    assert status.status_code == 200 and status.json()["status"] in ("InProgress", "Succeeded")
    world.admin.finished(started)
    assert world.admin.call("GET", vm_id).status_code == 404
    assert world.admin.session.get(started.headers["Location"], timeout=30).status_code == 204
    assert world.admin.call("GET", vm_id).status_code == 404
    assert world.admin.call("DELETE", vm_id).status_code == 204, "a VM that is gone is deleted already"
