"""VM extensions and managed Run Commands, with what they do inside the VM's directory world.

- `AADLoginForWindows` (Microsoft.Azure.ActiveDirectory) joins the VM to Entra ID: an `AzureAd` device named
  after its computer name appears in the VM creator's tenant; with the Intune `mdmId` setting, a managed
  device too. The VM needs a system-assigned identity, else the extension fails.
- `JsonADDomainExtension` (Microsoft.Compute) joins the AD domain: the computer account, then the synced
  `ServerAd` device and the managed device.
- A run command whose script has `Disable-ADComputer -Identity <NAME>` disables that account; one with
  `AutoEnrollMDM` enrols the Entra-joined VM in Intune; one installing the AVD agent registers the VM as a
  session host (desktop_virtualization); one that takes steps through the function it defines,
  `Invoke-CloudPcStep '<name>' { ... }`, writes each step's outcome line (`CPCSTEP <name> succeeded`, or `failed
  ERRORTYPE=<code> <message>`) as that function would, a fault armed under the step's name failing that step alone;
  an agent install that is one of its steps fails that step alone when the agent refuses its token.
Protected settings and protected parameters are never stored nor shown, as in Azure. Faults and latency
armed under `joinEntra` / `enrollIntune` apply to the join extensions, and under a run command's own name
(or `runCommand`) to that run command.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator import directory_objects
from azure_emulator.arm import common, compute, desktop_virtualization, operations, routing
from azure_emulator.controls import fault_message
from azure_emulator.server import ApiError, Context, Request, Response

EXTENSION = compute.VM + r"/extensions/(?P<ext>[^/]+)"
RUN_COMMAND = compute.VM + r"/runCommands/(?P<cmd>[^/]+)"
EXTENSION_TYPE = "microsoft.compute/virtualmachines/extensions"
RUN_COMMAND_TYPE = "microsoft.compute/virtualmachines/runcommands"
INTUNE_MDM_ID = "0000000a-0000-0000-c000-000000000000"
ENTRA_JOIN = ("microsoft.azure.activedirectory", "aadloginforwindows")
DOMAIN_JOIN = ("microsoft.compute", "jsonaddomainextension")
DISABLE_COMPUTER = re.compile(r"Disable-ADComputer\s+-Identity\s+['\"]?([A-Za-z0-9-]{1,15})['\"]?", re.IGNORECASE)
STEP = re.compile(r"^Invoke-CloudPcStep '([^']+)'", re.MULTILINE)
STEP_OUTCOME = "CPCSTEP"
SERVER = re.compile(r"-Server\s+['\"]?([A-Za-z0-9.-]+)['\"]?", re.IGNORECASE)


def _kind(props: dict[str, Any]) -> tuple[str, str]:
    return str(props.get("publisher", "")).lower(), str(props.get("type", "")).lower()


def _setting(settings: dict[str, Any], name: str) -> Any:
    """Extension settings are case-insensitive in practice (the handlers read them so)."""
    return next((v for k, v in settings.items() if k.lower() == name.lower()), None)


def _vm_of(ctx: Context, child_id: str) -> dict[str, Any]:
    return common.require(ctx, common.parent_of(child_id), "virtual machine")


def _computer_name(vm: dict[str, Any]) -> str:
    return str(vm["resource"]["properties"]["osProfile"]["computerName"])


def register(ctx: Context) -> None:
    _register_extensions(ctx)
    _register_run_commands(ctx)
    operations.on(EXTENSION_TYPE, "create")(_extension_done)
    operations.on(EXTENSION_TYPE, "update")(_extension_done)
    operations.on(RUN_COMMAND_TYPE, "create")(_command_done)
    operations.on(RUN_COMMAND_TYPE, "update")(_command_done)
    operations.on(RUN_COMMAND_TYPE, "failed")(_command_failed)


def _register_extensions(ctx: Context) -> None:
    @routing.route(
        ctx,
        "PUT",
        EXTENSION,
        operation="putExtension",
        action="Microsoft.Compute/virtualMachines/extensions/write",
        faults=False,
    )
    def put_extension(request: Request) -> Response:
        vm = compute.require_running(ctx, compute.vm_id_of(request), "change extensions")
        body = common.body_object(request)
        props = common.properties(body)
        ext_id = f"{vm['resource']['id']}/extensions/{request.params['ext']}"
        existing = common.get(ctx, ext_id)
        settings = dict(props.get("settings") or {})
        kind = _kind(props)
        names: tuple[str, ...] = ("putExtension",)
        if kind in (ENTRA_JOIN, DOMAIN_JOIN):
            names = ("joinEntra",)
            enrolling = kind == ENTRA_JOIN and str(_setting(settings, "mdmId") or "").lower() == INTUNE_MDM_ID
            if enrolling:  # enrolment is this PUT's news when the join itself was already there
                had = existing is not None and _setting(
                    existing["resource"]["properties"].get("settings") or {}, "mdmId"
                )
                names = ("enrollIntune",) if existing is not None and not had else ("joinEntra", "enrollIntune")
            request.operation = names[0]
        shown_props = {k: v for k, v in props.items() if k != "protectedSettings"}  # never kept
        if existing is not None and existing["resource"]["properties"].get("provisioningState") == "Succeeded":
            before = {k: v for k, v in existing["resource"]["properties"].items() if k not in ("provisioningState",)}
            if before == {**shown_props, "settings": settings}:
                return Response(200, common.shown(existing))  # the same extension again: nothing to do
        doc = {
            "resource": {
                "id": ext_id,
                "name": request.params["ext"],
                "type": "Microsoft.Compute/virtualMachines/extensions",
                "location": vm["resource"]["location"],
                "properties": {**shown_props, "settings": settings, "provisioningState": "Succeeded"},
            },
            "meta": {
                "tid": vm["meta"]["tid"],
                "hasProtectedSettings": bool(props.get("protectedSettings")),
                "protectedKeys": sorted((props.get("protectedSettings") or {}).keys()),
            },
        }
        common.put(ctx, doc)
        return operations.respond(
            ctx,
            request,
            resource_id=ext_id,
            action="update" if existing else "create",
            names=names,
            sync_status=200 if existing else 201,
            location=vm["resource"]["location"],
        )

    @routing.route(
        ctx, "GET", EXTENSION, operation="getExtension", action="Microsoft.Compute/virtualMachines/extensions/read"
    )
    def get_extension(request: Request) -> Response:
        doc = common.require(ctx, f"{compute.vm_id_of(request)}/extensions/{request.params['ext']}", "extension")
        shown = common.shown(doc)
        if (request.q("$expand") or "").lower() == "instanceview":
            view = compute.instance_view(ctx, _vm_of(ctx, doc["resource"]["id"]))["extensions"]
            shown["properties"]["instanceView"] = next(e for e in view if e["name"] == doc["resource"]["name"])
        return Response(200, shown)

    @routing.route(
        ctx,
        "GET",
        compute.VM + r"/extensions",
        operation="listExtensions",
        action="Microsoft.Compute/virtualMachines/extensions/read",
    )
    def list_extensions(request: Request) -> Response:
        common.require(ctx, compute.vm_id_of(request), "virtual machine")
        return common.listing(ctx, request, common.children(ctx, compute.vm_id_of(request), "extensions"))

    @routing.route(
        ctx,
        "DELETE",
        EXTENSION,
        operation="deleteExtension",
        action="Microsoft.Compute/virtualMachines/extensions/delete",
        faults=False,
    )
    def delete_extension(request: Request) -> Response:
        doc = common.get(ctx, f"{compute.vm_id_of(request)}/extensions/{request.params['ext']}")
        if doc is None:
            return Response(204)
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteExtension",),
            sync_status=200,
            location=doc["resource"]["location"],
        )


def _register_run_commands(ctx: Context) -> None:
    @routing.route(
        ctx,
        "PUT",
        RUN_COMMAND,
        operation="runCommand",
        action="Microsoft.Compute/virtualMachines/runCommands/write",
        faults=False,
    )
    def put_run_command(request: Request) -> Response:
        vm = compute.require_running(ctx, compute.vm_id_of(request), "run commands")
        body = common.body_object(request)
        props = common.properties(body)
        source = props.get("source") or {}
        if not any(source.get(k) for k in ("script", "scriptUri", "commandId")):
            raise ApiError(400, "InvalidParameter", "properties.source needs a script, scriptUri or commandId.")
        name = request.params["cmd"]
        cmd_id = f"{vm['resource']['id']}/runCommands/{name}"
        existing = common.get(ctx, cmd_id)
        kept = {k: v for k, v in props.items() if k not in ("protectedParameters", "runAsPassword", "instanceView")}
        doc = {
            "resource": {
                "id": cmd_id,
                "name": name,
                "type": "Microsoft.Compute/virtualMachines/runCommands",
                "location": vm["resource"]["location"],
                "properties": {**kept, "provisioningState": "Succeeded"},
            },
            "meta": {
                "tid": vm["meta"]["tid"],
                "startTime": common.now_iso(ctx.clock),
                "protectedNames": [p.get("name") for p in props.get("protectedParameters") or []],
                **desktop_virtualization.command_meta(props),
            },
        }
        common.put(ctx, doc)
        return operations.respond(
            ctx,
            request,
            resource_id=cmd_id,
            action="update" if existing else "create",
            names=(name, "runCommand"),
            sync_status=200 if existing else 201,
            location=vm["resource"]["location"],
        )

    @routing.route(
        ctx, "GET", RUN_COMMAND, operation="getRunCommand", action="Microsoft.Compute/virtualMachines/runCommands/read"
    )
    def get_run_command(request: Request) -> Response:
        doc = common.require(ctx, f"{compute.vm_id_of(request)}/runCommands/{request.params['cmd']}", "run command")
        return Response(200, _command_view(doc, request.q("$expand")))

    @routing.route(
        ctx,
        "GET",
        compute.VM + r"/runCommands",
        operation="listRunCommands",
        action="Microsoft.Compute/virtualMachines/runCommands/read",
    )
    def list_run_commands(request: Request) -> Response:
        common.require(ctx, compute.vm_id_of(request), "virtual machine")
        docs = common.children(ctx, compute.vm_id_of(request), "runCommands")
        return common.listing(ctx, request, docs, lambda doc: _command_view(doc, request.q("$expand")))

    @routing.route(
        ctx,
        "DELETE",
        RUN_COMMAND,
        operation="deleteRunCommand",
        action="Microsoft.Compute/virtualMachines/runCommands/delete",
        faults=False,
    )
    def delete_run_command(request: Request) -> Response:
        doc = common.get(ctx, f"{compute.vm_id_of(request)}/runCommands/{request.params['cmd']}")
        if doc is None:
            return Response(204)
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteRunCommand",),
            sync_status=200,
            location=doc["resource"]["location"],
        )


def _command_view(doc: dict[str, Any], expand: str | None) -> dict[str, Any]:
    shown = common.shown(doc)
    if (expand or "").lower() == "instanceview":
        state = doc["resource"]["properties"]["provisioningState"]
        view = doc["meta"].get("result") or {
            "executionState": "Running" if state in ("Creating", "Updating") else "Pending",
            "executionMessage": "",
            "exitCode": 0,
            "output": "",
            "error": "",
            "startTime": doc["meta"]["startTime"],
            "statuses": [],
        }
        shown["properties"]["instanceView"] = view
    return shown


def _extension_done(ctx: Context, ext_id: str, op: dict[str, Any]) -> None:
    """A join extension's effect in the directory, as the VM would bring it about; ApiError fails the extension."""
    ext = common.require(ctx, ext_id, "extension")
    props = ext["resource"]["properties"]
    settings = props.get("settings") or {}
    vm = _vm_of(ctx, ext_id)
    tid, name = vm["meta"]["tid"], _computer_name(vm)
    kind = _kind(props)
    store = ctx.store
    if kind == ENTRA_JOIN:
        if "SystemAssigned" not in (vm["resource"].get("identity") or {}).get("type", ""):
            raise ApiError(
                400,
                "VMExtensionProvisioningError",
                "AADLoginForWindows failed: the VM has no system-assigned managed identity.",
            )
        device = directory_objects.ensure_device(store, tid, name, "AzureAd")
        if str(_setting(settings, "mdmId") or "").lower() == INTUNE_MDM_ID:
            directory_objects.ensure_managed_device(store, tid, name, device["deviceId"])
    elif kind == DOMAIN_JOIN:
        domain = _setting(settings, "Name")
        if (
            not domain
            or not _setting(settings, "User")
            or "password" not in [k.lower() for k in ext["meta"]["protectedKeys"]]
        ):
            raise ApiError(
                400,
                "VMExtensionProvisioningError",
                "JsonADDomainExtension failed: Name, User and the protected Password are required.",
            )
        directory_objects.ensure_computer(store, str(domain), name, _setting(settings, "OUPath"))
        device = directory_objects.ensure_device(store, tid, name, "ServerAd")
        directory_objects.ensure_managed_device(store, tid, name, device["deviceId"])


