"""Stateful in-memory fakes of the cloud ports, with one scripting mechanism for faults and slow operations.

Every fake operation first asks the shared `Script` by name: the Protocol method's name (`create_vm`,
`join_device`, ...), and for Run Commands and health checks also the command's or check's name
(`disableWindowsReset`, `dnsResolution`), which is asked first. A scripted rule makes the call raise
`CloudError`, or answer "not done, retry after X" with an operation token to pass back; rules for one name
apply in the order they were added. Unscripted, every call succeeds and changes the fake's state.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.catalog.gallery_images import GALLERY_IMAGES
from shared.catalog.marketplace_images import DESKTOP, RECOMMENDED
from shared.errors import NotFound
from shared.models.image_sets import PlatformImage
from shared.models.spot_schedules import LoadBalancing
from shared.ports.azure_inventory import (
    ImageChoice,
    ResourceGroupChoice,
    SubnetChoice,
    SubscriptionChoice,
    VmSizeChoice,
)
from shared.ports.cloud_errors import SESSION_GONE, CloudError
from shared.ports.cloud_pc_operations import PowerAction, VmInspection
from shared.ports.compute import Placement, StartPace, VmPriority, VmSpec
from shared.ports.desktop_virtualization import (
    AgentScript,
    DesktopAccess,
    HostPoolSpec,
    SessionHostRecord,
    UserSessionRecord,
)
from shared.ports.devices import DeviceRecord, JoinSpec, ManagedDeviceRecord
from shared.ports.directory import DirectoryGroup, DirectoryUser, GroupLicense
from shared.ports.image_building import GalleryImage
from shared.ports.image_sources import ManagedImage
from shared.ports.network_checks import CheckOutcome, NetworkTarget
from shared.ports.progress import Progress
from shared.ports.windows365 import (
    Windows365AuditEvent,
    Windows365CloudPc,
    Windows365Connection,
    Windows365ConnectionSpec,
    Windows365ConnectionState,
    Windows365GalleryImage,
    Windows365Image,
    Windows365PolicySpec,
    Windows365Recommendation,
    Windows365Snapshot,
    Windows365UserSettingSpec,
)

DONE = Progress(done=True)


@dataclass
class _Rule:
    fails: bool
    remaining: int | None  # None: every call from now on
    code: str = ""
    message: str = ""
    retry_after_s: float = 0.0
    status: int | None = None


class Script:
    """What the fakes answer, by operation name; and what they were asked.

    `calls[name]` counts every call of a name; `log` lists (name, operation passed back) per call, the most
    specific name of each call, so a test can see a poll carry the token the previous answer gave.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.log: list[tuple[str, str | None]] = []
        self._rules: dict[str, list[_Rule]] = {}

    def fail(
        self,
        name: str,
        times: int | None = 1,
        *,
        code: str = "InternalServerError",
        message: str = "",
        status: int | None = None,
        retry_after_s: float = 0.0,
    ) -> None:
        """The next `times` calls of `name` (None: all of them) raise CloudError(name, code, message), answered with
        `status` (None: a failed operation, not an answer); a 429 or a 5xx is transient."""
        text = message or f"{name} failed ({code})"
        self._add(name, _Rule(True, times, code=code, message=text, status=status, retry_after_s=retry_after_s))

    def wait(self, name: str, times: int | None = 1, *, retry_after_s: float = 30.0) -> None:
        """The next `times` calls of `name` (None: all of them) answer not done, to be asked again later.

        Only operations that answer Progress (or a check's outcome) can wait; the directory's reads ignore it."""
        self._add(name, _Rule(False, times, retry_after_s=retry_after_s))

    def _add(self, name: str, rule: _Rule) -> None:
        if rule.remaining is not None and rule.remaining < 1:
            raise ValueError("times is a count of calls (1 or more), or None for every call")
        self._rules.setdefault(name, []).append(rule)

    def clear(self, name: str | None = None) -> None:
        """Forget the rules of `name`, or every rule."""
        if name is None:
            self._rules.clear()
        else:
            self._rules.pop(name, None)

    def enter(self, *names: str, operation: str | None = None) -> Progress | None:
        """Called first by every fake operation, most general name first: counts it, then raises a scripted
        fault, answers a scripted "not done", or returns None to let the fake do its work."""
        self.calls.update(names)
        self.log.append((names[-1], operation))
        for name in reversed(names):
            rules = self._rules.get(name)
            if not rules:
                continue
            rule = rules[0]
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.pop(0)
            if rule.fails:
                failure = CloudError(name, rule.code, rule.message)
                failure.status, failure.retry_after_s = rule.status, rule.retry_after_s or None
                raise failure
            return Progress(done=False, retry_after_s=rule.retry_after_s, operation=f"{name}#{self.calls[name]}")
        return None


def _arm_id(placement: Placement, kind: str, name: str) -> str:
    return (
        f"/subscriptions/{placement.subscription_id}/resourceGroups/{placement.resource_group}/providers/{kind}/{name}"
    )


