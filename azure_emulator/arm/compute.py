"""Microsoft.Compute virtual machines, one resource type: create-or-update (throttled, quota-checked), GET with
instanceView, delete with the OS disk and NICs per deleteOption (power actions, generalize and disks: vm_actions;
Spot priority, eviction policy and max price: spot).

The admin password is validated and dropped (ARM never shows it; a digest tells a changed one). A re-PUT of an
existing VM creates nothing: a changed fixed property (FIXED_PROPERTIES, the admin password) is refused, a new
`hardwareProfile.vmSize` is a resize (`resizeVm`), anything else answers the VM as it is (`updateVm`); a PATCH
is the same update of a VM that must exist. Only a new VM takes a token from the create
throttle of its subscription and region.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import uuid
from typing import Any

from azure_emulator.arm import (
    capacity,
    common,
    hibernation,
    images,
    network,
    nics,
    operations,
    rbac,
    routing,
    spot,
    user_sessions,
)
from azure_emulator.server import ApiError, Context, Request, Response

NS = "Microsoft.Compute"
VM = common.RG + r"/providers/Microsoft\.Compute/virtualMachines/(?P<vm>[^/]+)"
VM_TYPE = "microsoft.compute/virtualmachines"
COMPUTER_NAME = re.compile(r"^(?!\d+$)[A-Za-z0-9-]{1,15}$")
RESERVED_USERS = {"administrator", "admin", "user", "user1", "test", "guest", "root", "a", "sa", "owner"}
POWER_DISPLAY = {
    "running": "VM running",
    "starting": "VM starting",
    "deallocated": "VM deallocated",
    "stopped": "VM stopped",
}
DEFAULT_THROTTLE = (500.0, 1500.0)  # Azure: PUT VM per subscription and region, 500 a minute, bucket 1,500
# What a later PUT or PATCH of a VM may not change: Azure answers 409 PropertyChangeNotAllowed naming the property.
# The Compute REST spec (specification/compute/.../virtualMachine.json, OSProfile) says computerName and
# adminUsername cannot be updated after the VM is created; the refusal's shape and the password's case are quoted
# in Azure/vm-scale-sets#38 (`adminPassword`), MicrosoftDocs/azure-docs#12602 (`osProfile`) and
# Azure/azure-quickstart-templates#3977 (`linuxProfile.adminUsername`). The OS disk's createOption and the image
# a VM was made from are fixed for the same reason (the disk exists); Azure's exact target for those two was not
# found quoted, so the emulator names the property path.
FIXED_PROPERTIES = (
    ("osProfile", "computerName"),
    ("osProfile", "adminUsername"),
    ("storageProfile", "osDisk", "createOption"),
    ("storageProfile", "imageReference"),
)
IMAGE_KEYS = ("id", "publisher", "offer", "sku")


def vm_id_of(request: Request) -> str:
    return common.provider_id(request.params["sub"], request.params["rg"], NS, "virtualMachines", request.params["vm"])


def require_running(ctx: Context, vm_id: str, what: str) -> dict[str, Any]:
    """The VM, when extensions and run commands can reach it: provisioned and running."""
    vm = common.require(ctx, vm_id, "virtual machine")
    state = vm["resource"]["properties"]["provisioningState"]
    if state != "Succeeded" or vm["meta"].get("power") != "running":
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"Cannot {what} while the VM is {state.lower()} and {vm['meta'].get('power', 'not running')}.",
        )
    return vm


def _password_ok(password: Any) -> bool:
    if not isinstance(password, str) or not 12 <= len(password) <= 123:
        return False
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes) >= 3


def _os_profile(props: dict[str, Any]) -> dict[str, Any]:
    profile = props.get("osProfile") or {}
    name, user = profile.get("computerName"), profile.get("adminUsername")
    if not isinstance(name, str) or not COMPUTER_NAME.match(name):
        raise ApiError(
            400,
            "InvalidParameter",
            "osProfile.computerName must be 1-15 letters, digits or hyphens "
            "and not only digits (a Windows computer name).",
        )
    if not isinstance(user, str) or not user or user.lower() in RESERVED_USERS:
        raise ApiError(400, "InvalidParameter", "osProfile.adminUsername is missing or not allowed.")
    if not _password_ok(profile.get("adminPassword")):
        raise ApiError(
            400,
            "InvalidParameter",
            "The supplied password must be between 12-123 characters long and "
            "must satisfy at least 3 of password complexity requirements.",
        )
    shown = {k: v for k, v in profile.items() if k != "adminPassword"}  # never kept, never shown
    shown.setdefault("windowsConfiguration", {"provisionVMAgent": True, "enableAutomaticUpdates": True})
    shown.setdefault("secrets", [])
    shown["allowExtensionOperations"] = profile.get("allowExtensionOperations", True)
    return shown


def _nics(ctx: Context, props: dict[str, Any], location: str, vm_id: str) -> list[dict[str, Any]]:
    refs = (props.get("networkProfile") or {}).get("networkInterfaces") or []
    if not refs:
        raise ApiError(400, "InvalidParameter", "networkProfile.networkInterfaces needs at least one NIC.")
    shown = []
    for index, ref in enumerate(refs):
        nic = common.get(ctx, ref.get("id") or "")
        if nic is None:
            raise ApiError(400, "InvalidResourceReference", f"Network interface {ref.get('id')} was not found.")
        if nic["resource"]["location"] != location:
            raise ApiError(400, "InvalidParameter", f"Network interface {ref['id']} is not in {location}.")
        if nic["resource"]["properties"].get("virtualMachine"):
            used_by = nic["resource"]["properties"]["virtualMachine"]["id"]
            raise ApiError(400, "NicInUse", f"Network interface {ref['id']} is used by {used_by}.")
        nics.refuse_if_reserved(ctx, nic, vm_id)
        ref_props = ref.get("properties") or {}
        primary, delete_option = ref_props.get("primary", index == 0), ref_props.get("deleteOption", "Detach")
        shown.append({"id": nic["resource"]["id"], "properties": {"primary": primary, "deleteOption": delete_option}})
    return shown


def _linked_access(ctx: Context, request: Request, image: dict[str, Any], nic_refs: list[dict[str, Any]]) -> None:
    """ARM's linked access checks of a VM create: join on each NIC, read on a custom image (rbac.py)."""
    for ref in nic_refs:
        rbac.authorize(ctx, request, "Microsoft.Network/networkInterfaces/join/action", ref["id"])
    image_id = str(image.get("id") or "")
    if "/galleries/" in image_id.lower():
        versioned = "/versions/" in image_id.lower()
        action = "Microsoft.Compute/galleries/images/" + ("versions/read" if versioned else "read")
        rbac.authorize(ctx, request, action, image_id)
    elif image_id:
        rbac.authorize(ctx, request, "Microsoft.Compute/images/read", image_id)