def _command_done(ctx: Context, cmd_id: str, op: dict[str, Any]) -> None:
    doc = common.require(ctx, cmd_id, "run command")
    script = str((doc["resource"]["properties"].get("source") or {}).get("script") or "")
    vm = _vm_of(ctx, cmd_id)
    output: list[str] = []
    for match in DISABLE_COMPUTER.finditer(script):
        target = match.group(1)
        server = SERVER.search(script[match.end() :].split("\n", 1)[0])
        domains = (
            [server.group(1)] if server else sorted({c["domain"] for c in directory_objects.list_computers(ctx.store)})
        )
        disabled = [d for d in domains if directory_objects.disable_computer(ctx.store, d, target)]
        output.append(f"{target}: {'disabled' if disabled else 'no such computer account'}")
    if "autoenrollmdm" in script.lower():
        tid, name = vm["meta"]["tid"], _computer_name(vm)
        device = directory_objects.find_device(ctx.store, tid, name)
        if device is None:
            raise ApiError(400, "VMExtensionProvisioningError", f"{name} is not joined to Microsoft Entra ID.")
        directory_objects.ensure_managed_device(ctx.store, tid, name, device["deviceId"])
        output.append(f"{name}: enrolled")
    steps = list(STEP.finditer(script))
    agent_as_step = False
    for index, step in enumerate(steps):
        name = step.group(1)
        block = script[step.end() : steps[index + 1].start() if index + 1 < len(steps) else len(script)]
        if desktop_virtualization.AGENT_INSTALL.search(block):  # the agent's refusal fails its own step alone
            agent_as_step = True
            try:
                output.extend(desktop_virtualization.register_agent(ctx, vm, doc))
                output.append(f"{STEP_OUTCOME} {name} succeeded")
            except ApiError as refused:  # its message opens with the agent's ERRORTYPE=<reason>
                output.append(f"{STEP_OUTCOME} {name} failed {refused.message}")
            continue
        fault = ctx.controls.take_fault(name)
        failed = f" failed ERRORTYPE={fault.code} {fault_message(name, fault.code)}" if fault else " succeeded"
        output.append(f"{STEP_OUTCOME} {name}{failed}")
    if not agent_as_step:
        output.extend(desktop_virtualization.register_agent(ctx, vm, doc))
    now = common.now_iso(ctx.clock)
    doc["meta"]["result"] = {
        "executionState": "Succeeded",
        "executionMessage": "",
        "exitCode": 0,
        "output": "\n".join(output),
        "error": "",
        "startTime": doc["meta"]["startTime"],
        "endTime": now,
        "statuses": [],
    }
    common.put(ctx, doc)


def _command_failed(ctx: Context, cmd_id: str, op: dict[str, Any]) -> None:
    """A failed run shows as Azure shows a failed script: executionState Failed, a non-zero exit code, the error."""
    doc = common.get(ctx, cmd_id)
    if doc is None:
        return
    error = op["error"]
    doc["resource"]["properties"]["provisioningState"] = "Failed"
    if op["action"] != "delete":
        doc["meta"]["result"] = {
            "executionState": "Failed",
            "executionMessage": error["message"],
            "exitCode": 1,
            "output": "",
            "error": f"{error['code']}: {error['message']}",
            "startTime": doc["meta"]["startTime"],
            "endTime": common.now_iso(ctx.clock),
            "statuses": [
                {
                    "code": f"ProvisioningState/failed/{error['code']}",
                    "level": "Error",
                    "displayStatus": "Provisioning failed",
                    "message": error["message"],
                }
            ],
        }
    doc["meta"]["error"] = error
    common.put(ctx, doc)
