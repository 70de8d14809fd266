"""A personal host's power in the emulator, as Azure answers it: Start VM on Connect (the host pool's property, set
only on a pool that exists; a connecting user's deallocated VM started only when Azure Virtual Desktop's service
principal holds the start action there, else the connection refused and counted), and hibernation (only a VM made
with it enabled, of a size and an image that support it; hibernated, its sessions wait for it)."""

from __future__ import annotations

from typing import Any

import requests

from azure_emulator.consent import AZURE_VIRTUAL_DESKTOP_APP_ID
from tests.emulator.test_arm_rbac import assign, custom_role
from tests.emulator.test_avd_user_sessions import Pool
from tests.emulator.test_desktop_virtualization import NS, REGION, call, host_pool, install_agent, new_token, pool_body
from tests.utils.arm_admin import ArmAdmin, Controls

POWER_ON = "489581de-a3bd-480d-9518-53dea7416b33"  # Desktop Virtualization Power On Contributor
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
PERSONAL: dict[str, Any] = {"kind": "Personal", "balancer": "Persistent", "personalDesktopAssignmentType": "Automatic"}
AVD_APP_ID = AZURE_VIRTUAL_DESKTOP_APP_ID


def connect(pool: Pool, upn: str) -> requests.Response:
    return pool.control_post("connections", upn)


def power(admin: ArmAdmin, vm_id: str) -> list[str]:
    view = admin.session.get(admin.url(vm_id) + "&$expand=instanceView", timeout=30).json()
    return [s["code"] for s in view["properties"]["instanceView"]["statuses"] if not s["code"].startswith("Prov")]