def _storage(
    ctx: Context, props: dict[str, Any], sub: str, rg: str, name: str, location: str, vm_size: capacity.VmSku
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The VM's storageProfile and its OS disk resource."""
    storage = props.get("storageProfile") or {}
    reference = dict(storage.get("imageReference") or {})
    image = images.resolve(ctx, reference, location)
    capacity.check_generation(vm_size, image["hyperVGeneration"])
    if (props.get("additionalCapabilities") or {}).get("hibernationEnabled"):
        hibernation.check_create(reference, vm_size, image, int((storage.get("osDisk") or {}).get("diskSizeGB") or 0))
    if image["osState"] != "Generalized":
        raise ApiError(400, "InvalidParameter", "A VM made from an image needs a generalized image.")
    secure = (props.get("securityProfile") or {}).get("securityType") in ("TrustedLaunch", "ConfidentialVM")
    if secure and image["hyperVGeneration"] != "V2":
        raise ApiError(400, "InvalidParameter", "Trusted launch needs a Generation 2 (V2) image.")
    if not reference.get("id") and (reference.get("version") or "latest") == "latest":
        reference["exactVersion"] = "26100.4061.250510"
    os_disk_in = storage.get("osDisk") or {}
    size = int(os_disk_in.get("diskSizeGB") or image["diskSizeGB"])
    if size < image["diskSizeGB"]:  # Azure's answer as quoted in Azure/azure-sdk-for-python#23051 (64 GB, 127 GB)
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"The specified disk size {size} GB is smaller than the size of "
            f"the corresponding disk in the VM image: {image['diskSizeGB']} GB.",
            target="osDisk.diskSizeGB",
        )
    disk_name = os_disk_in.get("name") or f"{name}_OsDisk_1_{uuid.uuid4().hex}"
    disk_id = common.provider_id(sub, rg, NS, "disks", disk_name)
    if common.get(ctx, disk_id) is not None:
        raise ApiError(409, "Conflict", f"Disk {disk_name} already exists.")
    account = (os_disk_in.get("managedDisk") or {}).get("storageAccountType") or "Premium_LRS"
    os_disk = {
        "osType": image["osType"],
        "name": disk_name,
        "createOption": "FromImage",
        "caching": "ReadWrite",
        "managedDisk": {"id": disk_id, "storageAccountType": account},
        "diskSizeGB": size,
        "deleteOption": os_disk_in.get("deleteOption") or "Detach",
    }
    disk = {
        "id": disk_id,
        "name": disk_name,
        "type": "Microsoft.Compute/disks",
        "location": location,
        "sku": {"name": account},
        "properties": {
            "osType": image["osType"],
            "hyperVGeneration": image["hyperVGeneration"],
            "diskSizeGB": size,
            "creationData": {"createOption": "FromImage", "imageReference": reference},
            "provisioningState": "Succeeded",
            "diskState": "Attached",
        },
    }
    return {"imageReference": reference, "osDisk": os_disk, "dataDisks": []}, disk


