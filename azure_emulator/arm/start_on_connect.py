"""Azure Virtual Desktop's Start VM on Connect: a user connecting to a personal host pool whose own session host's VM
is off has it started by AVD, then signs in; without the feature, or without AVD's permission, the connection fails.

Azure's rules, each with its source (https://learn.microsoft.com/azure/virtual-desktop/start-virtual-machine-connect):
- It is the host pool's `startVMOnConnect` (desktop_virtualization.py). In a personal pool it turns on only the session
  host that is, or is about to be, the user's own.
- AVD starts the VM as its own service principal (Azure Virtual Desktop, consent.py's first-party app), which needs
  the built-in role Desktop Virtualization Power On Contributor on the VMs' resource group or above. The emulator
  asks for the role's Compute actions as its page lists them (https://learn.microsoft.com/azure/role-based-access-
  control/built-in-roles/compute#desktop-virtualization-power-on-contributor): `virtualMachines/start/action`, and
  `virtualMachines/read` and `virtualMachines/instanceView/read`, which AVD reads the VM's power state with; a role
  granting only the start action is not enough (any role granting all three is; rbac.py decides).
  The check is made when the user connects, so an assignment made or removed since counts at once.
- A hibernated VM resumes (its sessions, kept on its disk, come back; vm_actions.py); a deallocated one boots. The
  user's client waits while it does: the VM is `PowerState/starting` and its session host not Available, and the
  session begins once it has booted (a `bootOnConnect` operation the emulator schedules). How long a boot takes is not
  published; it is the latency of the `startVmOnConnect` control (the default operation latency unless set), and a
  test may end it at once (session_controls.py). A VM
  deallocated or deleted while it boots gives its waiting user no session; one an admin started meanwhile does.
- Only a user who may use the desktop (avd_feed.py) has their VM started: the right is checked first.
- Refused, the user's connection fails. Which of AVD's connection errors a refused start reports is not published:
  the emulator answers ConnectionFailedNoHealthyRdshAvailable, AVD's code for a connection whose session host is not
  healthy ("Identify and diagnose issues", https://learn.microsoft.com/azure/virtual-desktop/diagnostics-role-service),
  and counts the sign-in as refused.
Not modelled: Start VM on Connect in pooled host pools (a pooled user whose hosts are all off is refused, as before),
and a client that gives up waiting.
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, operations, rbac
from azure_emulator.arm.user_sessions import authorize, count, session_of, short_name, sign_in
from azure_emulator.consent import AZURE_VIRTUAL_DESKTOP_APP_ID
from azure_emulator.server import ApiError, Context
from azure_emulator.tokens import principal_id

START = "Microsoft.Compute/virtualMachines/start/action"
# what AVD does with the role on the VM: reads it and its power state, then starts it
NEEDED = (START, "Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/instanceView/read")
REFUSED = "ConnectionFailedNoHealthyRdshAvailable"
BOOT = "startVmOnConnect"  # the control whose latency is a boot's seconds
BOOTED = "bootOnConnect"  # the operation that ends the boot

Doc = dict[str, Any]


def _own_host(pool: Doc, hosts: list[Doc], upn: str) -> Doc | None:
    """The personal session host that is the user's, or the one Automatic assignment would give them."""
    ordered = sorted(hosts, key=short_name)
    own = [h for h in ordered if str(h["resource"]["properties"].get("assignedUser") or "").lower() == upn.lower()]
    if not own and pool["resource"]["properties"].get("personalDesktopAssignmentType") == "Automatic":
        own = [h for h in ordered if not h["resource"]["properties"].get("assignedUser")]
    return own[0] if own else None