def test_start_vm_on_connect_is_set_on_a_pool_that_exists_and_is_a_boolean(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    pool_id = admin.resource_id("rg", NS, "hostPools", "hpv")
    made_with_it = call(admin, "PUT", pool_id, pool_body(**{**PERSONAL, "startVMOnConnect": True}))
    assert (made_with_it.status_code, made_with_it.json()["error"]["code"]) == (400, "InvalidParameter")
    host_pool(admin, "hpv", **PERSONAL)
    assert call(admin, "PATCH", pool_id, {"properties": {"startVMOnConnect": "yes"}}).status_code == 400
    turned_on = call(admin, "PATCH", pool_id, {"properties": {"startVMOnConnect": True}})
    assert turned_on.status_code == 200 and turned_on.json()["properties"]["startVMOnConnect"] is True
    kept = call(admin, "PUT", pool_id, pool_body(**{**PERSONAL, "startVMOnConnect": True}))
    assert kept.status_code == 200, "a PUT to a pool that exists may carry it"


def test_a_connection_starts_the_users_deallocated_host_only_with_the_role_and_the_property(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpo", 1, **PERSONAL)
    pool.signed_in("ann@contoso.com")  # the host is hers
    pool.vm_action(0, "deallocate")
    assert power(admin, pool.vms[0]) == ["PowerState/deallocated"]

    off = connect(pool, "ann@contoso.com")  # the property is off
    assert (off.status_code, off.json()["error"]["code"]) == (409, "ConnectionFailedNoHealthyRdshAvailable")
    call(admin, "PATCH", pool.id, {"properties": {"startVMOnConnect": True}})
    refused = connect(pool, "ann@contoso.com")  # AVD may not start it: no role
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ConnectionFailedNoHealthyRdshAvailable")
    assert "start/action" in refused.json()["error"]["message"]
    avd = admin.service_principal(AVD_APP_ID)  # Azure Virtual Desktop's principal is in every tenant
    reader = assign(admin, avd, READER, admin.group_id("rg"), "ServicePrincipal")  # a role without the start action
    assert connect(pool, "ann@contoso.com").status_code == 409
    assert power(admin, pool.vms[0]) == ["PowerState/deallocated"]
    assert admin.call("DELETE", reader).status_code == 200

    # the start action alone is not the role: AVD also reads the VM and its power state
    made, start_only = custom_role(admin, ["Microsoft.Compute/virtualMachines/start/action"])
    assert made.status_code == 201, made.text
    assign(admin, avd, start_only, admin.group_id("rg"), "ServicePrincipal")
    assert connect(pool, "ann@contoso.com").status_code == 409
    assert power(admin, pool.vms[0]) == ["PowerState/deallocated"]

    assign(admin, avd, POWER_ON, admin.group_id("rg"), "ServicePrincipal")
    Controls(admin.emulator, admin.tenant_id).latency(
        "startVmOnConnect", 3600
    )  # a boot no test waits for: the booted control ends it
    booting = connect(pool, "ann@contoso.com")
    assert (booting.status_code, booting.json()["state"]) == (202, "Starting"), booting.text
    assert power(admin, pool.vms[0]) == ["PowerState/starting"]
    assert pool.sessions() == [] and host_status(pool, 0) == "Shutdown", "her client waits while Windows boots"
    assert connect(pool, "ann@contoso.com").status_code == 202, "a second try waits for the same boot"
    booted = pool.admin.session.post(f"{pool.control}/sessionHosts/{pool.host(0)}/booted", timeout=30)
    assert booted.status_code == 200 and booted.json()["properties"]["status"] == "Available", booted.text
    assert power(admin, pool.vms[0]) == ["PowerState/running"]
    [started] = pool.sessions()
    assert started["properties"]["sessionState"] == "Active"
    assert pool.where() == {"ann@contoso.com": pool.host(0)}
    again = connect(pool, "ann@contoso.com")  # her host runs: a connection is a sign-in back to her session
    assert again.status_code == 201 and again.json()["name"] == started["name"]
    counted = pool.counters()
    assert (counted["startsOnConnect"], counted["refusedStarts"], counted["refusedSignIns"]) == (1, 4, 4)


def test_a_vm_stopped_while_it_boots_gives_its_waiting_user_no_session(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpb", 1, **PERSONAL)
    pool.signed_in("ann@contoso.com")
    pool.vm_action(0, "deallocate")
    call(admin, "PATCH", pool.id, {"properties": {"startVMOnConnect": True}})
    assign(admin, admin.service_principal(AVD_APP_ID), POWER_ON, admin.group_id("rg"), "ServicePrincipal")
    Controls(admin.emulator, admin.tenant_id).latency("startVmOnConnect", 3600)
    assert connect(pool, "ann@contoso.com").status_code == 202
    pool.vm_action(0, "deallocate")  # an admin's power off while it boots
    assert power(admin, pool.vms[0]) == ["PowerState/deallocated"]
    late = pool.admin.session.post(f"{pool.control}/sessionHosts/{pool.host(0)}/booted", timeout=30)
    assert late.status_code == 409, "nothing boots any more"
    assert pool.sessions() == []


def host_status(pool: Pool, index: int) -> str:
    host = pool.admin.session.get(pool.admin.url(f"{pool.id}/sessionHosts/{pool.host(index)}"), timeout=30)
    return str(host.json()["properties"]["status"])


def gallery_version(admin: ArmAdmin, name: str, hibernate: bool) -> str:
    """A gallery image version whose definition says (or not) that it supports hibernation."""
    source = admin.managed_image("rg", f"{name}-src")
    admin.ok("PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    definition = admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal", "images", name)
    features = [{"name": "IsHibernateSupported", "value": "True"}] if hibernate else []
    admin.ok(
        "PUT",
        definition,
        {
            "location": REGION,
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "features": features,
                "identifier": {"publisher": "contoso", "offer": "win11", "sku": name},
            },
        },
    )
    version = {
        "location": REGION,
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": REGION}]},
            "storageProfile": {"source": {"id": source}},
        },
    }
    return str(admin.ok("PUT", f"{definition}/versions/1.0.0", version)["id"])


def vm_body(admin: ArmAdmin, name: str, image_id: str, size: str, hibernate: bool = True) -> dict[str, Any]:
    subnet = admin.virtual_network("rg", "vnet")
    nic = admin.ok(
        "PUT",
        admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", f"{name}-nic"),
        {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
        },
    )
    return {
        "location": REGION,
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {"imageReference": {"id": image_id}},
            "osProfile": {
                "computerName": name.upper(),
                "adminUsername": "avdadmin",
                "adminPassword": "Pa55w0rd!Pa55w0rd!",
            },
            "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
            "additionalCapabilities": {"hibernationEnabled": hibernate},
        },
    }