def instance_view(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    props, meta = doc["resource"]["properties"], doc["meta"]
    state = props["provisioningState"]
    status: dict[str, Any] = {
        "code": f"ProvisioningState/{state.lower()}",
        "level": "Info",
        "displayStatus": f"Provisioning {state.lower()}",
    }
    error = meta.get("error")
    if state == "Failed" and error:
        status = {
            "code": f"ProvisioningState/failed/{error['code']}",
            "level": "Error",
            "displayStatus": "Provisioning failed",
            "message": error["message"],
        }
    statuses = [status]
    if state not in ("Creating", "Failed"):
        power = meta.get("power", "running")
        statuses.append({"code": f"PowerState/{power}", "level": "Info", "displayStatus": POWER_DISPLAY[power]})
        if meta.get("hibernated") and power == "deallocated":  # a hibernated VM is deallocated, its memory kept
            statuses.append({"code": "HibernationState/Hibernated", "level": "Info", "displayStatus": "VM hibernated"})
    extensions = []
    for ext in common.children(ctx, doc["resource"]["id"], "extensions"):
        ext_state = ext["resource"]["properties"]["provisioningState"]
        ext_error = ext["meta"].get("error")
        code = f"ProvisioningState/{ext_state.lower()}" + (f"/{ext_error['code']}" if ext_error else "")
        extensions.append(
            {
                "name": ext["resource"]["name"],
                "type": ext["resource"]["properties"].get("type"),
                "typeHandlerVersion": ext["resource"]["properties"].get("typeHandlerVersion"),
                "statuses": [
                    {
                        "code": code,
                        "level": "Error" if ext_state == "Failed" else "Info",
                        "displayStatus": f"Provisioning {ext_state.lower()}",
                        "message": ext_error["message"] if ext_error else "Enable succeeded",
                    }
                ],
            }
        )
    disk = props["storageProfile"]["osDisk"]
    return {
        "computerName": props["osProfile"]["computerName"],
        "osName": "Windows 11 Enterprise",
        "osVersion": "10.0.26100",
        "hyperVGeneration": meta.get("hyperVGeneration", "V2"),
        "vmAgent": {
            "vmAgentVersion": "2.7.41491.1102",
            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}],
        },
        "disks": [{"name": disk["name"], "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info"}]}],
        "extensions": extensions,
        "statuses": statuses,
    }


