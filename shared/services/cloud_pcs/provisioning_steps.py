"""The provisioning steps of the three stages: their names, order, scripts, time limits, and the cloud call of each.

This is the one home of the step names; the run loop (provisioning.py), the timeline and the tests read them here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from shared.models.cloud_pcs import BuildSettings
from shared.models.languages import DEFAULT_LANGUAGE
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import STEP_OUTCOME, Placement, ProvisioningCompute, VmSpec
from shared.ports.desktop_virtualization import AgentScript
from shared.ports.devices import DeviceDirectory, DeviceManagement, JoinSpec
from shared.ports.progress import Progress
from shared.services.cloud_pcs.desktop_brokering import (
    BrokeringPorts,
    broker_session_host,
    ensure_policy_pool,
    host_pool_name,
)

CORE_STEPS = ("allocateCapacity", "createVm", "attachNetwork", "joinEntra", "enrollIntune", "assignPrimaryUser")
POST_STEPS = (
    "hideStartMenuPowerIcons",
    "disableWindowsReset",
    "addLocalAdmin",
    "setTeamsVdiMode",
    "enableTimeZoneRedirection",
    "setLanguage",
    "resizeOsDisk",
)
# a Cloud PC its user cannot reach is not provisioned: its session host fails the attempt, as its sign-in role does
REGISTER_STEP = "registerSessionHost"
ASSIGNMENT_STEPS = ("assignUser", REGISTER_STEP)


STAGE_OF = {
    **{s: "core" for s in CORE_STEPS},
    **{s: "postProvisioning" for s in POST_STEPS},
    **{s: "assignment" for s in ASSIGNMENT_STEPS},
}
ORDER = {step: index for index, step in enumerate((*CORE_STEPS, *POST_STEPS, *ASSIGNMENT_STEPS), start=1)}
# the one Run Command that takes every post-provisioning step: one ARM write for all of them, against ARM's write
# budget of the subscription; each step still has its own outcome, line and warning (run_steps)
POST_COMMAND = "postProvisioning"


class ProvisioningStepPorts(BrokeringPorts, Protocol):
    """Where a step's cloud call goes: the VM and its network in Azure, the device in Entra and in Intune."""

    @property
    def compute(self) -> ProvisioningCompute: ...
    @property
    def devices(self) -> DeviceDirectory: ...
    @property
    def intune(self) -> DeviceManagement: ...


def post_steps(build: BuildSettings) -> list[str]:
    """The post-provisioning steps this build runs: a local admin only where the policy makes one, and a language
    only where the policy asks for another than the images' own (every gallery image is en-US)."""
    skipped = {"addLocalAdmin"} if not build.local_admin_enabled else set()
    if build.locale == DEFAULT_LANGUAGE:
        skipped.add("setLanguage")
    return [step for step in POST_STEPS if step not in skipped]


# How long a step may stay in progress before the attempt fails with `timedOut`: a hybrid join waits for
# the computer object to sync to Entra ID, which Windows 365 gives 90 minutes.
STEP_TIMEOUT = {"joinEntra": timedelta(minutes=90)}
DEFAULT_STEP_TIMEOUT = timedelta(minutes=60)


def _registry(path: str, name: str, value: int) -> list[str]:
    return [
        f"New-Item -Path '{path}' -Force | Out-Null",
        f"Set-ItemProperty -Path '{path}' -Name '{name}' -Value {value} -Type DWord",
    ]


def post_script(step: str, build: BuildSettings, user_principal_name: str) -> list[str]:
    """The PowerShell lines one post-provisioning step runs through Run Command (seed 003)."""
    match step:
        case "hideStartMenuPowerIcons":
            return [
                *_registry(r"HKLM:\Software\Microsoft\PolicyManager\default\Start\HideShutDown", "value", 1),
                *_registry(
                    r"HKLM:\Software\Microsoft\Windows\CurrentVersion\Policies\System", "ShutDownWithoutLogon", 0
                ),
            ]
        case "disableWindowsReset":
            return ["reagentc.exe /disable"]
        case "addLocalAdmin":
            member = (
                f"AzureAD\\{user_principal_name}" if build.domain_join_type == "azureADJoin" else user_principal_name
            )
            return [f"Add-LocalGroupMember -Group 'Administrators' -Member '{member}'"]
        case "setTeamsVdiMode":
            return _registry(r"HKLM:\Software\Microsoft\Teams", "IsWVDEnvironment", 1)
        case "enableTimeZoneRedirection":
            return _registry(
                r"HKLM:\Software\Policies\Microsoft\Windows NT\Terminal Services", "fEnableTimeZoneRedirection", 1
            )
        case "setLanguage":
            # Windows 11's LanguagePackManagement module: the pack and its features, copied to the system and
            # new users' settings (https://learn.microsoft.com/powershell/module/languagepackmanagement/install-language)
            return [
                f"Install-Language -Language '{build.locale}' -CopyToSettings -ErrorAction Stop",
                f"Set-SystemPreferredUILanguage -Language '{build.locale}'",
                f"Set-WinSystemLocale -SystemLocale '{build.locale}'",
            ]
        case "resizeOsDisk":
            return [
                "$max = (Get-PartitionSupportedSize -DriveLetter C -ErrorAction Stop).SizeMax",
                "if ((Get-Partition -DriveLetter C).Size -lt $max) { Resize-Partition -DriveLetter C -Size $max }",
            ]
    raise ValueError(f"{step} is not a post-provisioning step")