def may_start(ctx: Context, pool: Doc, vm_id: str) -> bool:
    """AVD's service principal holds the Power On Contributor role's Compute actions on the VM (each access is
    recorded, as ARM's checks are)."""
    tenant = str(pool["meta"].get("tid") or "")
    avd = principal_id(tenant, AZURE_VIRTUAL_DESKTOP_APP_ID)
    permissions = rbac.permissions_at(ctx, avd, vm_id)
    granted = True
    for action in NEEDED:
        holds = rbac.grants(permissions, action)
        ctx.controls.record_access(tenant, avd, "arm", action, vm_id, holds)
        granted = granted and holds
    return granted


def connect(ctx: Context, pool: Doc, upn: str) -> Doc | None:
    """The user connects to the pool: their session (resumed or new), or None while the VM AVD started for them
    boots (their client waits; the session begins when it has); 409 with AVD's connection error, counted, where AVD
    may not start it."""
    authorize(ctx, pool, upn)  # a user who may not use the desktop wakes nothing
    props = pool["resource"]["properties"]
    host = None
    if props["hostPoolType"] == "Personal":
        host = _own_host(pool, common.children(ctx, pool["resource"]["id"], "sessionHosts"), upn)
    vm = common.get(ctx, host["resource"]["properties"]["resourceId"]) if host is not None else None
    if host is None or vm is None or vm["meta"].get("power") == "running":
        return sign_in(ctx, pool, upn, short_name(host) if host is not None else None, entitled=True)
    if vm["meta"].get("power") == "starting":  # booting for an earlier connection: this one waits with it
        return None
    pool_id = pool["resource"]["id"]
    if not props.get("startVMOnConnect") or not may_start(ctx, pool, vm["resource"]["id"]):
        count(ctx, pool_id, "refusedSignIns")
        count(ctx, pool_id, "refusedStarts")
        why = (
            "Start VM on Connect is off"
            if not props.get("startVMOnConnect")
            else (
                "Azure Virtual Desktop may not start it (no role with Microsoft.Compute/virtualMachines/start/action, "
                "read and instanceView/read)"
            )
        )
        raise ApiError(409, REFUSED, f"The session host {short_name(host)} of {upn} is not running: {why}.")
    count(ctx, pool_id, "startsOnConnect")
    common.set_power(ctx, vm, "starting")
    vm["meta"]["hibernated"] = False
    common.put(ctx, vm)
    wait = {"pool": pool_id, "userPrincipalName": upn, "sessionHost": short_name(host)}
    boot = ctx.controls.latency(BOOT)
    op = operations.schedule(ctx, vm["resource"]["id"], BOOTED, vm["resource"]["location"], ctx.clock() + boot, wait)
    vm["meta"]["boot"] = op
    common.put(ctx, vm)
    if boot > 0:
        return None
    operations.finish_now(ctx, op)  # no boot time: the session begins now
    return session_of(ctx, pool_id, upn)


def boot_now(ctx: Context, vm_id: str) -> bool:
    """The VM's boot for a connecting user ends now (a test's control, not Azure's); False when it is not booting."""
    vm = common.get(ctx, vm_id)
    if vm is None or vm["meta"].get("power") != "starting" or not vm["meta"].get("boot"):
        return False
    operations.finish_now(ctx, vm["meta"]["boot"])
    return True


@operations.on("Microsoft.Compute/virtualMachines", BOOTED)
def _booted(ctx: Context, vm_id: str, op: Doc) -> None:
    """The VM has booted: it runs, and the user who waited signs in (refused and counted as sign_in does, where the
    pool changed meanwhile)."""
    vm = common.get(ctx, vm_id)
    if vm is None or vm["meta"].get("boot") != op["id"] or vm["meta"].get("power") not in ("starting", "running"):
        return  # gone, stopped while it booted, or booting again for a later connection
    common.set_power(ctx, vm, "running")
    vm["meta"]["boot"] = None
    common.put(ctx, vm)
    wait = op["detail"]
    pool = common.get(ctx, wait["pool"])
    if pool is None:
        return
    try:
        sign_in(ctx, pool, wait["userPrincipalName"], wait["sessionHost"], entitled=True)
    except ApiError:  # counted by sign_in; the waiting client shows the user AVD's error
        pass