def view(ctx: Context, doc: dict[str, Any], expand: str | None) -> dict[str, Any]:
    shown = common.shown(doc)
    extensions = common.children(ctx, doc["resource"]["id"], "extensions")
    if extensions:
        shown["resources"] = [common.shown(e) for e in extensions]
    if (expand or "").lower() == "instanceview":
        shown["properties"]["instanceView"] = instance_view(ctx, doc)
    return shown


def register(ctx: Context) -> None:
    @routing.route(ctx, "PUT", VM, operation="createVm", action="Microsoft.Compute/virtualMachines/write", faults=False)
    def put_vm(request: Request) -> Response:
        sub, rg, name = request.params["sub"], request.params["rg"], request.params["vm"]
        common.require_group(ctx, sub, rg)
        body = common.body_object(request)
        props = common.properties(body)
        existing = common.get(ctx, vm_id_of(request))
        if existing is not None:
            return _update(ctx, request, existing, props)
        location = common.location_of(body)
        size = capacity.sku((props.get("hardwareProfile") or {}).get("vmSize") or "")
        if size is None:
            raise ApiError(400, "InvalidParameter", "hardwareProfile.vmSize is not a VM size this region offers.")
        if capacity.restricted(size.name, location):
            raise ApiError(
                409,
                "SkuNotAvailable",
                f"The requested VM size {size.name} is currently not available in location '{location}'.",
            )
        wait = ctx.controls.throttle("createVm", f"{sub}/{location}".lower(), default=DEFAULT_THROTTLE)
        if wait > 0:
            ctx.controls.throttled_for("PutVMSubscription")
            raise ApiError(
                429,
                "OperationNotAllowed",
                "The server rejected the request because too many requests have been received for this subscription.",
                {
                    "Retry-After": str(max(1, math.ceil(wait))),
                    "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/PutVM3Min;0",
                },
            )
        os_profile = _os_profile(props)
        priority = spot.check_create(ctx, props, size, location, common.tid_of(request))
        spot_vm = priority.get("priority") in spot.SPOT_PRIORITIES
        storage, disk = _storage(ctx, props, sub, rg, name, location, size)
        vm_id = vm_id_of(request)
        network_profile = props.get("networkProfile") or {}
        if network_profile.get("networkInterfaceConfigurations"):  # NICs the VM makes itself, once it may be made
            _linked_access(ctx, request, storage["imageReference"], [])
            capacity.check_quota(ctx, sub, location, size, spot=spot_vm)
            nic_refs = nics.inline(ctx, request, vm_id, location, network_profile) or []
        else:
            nic_refs = _nics(ctx, props, location, vm_id)
            _linked_access(ctx, request, storage["imageReference"], nic_refs)
            try:
                capacity.check_quota(ctx, sub, location, size, spot=spot_vm)
            except ApiError:  # refused once its NICs were taken in: Azure keeps them for this VM (nics.py)
                for ref in nic_refs:
                    nics.reserve(ctx, ref["id"], vm_id)
                raise
        tid = common.tid_of(request)
        resource: dict[str, Any] = {
            "id": vm_id,
            "name": name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": location,
            "tags": body.get("tags") or {},
            "properties": {
                "vmId": str(uuid.uuid4()),
                "timeCreated": common.now_iso(ctx.clock),
                "provisioningState": "Succeeded",
                "hardwareProfile": {"vmSize": size.name},
                "storageProfile": storage,
                "osProfile": os_profile,
                "networkProfile": {
                    "networkInterfaces": nic_refs,
                    **{
                        k: v
                        for k, v in network_profile.items()
                        if k in ("networkInterfaceConfigurations", "networkApiVersion")
                    },
                },
            },
        }
        resource["properties"].update(priority)
        for optional in ("securityProfile", "licenseType", "diagnosticsProfile", "additionalCapabilities"):
            if props.get(optional) is not None:
                resource["properties"][optional] = props[optional]
        identity = (body.get("identity") or {}).get("type") or "None"
        if "SystemAssigned" in identity:
            resource["identity"] = {"type": "SystemAssigned", "principalId": str(uuid.uuid4()), "tenantId": tid}
        salt = secrets.token_hex(8)
        digest = _digest(salt, (props.get("osProfile") or {}).get("adminPassword"))
        meta = {
            "tid": tid,
            "power": "running",
            "generalized": False,
            "passwordSalt": salt,
            "passwordDigest": digest,
            "hyperVGeneration": disk["properties"]["hyperVGeneration"],
        }
        common.put(ctx, {"resource": resource, "meta": meta})
        capacity.record(ctx, sub, location, size, +1, spot=spot_vm)
        common.put(ctx, {"resource": {**disk, "managedBy": vm_id}, "meta": {"tid": tid}})
        for ref in nic_refs:
            nics.attach(ctx, ref["id"], vm_id)
        return operations.respond(
            ctx, request, resource_id=vm_id, action="create", names=("createVm",), sync_status=201, location=location
        )

    @routing.route(
        ctx, "PATCH", VM, operation="updateVm", action="Microsoft.Compute/virtualMachines/write", faults=False
    )
    def patch_vm(request: Request) -> Response:
        # Azure's partial update (VirtualMachineUpdate): only what the body names changes
        existing = common.require(ctx, vm_id_of(request), "virtual machine")
        return _update(ctx, request, existing, common.properties(common.body_object(request)))

    @routing.route(ctx, "GET", VM, operation="getVm", action="Microsoft.Compute/virtualMachines/read")
    def get_vm(request: Request) -> Response:
        return Response(200, view(ctx, common.require(ctx, vm_id_of(request), "virtual machine"), request.q("$expand")))

    @routing.route(
        ctx,
        "GET",
        VM + r"/instanceView",
        operation="getVm",
        action="Microsoft.Compute/virtualMachines/instanceView/read",
    )
    def get_instance_view(request: Request) -> Response:
        return Response(200, instance_view(ctx, common.require(ctx, vm_id_of(request), "virtual machine")))

    @routing.route(
        ctx, "DELETE", VM, operation="deleteVm", action="Microsoft.Compute/virtualMachines/delete", faults=False
    )
    def delete_vm(request: Request) -> Response:
        # a VM that is gone is 204, but in a resource group that is gone ARM answers 404 ResourceGroupNotFound
        common.require_group(ctx, request.params["sub"], request.params["rg"])
        vm = common.get(ctx, vm_id_of(request))
        if vm is None:
            return Response(204)
        # Azure accepts a VM's delete (202, with the operation's URLs) however soon it is done
        # (specification/compute/.../examples/virtualMachineExamples/VirtualMachine_Delete_Force.json)
        return operations.respond(
            ctx,
            request,
            resource_id=vm["resource"]["id"],
            action="delete",
            names=("deleteVm",),
            sync_status=200,
            location=vm["resource"]["location"],
            always_accepted=True,
        )

    operations.on(VM_TYPE, "create")(_created)
    operations.on(VM_TYPE, "delete")(_deleted)