def post_command(build: BuildSettings, user_principal_name: str, agent: AgentScript | None = None) -> list[str]:
    """The PowerShell of the post-provisioning Run Command: the AVD agent's install first, where given (its token is
    freshest then), and each step of `post_steps` in turn, a failure stopping only its own step, and each step's
    outcome written as the port's STEP_OUTCOME line, with the code a step threw as `ERRORTYPE=<code> <message>`."""
    lines = [f"param({', '.join(f'[string]${name}' for name in agent.parameters)})"] if agent else []
    lines += [
        "$ErrorActionPreference = 'Stop'",
        "function Invoke-CloudPcStep([string]$Name, [scriptblock]$Body) {",
        f'    try {{ & $Body | Out-Null; "{STEP_OUTCOME} $Name succeeded" }}',
        "    catch {",
        "        $why = $_.Exception.Message",
        "        if ($why -notmatch '^ERRORTYPE=') { $why = \"ERRORTYPE=StepFailed $why\" }",
        f'        "{STEP_OUTCOME} $Name failed $why"',
        "    }",
        "}",
    ]
    bodies = [(REGISTER_STEP, list(agent.lines))] if agent else []
    bodies += [(step, post_script(step, build, user_principal_name)) for step in post_steps(build)]
    for step, body in bodies:
        lines.append(f"Invoke-CloudPcStep '{step}' {{")
        lines.extend(f"    {line}" for line in body)
        lines.append("}")
    return lines


def run_post_step(
    ports: ProvisioningStepPorts,
    step: str,
    tenant_id: str,
    policy_id: str,
    build: BuildSettings,
    vm: str,
    user_principal_name: str,
    operation: str | None,
) -> Progress:
    """A post-provisioning step, read from the one Run Command that takes them all. That command also installs the
    AVD agent with the registration token of the policy's pool, ensured first, so that the registerSessionHost
    step finds its host registered and runs no Run Command of its own: one ARM write less a Cloud PC. Where AVD
    refuses the pool, the command goes without the agent, and that step meets the refusal and fails the attempt."""
    placement = placement_of(build)
    agent = None
    try:
        if step == post_steps(build)[0]:  # the step that makes the command; the others read it
            ensured = ensure_policy_pool(ports, tenant_id, placement, policy_id, build, operation)
            if not ensured.done:
                return ensured
        agent = ports.avd.agent_script()
    except CloudError as exc:
        if exc.transient:
            raise
    pool = host_pool_name(policy_id, build)
    return ports.compute.run_steps(
        tenant_id,
        placement,
        vm,
        POST_COMMAND,
        post_command(build, user_principal_name, agent),
        step,
        protected=(lambda: ports.avd.registration_parameters(tenant_id, placement, pool)) if agent else None,
    )


def vm_name(cloud_pc_id: str, run: int, attempt: int) -> str:
    """Unique per run and attempt: a retry or reprovision never meets a VM an earlier run left behind."""
    return f"cpc-{cloud_pc_id}-r{run}-a{attempt}"


def nic_name(cloud_pc_id: str, run: int, attempt: int) -> str:
    return f"nic-{cloud_pc_id}-r{run}-a{attempt}"


def placement_of(build: BuildSettings) -> Placement:
    return Placement(build.subscription_id, build.resource_group, build.region_name)


def join_spec(build: BuildSettings, device_name: str) -> JoinSpec:
    return JoinSpec(
        device_name=device_name,
        join_type=build.domain_join_type,
        domain_name=build.ad_domain_name,
        organizational_unit=build.organizational_unit,
        domain_username=build.ad_domain_username,
        password_secret_name=build.password_secret_name,
    )


def call_step(
    ports: ProvisioningStepPorts,
    step: str,
    *,
    tenant_id: str,
    cloud_pc_id: str,
    policy_id: str,
    run: int,
    attempt: int,
    device_name: str,
    user_id: str,
    user_principal_name: str,
    build: BuildSettings,
    operation: str | None,
) -> Progress:
    """The cloud call behind a step; `operation` is what its last unfinished call said to poll."""
    placement = placement_of(build)
    vm = vm_name(cloud_pc_id, run, attempt)
    match step:
        case "allocateCapacity":
            return ports.compute.allocate_capacity(tenant_id, placement, build.vm_size)
        case "createVm":
            spec = VmSpec(
                name=vm,
                nic_name=nic_name(cloud_pc_id, run, attempt),
                computer_name=device_name,
                placement=placement,
                vm_size=build.vm_size,
                image_type=build.image_type,
                image_id=build.image_id,
                os_disk_size_gb=build.os_disk_size_gb,
                subnet_id=build.subnet_id,
                hibernation=build.hibernation,
            )
            return ports.compute.create_vm(tenant_id, spec, operation)
        case "attachNetwork":
            return ports.compute.attached_nic(tenant_id, placement, nic_name(cloud_pc_id, run, attempt))
        case "joinEntra":
            return ports.devices.join_device(tenant_id, placement, vm, join_spec(build, device_name), operation)
        case "enrollIntune":
            return ports.intune.enroll_device(tenant_id, placement, vm, join_spec(build, device_name), operation)
        case "assignPrimaryUser":
            return ports.intune.set_primary_user(tenant_id, device_name, user_id)
        case "assignUser":
            return ports.intune.assign_user(tenant_id, placement, vm, user_id, build.local_admin_enabled)
        case "registerSessionHost":
            return broker_session_host(
                ports, tenant_id, placement, policy_id, build, vm, device_name, user_principal_name, operation
            )
        case _ if step in POST_STEPS:
            return run_post_step(ports, step, tenant_id, policy_id, build, vm, user_principal_name, operation)
    raise ValueError(f"unknown provisioning step {step}")