class FakeDirectory:
    """Entra ID: users with their licenses (service plan ids) and security groups of direct members, per tenant."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.users: dict[str, dict[str, DirectoryUser]] = {}
        self.groups: dict[str, dict[str, list[str]]] = {}
        self.group_names: dict[str, dict[str, str]] = {}  # a group's display name, its id unless one was given

    def add_user(self, tenant_id: str, user_id: str, *licenses: str, display_name: str = "") -> DirectoryUser:
        user = DirectoryUser(user_id, f"{user_id}@contoso.com", display_name or user_id.title(), tuple(licenses))
        self.users.setdefault(tenant_id, {})[user_id] = user
        return user

    def set_licenses(self, tenant_id: str, user_id: str, *licenses: str) -> None:
        self.users[tenant_id][user_id] = replace(self.users[tenant_id][user_id], licenses=licenses)

    def inherit_license(
        self,
        tenant_id: str,
        user_id: str,
        plan_id: str,
        group_id: str,
        error: str | None = None,
        since: datetime | None = None,
    ) -> None:
        """The user gets `plan_id` through the group's license assignment; with an `error`, Entra could not apply it
        (`since` then)."""
        user = self.users[tenant_id][user_id]
        licenses = user.licenses if error or plan_id in user.licenses else (*user.licenses, plan_id)
        assigned = GroupLicense(plan_id, group_id, "Error" if error else "Active", error, since)
        inherited = (*user.group_licenses, assigned)
        self.users[tenant_id][user_id] = replace(user, licenses=licenses, group_licenses=inherited)

    def remove_user(self, tenant_id: str, user_id: str) -> None:
        """Deleting a user ends their group memberships too, as in Entra ID."""
        self.users.get(tenant_id, {}).pop(user_id, None)
        for members in self.groups.get(tenant_id, {}).values():
            if user_id in members:
                members.remove(user_id)

    def add_group(self, tenant_id: str, group_id: str, *members: str, display_name: str = "") -> None:
        self.groups.setdefault(tenant_id, {})[group_id] = list(dict.fromkeys(members))
        self.group_names.setdefault(tenant_id, {})[group_id] = display_name or group_id

    def add_members(self, tenant_id: str, group_id: str, *user_ids: str) -> None:
        members = self.groups[tenant_id][group_id]
        members.extend(u for u in user_ids if u not in members)

    def remove_members(self, tenant_id: str, group_id: str, *user_ids: str) -> None:
        self.groups[tenant_id][group_id] = [u for u in self.groups[tenant_id][group_id] if u not in user_ids]

    # --- Directory -------------------------------------------------------------------------------
    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        self.script.enter("get_users")
        known = self.users.get(tenant_id, {})
        return {u: known[u] for u in user_ids if u in known}

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        self.script.enter("list_group_members")
        members = self.groups.get(tenant_id, {}).get(group_id)
        return None if members is None else list(members)

    def group_members_with_licenses(self, tenant_id: str, group_id: str) -> list[DirectoryUser] | None:
        self.script.enter("group_members_with_licenses")
        members = self.groups.get(tenant_id, {}).get(group_id)
        known = self.users.get(tenant_id, {})
        return None if members is None else [known[u] for u in members if u in known]

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        self.script.enter("member_groups")
        groups = self.groups.get(tenant_id, {})
        return [g for g in group_ids if user_id in groups.get(g, [])]

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        """Licenses assigned per service plan (what consumed units count)."""
        self.script.enter("count_licenses")
        return dict(Counter(plan for user in self.users.get(tenant_id, {}).values() for plan in user.licenses))

    def find_groups(self, tenant_id: str, name_prefix: str | None, top: int) -> list[DirectoryGroup]:
        self.script.enter("find_groups")
        prefix = (name_prefix or "").lower()
        named = sorted(self.group_names.get(tenant_id, {}).items(), key=lambda group: (group[1].lower(), group[0]))
        return [DirectoryGroup(g, name) for g, name in named if name.lower().startswith(prefix)][:top]

    def get_group(self, tenant_id: str, group_id: str) -> DirectoryGroup | None:
        self.script.enter("get_group")
        name = self.group_names.get(tenant_id, {}).get(group_id)
        return DirectoryGroup(group_id, name) if name is not None else None


@dataclass
class FakeVm:
    spec: VmSpec
    commands: list[str] = field(default_factory=list)  # Run Commands run on it, in order
    scripts: list[list[str]] = field(default_factory=list)  # their scripts, in the same order
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)  # each Run Command's, by its name
    hibernation_enabled: bool = False  # asked for, and its size supports it (FakeProvisioningCompute)
    sign_in: dict[str, bool] = field(default_factory=dict)  # user id -> administrator (role assignments on the VM)


class FakeProvisioningCompute:
    """VMs and NICs by (tenant, name). A NIC attached to a VM cannot be deleted, as in Azure."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.vms: dict[tuple[str, str], FakeVm] = {}
        self.pace = StartPace(at_once=1000, seconds_apart=0.5)
        self.nics: dict[tuple[str, str], str | None] = {}  # the VM it is attached to, if any
        # the sizes whose SKU says HibernationSupported (the adapter enables hibernation only on those)
        self.hibernation_sizes = {"standard_d2s_v5", "standard_d4s_v5"}

    def start_pace(self) -> StartPace:
        return self.pace

    def vm_names(self, tenant_id: str) -> list[str]:
        return sorted(name for tenant, name in self.vms if tenant == tenant_id)

    def nic_names(self, tenant_id: str) -> list[str]:
        return sorted(name for tenant, name in self.nics if tenant == tenant_id)

    def allocate_capacity(
        self, tenant_id: str, placement: Placement, vm_size: str, priority: VmPriority = "Regular"
    ) -> Progress:
        """Scripted by priority too: `allocate_capacity.Spot` refuses only a Spot VM's quota."""
        return self.script.enter("allocate_capacity", f"allocate_capacity.{priority}") or DONE

    def create_vm(self, tenant_id: str, spec: VmSpec, operation: str | None = None) -> Progress:
        waiting = self.script.enter("create_vm", operation=operation)
        if waiting:
            return waiting
        self.nics[(tenant_id, spec.nic_name)] = spec.name
        hibernation = spec.hibernation and spec.vm_size.lower() in self.hibernation_sizes
        self.vms.setdefault((tenant_id, spec.name), FakeVm(spec, hibernation_enabled=hibernation))
        vm_id = _arm_id(spec.placement, "Microsoft.Compute/virtualMachines", spec.name)
        return Progress(done=True, resource_id=vm_id, principal_id=vm_principal(vm_id))

    def attached_nic(self, tenant_id: str, placement: Placement, nic_name: str) -> Progress:
        waiting = self.script.enter("attached_nic")
        if waiting:
            return waiting
        if self.nics.get((tenant_id, nic_name)) is None:
            raise CloudError("attached_nic", "NicNotAttached", f"network interface {nic_name} is not attached to a VM")
        return Progress(done=True, resource_id=_arm_id(placement, "Microsoft.Network/networkInterfaces", nic_name))

    def run_command(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        command: str,
        script: list[str],
        operation: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Progress:
        waiting = self.script.enter("run_command", command, operation=operation)
        if waiting:
            return waiting
        vm = self.vm(tenant_id, vm_name, command)
        vm.commands.append(command)
        vm.scripts.append(list(script))
        vm.parameters[command] = dict(parameters or {})
        return DONE

    def run_steps(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        command: str,
        script: list[str],
        step: str,
        operation: str | None = None,
        protected: Callable[[], Mapping[str, str]] | None = None,
    ) -> Progress:
        """A step of a command that takes several answers as a command of its own (`run_command` scripts it by the
        step's name)."""
        return self.run_command(tenant_id, placement, vm_name, step, script, operation)

    def delete_vm(self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None = None) -> Progress:
        waiting = self.script.enter("delete_vm", operation=operation)
        if waiting:
            return waiting
        self.vms.pop((tenant_id, vm_name), None)
        for key, attached_to in self.nics.items():
            if key[0] == tenant_id and attached_to == vm_name:
                self.nics[key] = None
        return DONE

    def delete_nic(self, tenant_id: str, placement: Placement, nic_name: str, operation: str | None = None) -> Progress:
        waiting = self.script.enter("delete_nic", operation=operation)
        if waiting:
            return waiting
        if self.nics.get((tenant_id, nic_name)) is not None:
            raise CloudError("delete_nic", "NicInUse", f"network interface {nic_name} is attached to a VM")
        self.nics.pop((tenant_id, nic_name), None)
        return DONE

    def vm(self, tenant_id: str, vm_name: str, step: str) -> FakeVm:
        found = self.vms.get((tenant_id, vm_name))
        if found is None:
            raise CloudError(step, "ResourceNotFound", f"virtual machine {vm_name} was not found")
        return found


class FakeDeviceDirectory:
    """Entra device objects by (tenant, device name), and on-premises computer accounts of hybrid joins."""

    def __init__(self, script: Script, compute: FakeProvisioningCompute) -> None:
        self.script = script
        self.compute = compute
        self.devices: dict[tuple[str, str], JoinSpec] = {}
        self.computer_accounts: dict[tuple[str, str], str] = {}  # "enabled" | "disabled"; never deleted

    def join_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("join_device", operation=operation)
        if waiting:
            return waiting
        self.compute.vm(tenant_id, vm_name, "join_device")
        self.devices[(tenant_id, join.device_name)] = join
        if join.join_type == "hybridAzureADJoin":
            self.computer_accounts.setdefault((tenant_id, join.device_name), "enabled")
        return DONE

    def delete_device(self, tenant_id: str, device_name: str) -> Progress:
        waiting = self.script.enter("delete_device")
        if waiting:
            return waiting
        self.devices.pop((tenant_id, device_name), None)
        return DONE

    def disable_computer_account(
        self, tenant_id: str, placement: Placement, join: JoinSpec, subnet_id: str | None, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("disable_computer_account", operation=operation)
        if waiting:
            return waiting
        if (tenant_id, join.device_name) in self.computer_accounts:
            self.computer_accounts[(tenant_id, join.device_name)] = "disabled"
        return DONE


class FakeDeviceManagement:
    """Intune managed devices by (tenant, device name) with their primary user; sign-in roles live on the VM."""

    def __init__(self, script: Script, devices: FakeDeviceDirectory) -> None:
        self.script = script
        self.entra = devices
        self.managed_devices: dict[tuple[str, str], str | None] = {}  # device -> primary user id

    def enroll_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("enroll_device", operation=operation)
        if waiting:
            return waiting
        if (tenant_id, join.device_name) not in self.entra.devices:
            raise CloudError("enroll_device", "DeviceNotFound", f"{join.device_name} has not joined Entra ID")
        self.managed_devices.setdefault((tenant_id, join.device_name), None)
        return DONE

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        waiting = self.script.enter("set_primary_user")
        if waiting:
            return waiting
        if (tenant_id, device_name) not in self.managed_devices:
            raise CloudError("set_primary_user", "ResourceNotFound", f"{device_name} is not enrolled in Intune")
        self.managed_devices[(tenant_id, device_name)] = user_id
        return DONE

    def assign_user(
        self, tenant_id: str, placement: Placement, vm_name: str, user_id: str, administrator: bool
    ) -> Progress:
        waiting = self.script.enter("assign_user")
        if waiting:
            return waiting
        self.entra.compute.vm(tenant_id, vm_name, "assign_user").sign_in[user_id] = administrator
        return DONE

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress:
        waiting = self.script.enter("delete_managed_device")
        if waiting:
            return waiting
        self.managed_devices.pop((tenant_id, device_name), None)
        return DONE


class FakeCloudPcOperations:
    """Power, size and disk on the fake VMs; reads of devices and sign-in roles from the other fakes."""

    def __init__(self, script: Script, intune: FakeDeviceManagement) -> None:
        self.script = script
        self.intune = intune
        self.compute = intune.entra.compute
        self.power: dict[tuple[str, str], str] = {}  # (tenant, vm) -> power state; absent: running
        self.sizes: dict[tuple[str, str], tuple[str, int]] = {}  # (tenant, vm) -> (vm size, OS disk GB) once changed

    def power_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, action: PowerAction, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("power_vm", action, operation=operation)
        if waiting:
            return waiting
        vm = self.compute.vm(tenant_id, vm_name, "powerVm")
        if action == "hibernate" and not vm.hibernation_enabled:  # Azure's refusal (emulator: vm_actions.py)
            raise CloudError("powerVm", "OperationNotAllowed", f"{vm_name} is not enabled for hibernation")
        states = {"deallocate": "deallocated", "hibernate": "hibernated"}
        self.power[(tenant_id, vm_name)] = states.get(action, "running")
        return DONE

    def resize_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, vm_size: str, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("resize_vm", operation=operation)
        if waiting:
            return waiting
        spec = self.compute.vm(tenant_id, vm_name, "resizeVm").spec
        _, disk = self.sizes.get((tenant_id, vm_name), ("", spec.os_disk_size_gb))
        self.sizes[(tenant_id, vm_name)] = (vm_size, disk)
        return DONE

    def grow_os_disk(
        self, tenant_id: str, placement: Placement, vm_name: str, size_gb: int, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("grow_os_disk", operation=operation)
        if waiting:
            return waiting
        spec = self.compute.vm(tenant_id, vm_name, "growOsDisk").spec
        if self.power.get((tenant_id, vm_name), "running") != "deallocated":
            raise CloudError("growOsDisk", "OperationNotAllowed", "the VM must be deallocated to grow its disk")
        size, _ = self.sizes.get((tenant_id, vm_name), (spec.vm_size, spec.os_disk_size_gb))
        self.sizes[(tenant_id, vm_name)] = (size or spec.vm_size, size_gb)
        return DONE

    def inspect_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> VmInspection | None:
        self.script.enter("inspect_vm")
        vm = self.compute.vms.get((tenant_id, vm_name))
        if vm is None:
            return None
        size, disk = self.sizes.get((tenant_id, vm_name), (vm.spec.vm_size, vm.spec.os_disk_size_gb))
        return VmInspection(
            power_state=self.power.get((tenant_id, vm_name), "running"),
            provisioning_state="Succeeded",
            vm_size=size or vm.spec.vm_size,
            os_disk_size_gb=disk,
            extensions={"AADLoginForWindows": "Succeeded"},
            hibernation_enabled=vm.hibernation_enabled,
        )

    def find_device(self, tenant_id: str, device_name: str) -> DeviceRecord | None:
        self.script.enter("find_device")
        join = self.intune.entra.devices.get((tenant_id, device_name))
        return (
            None
            if join is None
            else DeviceRecord(id=f"device-{device_name}", account_enabled=True, trust_type="AzureAd")
        )

    def find_managed_device(self, tenant_id: str, device_name: str) -> ManagedDeviceRecord | None:
        self.script.enter("find_managed_device")
        if (tenant_id, device_name) not in self.intune.managed_devices:
            return None
        user = self.intune.managed_devices[(tenant_id, device_name)]
        return ManagedDeviceRecord(id=f"managed-{device_name}", primary_user_id=user)

    def has_sign_in_role(self, tenant_id: str, placement: Placement, vm_name: str, user_id: str) -> bool:
        self.script.enter("has_sign_in_role")
        vm = self.compute.vms.get((tenant_id, vm_name))
        return vm is not None and user_id in vm.sign_in


class FakeLicenses:
    """Licenses bought per plan (`bought`) and the users holding them, which are the fake directory's."""

    def __init__(self, script: Script, directory: FakeDirectory) -> None:
        self.script = script
        self.directory = directory
        self.bought: dict[tuple[str, str], int] = {}  # (tenant, plan) -> units; absent: plenty

    def free_licenses(self, tenant_id: str, service_plan_id: str) -> int:
        self.script.enter("free_licenses")
        held = self.directory.count_licenses(tenant_id).get(service_plan_id, 0)
        return max(self.bought.get((tenant_id, service_plan_id), 10_000) - held, 0)

    def switch_license(self, tenant_id: str, user_id: str, add_plan: str | None, remove_plan: str | None) -> Progress:
        waiting = self.script.enter("switch_license")
        if waiting:
            return waiting
        user = self.directory.get_users(tenant_id, [user_id])[user_id]
        licenses = list(user.licenses)
        if add_plan is not None and add_plan not in licenses:
            if self.free_licenses(tenant_id, add_plan) < 1:
                raise CloudError("switchLicense", "noFreeLicense", "no free license of the target plan")
            licenses.append(add_plan)
        if remove_plan in licenses:
            licenses.remove(remove_plan)
        self.directory.set_licenses(tenant_id, user_id, *licenses)
        return DONE

    def reprocess_group_licenses(self, tenant_id: str, user_id: str) -> None:
        """Each group license that found no free unit takes one now if there is one, as Entra's reprocessing does."""
        self.script.enter("reprocess_group_licenses")
        states = []
        for state in self.directory.users[tenant_id][user_id].group_licenses:
            plan, held = state.service_plan_id, self.directory.users[tenant_id][user_id].licenses
            if state.error is not None and (plan in held or self.free_licenses(tenant_id, plan) >= 1):
                self.directory.set_licenses(tenant_id, user_id, *dict.fromkeys((*held, plan)))
                state = replace(state, state="Active", error=None)
            states.append(state)
        user = self.directory.users[tenant_id][user_id]
        self.directory.users[tenant_id][user_id] = replace(user, group_licenses=tuple(states))


class FakeSecretStore:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.secrets: dict[str, str] = {}

    def set_secret(self, name: str, value: str) -> None:
        self.script.enter("set_secret")
        self.secrets[name] = value

    def get_secret(self, name: str) -> str:
        self.script.enter("get_secret")
        if name not in self.secrets:
            raise NotFound(f"Secret '{name}' was not found.", code="notFound", target="secret")
        return self.secrets[name]

    def delete_secret(self, name: str) -> None:
        self.script.enter("delete_secret")
        self.secrets.pop(name, None)


class FakeManagedImages:
    """The ImageSources port: managed images by resource id."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.images: dict[str, ManagedImage] = {}

    def add(self, image: ManagedImage) -> None:
        self.images[image.resource_id] = image

    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None:
        self.script.enter("get_managed_image")
        return self.images.get(resource_id)


class FakeAzureInventory:
    """The AzureInventory port: resource groups by (subscription, name), subnets by region; any group exists until
    `groups` names some, so a test that does not care about them is not refused."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.groups: set[tuple[str, str]] | None = None
        self.subnet_choices: list[SubnetChoice] = []
        self.image_choices: list[ImageChoice] = []
        self.subscription_choices: list[SubscriptionChoice] = []
        self.vm_size_choices: list[VmSizeChoice] = []
        # every region's marketplace: Spot PC's recommended images, Windows 365's gallery (those it no longer
        # supports as Generation 1), and a Pro image that suits no Cloud PC
        retired = {i.id for i in GALLERY_IMAGES if i.status == "notSupported"}
        named = dict.fromkeys([*RECOMMENDED, *(i.id for i in GALLERY_IMAGES), f"{DESKTOP}_windows-11_win11-24h2-pro"])
        self.marketplace: list[PlatformImage] = [
            PlatformImage(
                publisher=p,
                offer=o,
                sku=s,
                version="26100.1.1",
                hyper_v_generation="V1" if f"{p}_{o}_{s}" in retired else "V2",
            )
            for p, o, s in (i.split("_", 2) for i in named)
        ]
        self.regions_read: list[str] = []
        self.marketplace_refusal: CloudError | None = None  # raised by every read while set

    def marketplace_images(
        self,
        tenant_id: str,
        subscription_id: str,
        region: str,
        publisher: str,
        offers: Collection[str],
        wanted: Callable[[str, str], bool],
    ) -> list[PlatformImage]:
        self.regions_read.append(region)
        if self.marketplace_refusal is not None:
            raise self.marketplace_refusal
        return [
            i for i in self.marketplace if i.publisher == publisher and i.offer in offers and wanted(i.offer, i.sku)
        ]

    def subscriptions(self, tenant_id: str) -> list[SubscriptionChoice]:
        self.script.enter("subscriptions")
        return list(self.subscription_choices)

    def resource_groups(self, tenant_id: str, subscription_id: str) -> list[ResourceGroupChoice]:
        self.script.enter("resource_groups")
        return [
            ResourceGroupChoice(name, "westeurope")
            for sub, name in sorted(self.groups or ())
            if sub == subscription_id.lower()
        ]

    def resource_group_exists(self, tenant_id: str, subscription_id: str, name: str) -> bool:
        self.script.enter("resource_group_exists")
        return self.groups is None or (subscription_id.lower(), name.lower()) in self.groups

    def subnets(self, tenant_id: str, subscription_id: str, region: str) -> list[SubnetChoice]:
        self.script.enter("subnets")
        return [choice for choice in self.subnet_choices if choice.region == region]

    def images(self, tenant_id: str, subscription_id: str) -> list[ImageChoice]:
        self.script.enter("images")
        return list(self.image_choices)

    def vm_sizes(self, tenant_id: str, subscription_id: str, region: str) -> list[VmSizeChoice]:
        self.script.enter("vm_sizes")
        return list(self.vm_size_choices)


class FakeNetworkChecks:
    """Every check passes unless `outcomes` says otherwise; probes are remembered by (tenant, probe key)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.outcomes: dict[str, CheckOutcome] = {}
        self.probes: set[tuple[str, str]] = set()

    def run_check(
        self, tenant_id: str, check: str, target: NetworkTarget, operation: str | None = None
    ) -> CheckOutcome:
        waiting = self.script.enter("run_check", check, operation=operation)
        if waiting:
            return CheckOutcome("running", retry_after_s=waiting.retry_after_s, operation=waiting.operation)
        return self.outcomes.get(check, CheckOutcome("passed"))

    def prepare_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        waiting = self.script.enter("prepare_probe", operation=operation)
        if waiting:
            return waiting
        self.probes.add((tenant_id, target.probe_key))
        return DONE

    def remove_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        waiting = self.script.enter("remove_probe", operation=operation)
        if waiting:
            return waiting
        self.probes.discard((tenant_id, target.probe_key))
        return DONE


class FakeImageBuilding:
    """Gallery image definitions and versions by name; a version is captured only from a generalized VM, and a
    VM is generalized only once deallocated, as in Azure."""

    def __init__(self, script: Script, operations: FakeCloudPcOperations) -> None:
        self.script = script
        self.operations = operations
        self.definitions: dict[tuple[str, str, str], str] = {}  # (tenant, gallery, definition) -> source image
        self.versions: dict[tuple[str, str, str, str], list[str]] = {}  # (..., version) -> regions
        self.generalized: set[tuple[str, str]] = set()  # (tenant, vm name)

    def ensure_image_definition(
        self, tenant_id: str, image: GalleryImage, source_image_id: str, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("ensure_image_definition", operation=operation)
        if waiting:
            return waiting
        self.definitions.setdefault((tenant_id, image.gallery, image.definition), source_image_id)
        return Progress(done=True, resource_id=_definition_id(image))

    def generalize_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> Progress:
        waiting = self.script.enter("generalize_vm")
        if waiting:
            return waiting
        self.operations.compute.vm(tenant_id, vm_name, "generalizeVm")
        if self.operations.power.get((tenant_id, vm_name)) != "deallocated":
            raise CloudError("generalizeVm", "OperationNotAllowed", f"{vm_name} must be deallocated first")
        self.generalized.add((tenant_id, vm_name))
        return DONE

    def create_image_version(
        self,
        tenant_id: str,
        image: GalleryImage,
        version: str,
        source_vm_id: str,
        regions: list[str],
        operation: str | None = None,
    ) -> Progress:
        waiting = self.script.enter("create_image_version", operation=operation)
        if waiting:
            return waiting
        if (tenant_id, image.gallery, image.definition) not in self.definitions:
            raise CloudError("createImageVersion", "NotFound", f"image definition {image.definition} does not exist")
        if (tenant_id, source_vm_id.rsplit("/", 1)[-1]) not in self.generalized:
            raise CloudError("createImageVersion", "BadRequest", "the source VM is not generalized")
        self.versions.setdefault((tenant_id, image.gallery, image.definition, version), list(regions))
        return Progress(done=True, resource_id=f"{_definition_id(image)}/versions/{version}")

    def delete_image_version(
        self, tenant_id: str, image: GalleryImage, version: str, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("delete_image_version", operation=operation)
        if waiting:
            return waiting
        self.versions.pop((tenant_id, image.gallery, image.definition, version), None)
        return DONE

    def delete_image_definition(self, tenant_id: str, image: GalleryImage, operation: str | None = None) -> Progress:
        waiting = self.script.enter("delete_image_definition", operation=operation)
        if waiting:
            return waiting
        if any(key[:3] == (tenant_id, image.gallery, image.definition) for key in self.versions):
            raise CloudError("deleteImageDefinition", "CannotDeleteResource", "the definition still has versions")
        self.definitions.pop((tenant_id, image.gallery, image.definition), None)
        return DONE


def _definition_id(image: GalleryImage) -> str:
    return _arm_id(image.placement, "Microsoft.Compute/galleries", f"{image.gallery}/images/{image.definition}")


@dataclass(frozen=True)
class SentMessage:
    vm_name: str
    session_id: str
    user_principal_name: str
    title: str
    message: str


@dataclass
class FakeHostPool:
    spec: HostPoolSpec
    # by VM name; `sessions` a test sets on a record stands for users the fake keeps no session of
    hosts: dict[str, SessionHostRecord] = field(default_factory=dict)
    sessions: dict[tuple[str, str], UserSessionRecord] = field(default_factory=dict)  # by (VM name, session id)
    messages: list[SentMessage] = field(default_factory=list)
    load_balancing: str = "breadthFirst"  # how a pooled pool places new users (as it is made)
    users: set[str] = field(default_factory=set)  # those given Desktop Virtualization User directly


class FakeDesktopVirtualization:
    """Host pools by (tenant, name) with their session hosts; a host registers only from a VM that exists."""

    def __init__(self, script: Script, compute: FakeProvisioningCompute) -> None:
        self.script = script
        self.compute = compute
        self.pools: dict[tuple[str, str], FakeHostPool] = {}

    def ensure_host_pool(self, tenant_id: str, spec: HostPoolSpec, operation: str | None = None) -> Progress:
        waiting = self.script.enter("ensure_host_pool", operation=operation)
        if waiting:
            return waiting
        pool = self.pools.setdefault((tenant_id, spec.host_pool), FakeHostPool(spec))
        pool.spec = spec
        return Progress(
            done=True, resource_id=_arm_id(spec.placement, "Microsoft.DesktopVirtualization/hostPools", spec.host_pool)
        )

    def desktop_access(self, tenant_id: str, placement: Placement, host_pool: str) -> DesktopAccess | None:
        self.script.enter("desktop_access")
        pool = self.pools.get((tenant_id, host_pool))
        if pool is None:
            return None
        return DesktopAccess(users=frozenset(pool.users), groups=frozenset(g.lower() for g in pool.spec.user_group_ids))

    def grant_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, user_id: str) -> bool:
        self.script.enter("grant_desktop_access")
        self._pool(tenant_id, host_pool, "grantDesktopAccess").users.add(user_id.lower())
        return True

    def revoke_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, principal_id: str) -> None:
        self.script.enter("revoke_desktop_access")
        pool = self.pools.get((tenant_id, host_pool))
        if pool is not None:
            pool.users.discard(principal_id.lower())
            groups = tuple(g for g in pool.spec.user_group_ids if g.lower() != principal_id.lower())
            pool.spec = replace(pool.spec, user_group_ids=groups)

    def register_session_host(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        operation: str | None = None,
        *,
        reinstall: bool = False,
        host_name: str | None = None,
    ) -> Progress:
        waiting = self.script.enter("register_session_host", operation=operation)
        if waiting:
            return waiting
        self.compute.vm(tenant_id, vm_name, "registerSessionHost")
        pool = self._pool(tenant_id, host_pool, "registerSessionHost")
        known = pool.hosts.get(vm_name)
        if known is None or reinstall:  # an agent installed again reports Available
            pool.hosts[vm_name] = (
                replace(known, status="Available") if known else SessionHostRecord(vm_name, "Available", True, 0)
            )
        return DONE

    def agent_script(self) -> AgentScript:
        return AgentScript(parameters=("RegistrationToken",), lines=("# the agent's install",))

    def registration_parameters(self, tenant_id: str, placement: Placement, host_pool: str) -> dict[str, str]:
        self._pool(tenant_id, host_pool, "registerSessionHost")
        return {"RegistrationToken": "fake-token"}

    def assign_session_host(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        user_principal_name: str,
        host_name: str | None = None,
    ) -> Progress:
        waiting = self.script.enter("assign_session_host")
        if waiting:
            return waiting
        pool = self._pool(tenant_id, host_pool, "assignSessionHost")
        if vm_name not in pool.hosts:
            raise CloudError(
                "assignSessionHost", "sessionHostNotFound", f"{vm_name} is not a session host of {host_pool}."
            )
        pool.hosts[vm_name] = replace(pool.hosts[vm_name], assigned_user_id=user_principal_name)
        return DONE

    def balance_load(self, tenant_id: str, placement: Placement, host_pool: str, order: LoadBalancing) -> bool:
        self.script.enter("balance_load")
        pool = self.pools.get((tenant_id, host_pool))
        if pool is None or pool.load_balancing == order:
            return False
        pool.load_balancing = order
        return True

    def drain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, host_pool, vm_name, False, "drain_session_host", "drainSessionHost")

    def undrain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, host_pool, vm_name, True, "undrain_session_host", "undrainSessionHost")

    def _new_sessions(
        self, tenant_id: str, host_pool: str, vm_name: str, allow: bool, name: str, step: str
    ) -> Progress:
        waiting = self.script.enter(name)
        if waiting:
            return waiting
        pool = self._pool(tenant_id, host_pool, step)
        if vm_name in pool.hosts:
            pool.hosts[vm_name] = replace(pool.hosts[vm_name], allow_new_session=allow)
        return DONE

    def remove_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        waiting = self.script.enter("remove_session_host")
        if waiting:
            return waiting
        pool = self.pools.get((tenant_id, host_pool))
        if pool is not None:
            pool.hosts.pop(vm_name, None)
            pool.sessions = {key: session for key, session in pool.sessions.items() if key[0] != vm_name}
        return DONE

    def list_session_hosts(self, tenant_id: str, placement: Placement, host_pool: str) -> list[SessionHostRecord]:
        self.script.enter("list_session_hosts")
        pool = self._pool(tenant_id, host_pool, "listSessionHosts")
        on = Counter(vm for vm, _ in pool.sessions)
        return [replace(host, sessions=host.sessions + on[vm]) for vm, host in pool.hosts.items()]

    def delete_host_pool(
        self, tenant_id: str, placement: Placement, host_pool: str, operation: str | None = None
    ) -> Progress:
        waiting = self.script.enter("delete_host_pool", operation=operation)
        if waiting:
            return waiting
        self.pools.pop((tenant_id, host_pool), None)
        return DONE

    # --- user sessions --------------------------------------------------------------------------------
    def sign_in(
        self, tenant_id: str, host_pool: str, vm_name: str, user_principal_name: str, started: datetime | None = None
    ) -> UserSessionRecord:
        """A test's user signed in to the host (which must be in the pool): AVD numbers sessions per host."""
        pool = self._pool(tenant_id, host_pool, "signIn")
        if vm_name not in pool.hosts:
            raise ValueError(f"{vm_name} is not a session host of {host_pool}")
        number = str(1 + max((int(n) for vm, n in pool.sessions if vm == vm_name), default=0))
        session = UserSessionRecord(vm_name, number, user_principal_name, "active", started)
        pool.sessions[(vm_name, number)] = session
        return session

    def list_user_sessions(self, tenant_id: str, placement: Placement, host_pool: str) -> list[UserSessionRecord]:
        self.script.enter("list_user_sessions")
        pool = self.pools.get((tenant_id, host_pool))
        return [] if pool is None else list(pool.sessions.values())

    def send_session_message(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        session_id: str,
        title: str,
        message: str,
    ) -> None:
        pool, session = self._session(tenant_id, host_pool, vm_name, session_id, "send_session_message")
        pool.messages.append(SentMessage(vm_name, session_id, session.user_principal_name, title, message))

    def disconnect_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        pool, session = self._session(tenant_id, host_pool, vm_name, session_id, "disconnect_session")
        pool.sessions[(vm_name, session_id)] = replace(session, state="disconnected")

    def log_off_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        pool, _ = self._session(tenant_id, host_pool, vm_name, session_id, "log_off_session")
        del pool.sessions[(vm_name, session_id)]

    def _session(
        self, tenant_id: str, host_pool: str, vm_name: str, session_id: str, name: str
    ) -> tuple[FakeHostPool, UserSessionRecord]:
        """The session, as the adapter finds it: SESSION_GONE (404) when it, its host or its pool is not there."""
        self.script.enter(name)
        pool = self.pools.get((tenant_id, host_pool))
        session = pool.sessions.get((vm_name, session_id)) if pool is not None else None
        if pool is None or session is None:
            gone = CloudError(name, SESSION_GONE, f"The user session {session_id} on {vm_name} is not there.")
            gone.status = 404
            raise gone
        return pool, session

    def _pool(self, tenant_id: str, host_pool: str, step: str) -> FakeHostPool:
        pool = self.pools.get((tenant_id, host_pool))
        if pool is None:
            raise CloudError(step, "ResourceNotFound", f"host pool {host_pool} was not found")
        return pool


class FakeWindows365:
    """Windows 365 in memory, both its ports: connections, policies and user settings with their groups, and the
    Cloud PCs a test puts in `cloud_pcs` (it provisions nothing by itself; the emulator's engine is where that is
    tested). Ids are `w365-<n>`; `acted` lists each action asked of it."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections: dict[str, tuple[Windows365ConnectionSpec, Windows365ConnectionState]] = {}
        self.policies: dict[str, Windows365PolicySpec] = {}
        self.user_settings: dict[str, Windows365UserSettingSpec] = {}
        self.images: dict[str, Windows365Image] = {}  # a test settles one by replacing it
        self.snapshots: dict[str, list[Windows365Snapshot]] = {}  # by Windows 365's Cloud PC id
        self.audit_events: list[Windows365AuditEvent] = []
        self.remote_connections: dict[str, list[Windows365Connection]] = {}  # by Windows 365's Cloud PC id
        self.recommendations: dict[str, Windows365Recommendation] = {}  # by Windows 365's Cloud PC id
        self.gallery: list[Windows365GalleryImage] = []
        self.assignments: dict[str, list[str]] = {}
        self.cloud_pcs: dict[str, Windows365CloudPc] = {}
        self.acted: list[tuple[str, str]] = []
        self._ids = 0

    def _new_id(self) -> str:
        self._ids += 1
        return f"w365-{self._ids}"

    def find_connection(self, tenant_id: str, display_name: str, subnet_id: str) -> Windows365ConnectionState | None:
        self.script.enter("find_connection")
        return next(
            (
                state
                for spec, state in self.connections.values()
                if spec.display_name == display_name and spec.subnet_id == subnet_id
            ),
            None,
        )

    def create_connection(
        self, tenant_id: str, spec: Windows365ConnectionSpec, ad_domain_password: str | None
    ) -> Windows365ConnectionState:
        self.script.enter("create_connection")
        state = Windows365ConnectionState(self._new_id(), spec.display_name, spec.subnet_id, "running")
        self.connections[state.id] = (spec, state)
        return state

    def read_connection(self, tenant_id: str, connection_id: str) -> Windows365ConnectionState | None:
        self.script.enter("read_connection")
        known = self.connections.get(connection_id)
        return known[1] if known else None

    def update_connection(
        self, tenant_id: str, connection_id: str, spec: Windows365ConnectionSpec, ad_domain_password: str | None
    ) -> None:
        self.script.enter("update_connection")
        self.connections[connection_id] = (spec, self.connections[connection_id][1])

    def delete_connection(self, tenant_id: str, connection_id: str) -> None:
        self.script.enter("delete_connection")
        self.connections.pop(connection_id, None)

    def find_policy(self, tenant_id: str, display_name: str) -> str | None:
        self.script.enter("find_policy")
        return next((id_ for id_, spec in self.policies.items() if spec.display_name == display_name), None)

    def create_policy(self, tenant_id: str, spec: Windows365PolicySpec) -> str:
        self.script.enter("create_policy")
        policy_id = self._new_id()
        self.policies[policy_id] = spec
        return policy_id

    def update_policy(self, tenant_id: str, policy_id: str, spec: Windows365PolicySpec) -> None:
        self.script.enter("update_policy")
        self.policies[policy_id] = spec

    def delete_policy(self, tenant_id: str, policy_id: str) -> None:
        self.script.enter("delete_policy")
        self.policies.pop(policy_id, None)
        self.assignments.pop(policy_id, None)

    def assign_policy(self, tenant_id: str, policy_id: str, group_ids: list[str]) -> None:
        self.script.enter("assign_policy")
        self.assignments[policy_id] = list(group_ids)

    def list_gallery_images(self, tenant_id: str) -> list[Windows365GalleryImage]:
        self.script.enter("list_gallery_images")
        return list(self.gallery)

    def upload_image(self, tenant_id: str, display_name: str, version: str, source_image_resource_id: str) -> str:
        self.script.enter("upload_image")
        image_id = self._new_id()
        self.images[image_id] = Windows365Image(image_id, "pending")
        return image_id

    def read_image(self, tenant_id: str, image_id: str) -> Windows365Image | None:
        self.script.enter("read_image")
        return self.images.get(image_id)

    def delete_image(self, tenant_id: str, image_id: str) -> None:
        self.script.enter("delete_image")
        self.images.pop(image_id, None)

    def find_user_setting(self, tenant_id: str, display_name: str) -> str | None:
        self.script.enter("find_user_setting")
        return next((id_ for id_, spec in self.user_settings.items() if spec.display_name == display_name), None)

    def create_user_setting(self, tenant_id: str, spec: Windows365UserSettingSpec) -> str:
        self.script.enter("create_user_setting")
        setting_id = self._new_id()
        self.user_settings[setting_id] = spec
        return setting_id

    def update_user_setting(self, tenant_id: str, setting_id: str, spec: Windows365UserSettingSpec) -> None:
        self.script.enter("update_user_setting")
        self.user_settings[setting_id] = spec

    def delete_user_setting(self, tenant_id: str, setting_id: str) -> None:
        self.script.enter("delete_user_setting")
        self.user_settings.pop(setting_id, None)
        self.assignments.pop(setting_id, None)

    def assign_user_setting(self, tenant_id: str, setting_id: str, group_ids: list[str]) -> None:
        self.script.enter("assign_user_setting")
        self.assignments[setting_id] = list(group_ids)

    def list_cloud_pcs(self, tenant_id: str) -> list[Windows365CloudPc]:
        self.script.enter("list_cloud_pcs")
        return list(self.cloud_pcs.values())

    def list_snapshots(self, tenant_id: str, cloud_pc_id: str) -> list[Windows365Snapshot]:
        self.script.enter("list_snapshots")
        return list(self.snapshots.get(cloud_pc_id, []))

    def list_audit_events(self, tenant_id: str, since: str) -> list[Windows365AuditEvent]:
        self.script.enter("list_audit_events")
        return [event for event in self.audit_events if event.activity_date_time >= since]

    def list_remote_connections(self, tenant_id: str, cloud_pc_id: str, since: datetime) -> list[Windows365Connection]:
        self.script.enter("list_remote_connections")
        found = self.remote_connections.get(cloud_pc_id, [])
        return sorted((c for c in found if c.sign_in_date_time >= since), key=lambda c: c.sign_in_date_time)

    def list_recommendations(self, tenant_id: str, cloud_pc_ids: Sequence[str]) -> list[Windows365Recommendation]:
        self.script.enter("list_recommendations")
        return [self.recommendations[i] for i in cloud_pc_ids if i in self.recommendations]

    def act(self, tenant_id: str, cloud_pc_id: str, action: str, body: dict[str, str] | None = None) -> None:
        self.script.enter("act", f"act.{action}")
        self.acted.append((cloud_pc_id, action))


def vm_principal(vm_id: str) -> str:
    """The object id of a VM's system-assigned identity: Entra's, one per VM (here derived from its id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, vm_id.lower()))