def _digest(salt: str, password: Any) -> str:
    """What the emulator keeps of an admin password: enough to tell a changed one, never the password."""
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def _value_at(props: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = props
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _same(path: tuple[str, ...], wanted: Any, kept: Any) -> bool:
    if path[-1] == "imageReference":  # ARM adds exactVersion; names are case-insensitive
        return all(str(wanted.get(k) or "").lower() == str(kept.get(k) or "").lower() for k in IMAGE_KEYS)
    if path[-1] == "computerName":
        return str(wanted).lower() == str(kept).lower()
    return bool(wanted == kept)


def _check_fixed(existing: dict[str, Any], props: dict[str, Any]) -> None:
    """409 PropertyChangeNotAllowed when the body changes what cannot change once the VM exists (a property the
    body leaves out stays as it is, as Azure treats it)."""
    kept = existing["resource"]["properties"]
    for path in FIXED_PROPERTIES:
        wanted = _value_at(props, path)
        if wanted is not None and not _same(path, wanted, _value_at(kept, path)):
            _refuse_change(".".join(path))
    password = (props.get("osProfile") or {}).get("adminPassword")
    meta = existing["meta"]
    if password is not None and _digest(meta.get("passwordSalt", ""), password) != meta.get("passwordDigest"):
        _refuse_change("adminPassword")


def _refuse_change(name: str) -> None:
    raise ApiError(409, "PropertyChangeNotAllowed", f"Changing property '{name}' is not allowed.", target=name)


def _update(ctx: Context, request: Request, existing: dict[str, Any], props: dict[str, Any]) -> Response:
    """A PUT of a VM that exists: a resize when the size changes, else the VM as it is; never a fixed property."""
    resource = existing["resource"]
    if resource["properties"]["provisioningState"] in ("Creating", "Updating", "Deleting"):
        raise ApiError(409, "OperationNotAllowed", "Another operation on this VM is in progress.")
    _check_fixed(existing, props)
    wanted = (props.get("hardwareProfile") or {}).get("vmSize")
    current = resource["properties"]["hardwareProfile"]["vmSize"]
    if not wanted or wanted.lower() == current.lower():
        request.operation = "updateVm"
        return Response(200, view(ctx, existing, None))
    request.operation = "resizeVm"
    size = capacity.sku(wanted)
    if size is None or capacity.restricted(size.name, resource["location"]):
        raise ApiError(409, "SkuNotAvailable", f"The requested VM size {wanted} is not available here.")
    sub = resource["id"].split("/")[2]
    old = capacity.sku(current)
    spot_vm = spot.is_spot(existing)
    capacity.check_quota(ctx, sub, resource["location"], size, replacing=old, spot=spot_vm)
    resource["properties"]["hardwareProfile"]["vmSize"] = size.name
    common.put(ctx, existing)
    if old is not None:
        capacity.record(ctx, sub, resource["location"], old, -1, spot=spot_vm)
    capacity.record(ctx, sub, resource["location"], size, +1, spot=spot_vm)
    return operations.respond(
        ctx,
        request,
        resource_id=resource["id"],
        action="update",
        names=("resizeVm",),
        sync_status=200,
        location=resource["location"],
    )


def _created(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
    vm = common.get(ctx, resource_id)
    if vm is not None:
        spot.check_allocation(ctx, vm)  # an allocation fails here, as Azure fails it: after the PUT
        common.set_power(ctx, vm, "running")
        common.put(ctx, vm)


def _deleted(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
    """The VM goes with what it owns: disks and NICs per deleteOption, its extensions, run commands and roles."""
    vm = common.get(ctx, resource_id)
    if vm is None:
        return
    props = vm["resource"]["properties"]
    size = capacity.sku(props["hardwareProfile"]["vmSize"])
    if size is not None:
        capacity.record(ctx, resource_id.split("/")[2], vm["resource"]["location"], size, -1, spot=spot.is_spot(vm))
    for ref in props["networkProfile"]["networkInterfaces"]:
        nic = common.get(ctx, ref["id"])
        if nic is not None and ref["properties"].get("deleteOption") == "Delete":
            network.release(ctx, nic)
            common.delete(ctx, ref["id"])
        else:
            nics.detach(ctx, ref["id"], resource_id)
    os_disk = props["storageProfile"]["osDisk"]
    disk = common.get(ctx, os_disk["managedDisk"]["id"])
    if disk is not None and os_disk.get("deleteOption") == "Delete":
        common.delete(ctx, disk["resource"]["id"])
    elif disk is not None:
        disk["resource"].pop("managedBy", None)
        disk["resource"]["properties"]["diskState"] = "Unattached"
        common.put(ctx, disk)
    for child in ctx.store.keys(common.RESOURCE, common.key(resource_id) + "/"):
        ctx.store.delete(common.RESOURCE, child)
    common.delete(ctx, resource_id)
    user_sessions.end_sessions_of_vm(ctx, resource_id)  # its session hosts stay, Unavailable, without sessions
