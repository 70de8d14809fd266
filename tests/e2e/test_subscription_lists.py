"""What the app made, as a customer's admin finds it with Azure's own tools: every VM and NIC of the subscription,
across resource groups, through the SDKs' `list_all` (what `az vm list` without a group calls), page by page."""

from __future__ import annotations

from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import Sdk
from tests.utils.wizard import CLOUD_PC_RG, Tenant, emulator_from_environment

SERVERS_RG = "rg-servers"  # the admin's own workload, beside the Cloud PCs


def test_an_admin_lists_the_subscriptions_vms_and_nics_across_groups_and_pages(api: ApiClient) -> None:
    tenant = Tenant(api)
    for name in ("ann", "bob"):
        tenant.user(name, [PLAN])
    tenant.group("pilot", ["ann", "bob"])
    tenant.assign(tenant.policy(), "pilot")
    cloud_pcs = settled_cloud_pcs(api, tenant, 2)
    assert {c["status"] for c in cloud_pcs} == {"provisioned"}
    tenant.arm.resource_group(SERVERS_RG)
    server = tenant.arm.virtual_machine(SERVERS_RG, "app-server-01", tenant.subnet_id)
    app_vms = {vm["id"] for vm in tenant.arm.vms(CLOUD_PC_RG)}
    app_nics = {nic["id"] for nic in tenant.arm.nics(CLOUD_PC_RG)}
    assert len(app_vms) == len(app_nics) == 2
    assert all(any(c["id"] in vm for vm in app_vms) for c in cloud_pcs)  # a Cloud PC's VM is named after it

    for operation in ("listVms", "listNics"):  # pages of one: three of them, where ARM's page would hold 1,000
        tenant.controls.page_size(operation, 1)
    sdk = Sdk(emulator_from_environment(), tenant.entra_id, tenant.arm.subscription_id)
    before = tenant.controls.count("listVms")
    vms = list(sdk.compute.virtual_machines.list_all())
    assert tenant.controls.count("listVms") - before == 3  # one request a page, following nextLink
    assert {vm["id"] for vm in vms} == app_vms | {server["id"]}
    nics = list(sdk.network.network_interfaces.list_all())
    server_nic = server["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    assert {nic.id for nic in nics} == app_nics | {server_nic}
    assert {nic.id.split("/")[4] for nic in nics} == {CLOUD_PC_RG, SERVERS_RG}
    assert {nic.virtual_machine.id for nic in nics} == {vm["id"] for vm in vms}  # each NIC names the VM using it