def test_a_vm_is_made_with_hibernation_only_of_a_size_and_an_image_that_support_it(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    skus_path = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/skus"
    skus = admin.session.get(
        admin.url(skus_path, "2021-07-01") + f"&$filter=location eq '{REGION}'", timeout=30
    ).json()["value"]
    supports = {
        s["name"]: next(c["value"] for c in s["capabilities"] if c["name"] == "HibernationSupported") for s in skus
    }
    assert (supports["Standard_D2s_v5"], supports["Standard_B2s"]) == ("True", "False")
    able, unable = gallery_version(admin, "hib", True), gallery_version(admin, "nohib", False)
    vms = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "")
    for name, image, size, message in (
        ("hvm1", able, "Standard_B2s", "Standard_B2s"),
        ("hvm2", unable, "Standard_D2s_v5", "shared gallery image should support hibernation"),
        ("hvm3", admin.managed_image("rg", "plain"), "Standard_D2s_v5", "User VM Image isn't supported"),
    ):
        refused = admin.call("PUT", vms + name, vm_body(admin, name, image, size))
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "OperationNotAllowed"), refused.text
        assert message in refused.json()["error"]["message"]
    made = admin.ok("PUT", vms + "hvm4", vm_body(admin, "hvm4", able, "Standard_D2s_v5"))
    assert made["properties"]["additionalCapabilities"] == {"hibernationEnabled": True}
    plain = admin.ok("PUT", vms + "hvm5", vm_body(admin, "hvm5", able, "Standard_D2s_v5", hibernate=False))
    refused = admin.call("POST", f"{plain['id']}/deallocate?hibernate=true")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "OperationNotAllowed")
    assert "enabled for hibernation" in refused.json()["error"]["message"]


def test_a_hibernated_host_keeps_its_session_for_its_user_who_starts_it_by_connecting(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    image = gallery_version(admin, "hibavd", True)
    vm_id = admin.ok(
        "PUT",
        admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "hph-vm0"),
        vm_body(admin, "hph-vm0", image, "Standard_D2s_v5"),
    )["id"]
    pool = Pool(admin, "hph", 0, **PERSONAL)
    install_agent(admin, vm_id, new_token(admin, pool.id))
    pool.vms.append(vm_id)
    call(admin, "PATCH", pool.id, {"properties": {"startVMOnConnect": True}})
    assign(admin, admin.service_principal(AVD_APP_ID), POWER_ON, admin.group_id("rg"), "ServicePrincipal")
    first = pool.signed_in("ann@contoso.com")

    admin.finished(admin.call("POST", f"{vm_id}/deallocate?hibernate=true"))
    assert power(admin, vm_id) == ["PowerState/deallocated", "HibernationState/Hibernated"]
    [kept] = pool.sessions()
    assert kept["properties"]["sessionState"] == "Disconnected" and pool.counters()["lostSessions"] == 0
    assert pool.sign_in("ann@contoso.com").status_code == 409, "her session's host is not running"
    Controls(admin.emulator, admin.tenant_id).latency("startVmOnConnect", 0)  # resumed at once
    back = connect(pool, "ann@contoso.com")
    assert back.status_code == 201 and back.json()["name"] == first["name"], "the same session, resumed"
    assert back.json()["properties"]["sessionState"] == "Active"
    assert power(admin, vm_id) == ["PowerState/running"]
