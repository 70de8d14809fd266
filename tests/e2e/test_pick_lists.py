"""What an admin picks from instead of typing ids: the regions by display name, a site's subnets and VM sizes as Azure
lists them with the tenant's identity, and a site's resource group checked against the subscription when it is
saved."""

from __future__ import annotations

import uuid
from typing import Any

from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import site_body
from tests.utils.wizard import CLOUD_PC_RG, NETWORK_RG, Tenant


def subnets(api: ApiClient, tenant: Tenant, **query: Any) -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/sites/{tenant.site['id']}/subnets", params=query)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def test_regions_read_by_display_name_within_their_geography(api: ApiClient) -> None:
    reply = api.get("/regions")
    assert reply.status_code == 200, reply.text
    regions = reply.json()["value"]
    by_name = {r["name"]: r for r in regions}
    assert by_name["westeurope"] == {"name": "westeurope", "displayName": "West Europe", "geography": "Europe"}
    assert by_name["eastus2"]["displayName"] == "East US 2"
    ordered = [(r["geography"], r["displayName"]) for r in regions]
    assert ordered == sorted(ordered)  # a pick list grouped by geography, names in order within each


def test_a_sites_subnets_are_listed_with_their_free_addresses_in_the_sites_region_only(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.arm.virtual_network(
        "rg-branch",
        "vnet-branch",
        address_space="10.8.0.0/16",
        subnets={"desks": "10.8.0.0/28", "servers": "10.8.1.0/24"},
    )
    tenant.arm.virtual_network(
        "rg-us", "vnet-us", location="eastus", address_space="10.9.0.0/16", subnets={"desks": "10.9.0.0/24"}
    )
    # the app's own network for Microsoft-hosted Cloud PCs, its subnet named as the customer's: never a choice
    tenant.arm.virtual_network(
        CLOUD_PC_RG, "vnet-cloudpcs-westeurope", address_space="10.200.0.0/16", subnets={"cloudpcs": "10.200.0.0/16"}
    )

    found = subnets(api, tenant)
    assert [(s["virtualNetworkName"], s["name"]) for s in found] == [
        ("vnet-branch", "desks"),
        ("vnet-branch", "servers"),
        ("vnet-eu", "cloudpcs"),
    ]  # every network of the customer's in the site's region, none of East US, not the app's own
    [home] = [s for s in found if s["name"] == "cloudpcs"]
    assert home == {
        "id": tenant.subnet_id,
        "name": "cloudpcs",
        "virtualNetworkName": "vnet-eu",
        "resourceGroupName": NETWORK_RG,
        "regionName": "westeurope",
        "addressPrefix": "10.0.1.0/24",
        "freeAddresses": 256 - 5,
    }
    assert [s["freeAddresses"] for s in found if s["name"] == "desks"] == [16 - 5]  # Azure keeps 5 of each subnet

    assert [s["name"] for s in subnets(api, tenant, search="BRANCH")] == ["desks", "servers"]
    assert [s["name"] for s in subnets(api, tenant, search="rg-net")] == ["cloudpcs"]
    assert len(subnets(api, tenant, top=1)) == 1
    refused = api.get(f"{tenant.path}/sites/{tenant.site['id']}/subnets", params={"top": 0})
    assert (refused.status_code, refused.json()["error"]["target"]) == (400, "top")


def test_before_onboarding_the_subnets_cannot_be_read_and_the_site_says_why(api: ApiClient) -> None:
    tenant = Tenant(api, onboard=False)  # no consent, no role: the app cannot read the customer's Azure yet
    reply = api.get(f"{tenant.path}/sites/{tenant.site['id']}/subnets")
    assert reply.status_code == 409, reply.text
    assert (reply.json()["error"]["code"], reply.json()["error"]["target"]) == ("azureNotReadable", "siteId")


def test_a_site_whose_resource_group_does_not_exist_is_refused_naming_the_field(api: ApiClient) -> None:
    tenant = Tenant(api)
    missing = site_body(subscriptionId=tenant.arm.subscription_id, resourceGroupName=f"rg-typo-{uuid.uuid4().hex[:4]}")
    for path in (f"{tenant.path}/sites?validateOnly=true", f"{tenant.path}/sites"):
        reply = api.post(path, missing)
        assert reply.status_code == 400, reply.text
        [detail] = reply.json()["error"]["details"]
        assert (detail["code"], detail["target"]) == ("resourceGroupNotFound", "resourceGroupName")
        assert missing["resourceGroupName"] in detail["message"]
    assert len(api.get(f"{tenant.path}/sites").json()["value"]) == 1  # nothing saved

    # an existing one is taken, and a change to a missing one is refused the same way
    site = api.created(f"{tenant.path}/sites", {**missing, "resourceGroupName": CLOUD_PC_RG})
    changed = api.patch(
        f"{tenant.path}/sites/{site['id']}", {"resourceGroupName": "rg-gone"}, headers={"If-Match": site["etag"]}
    )
    assert changed.status_code == 400, changed.text
    assert changed.json()["error"]["details"][0]["target"] == "resourceGroupName"
    renamed = api.patch(
        f"{tenant.path}/sites/{site['id']}", {"displayName": "Renamed"}, headers={"If-Match": site["etag"]}
    )
    assert renamed.status_code == 200, renamed.text  # what it does not change is not checked again


def test_before_onboarding_a_site_is_saved_unchecked(api: ApiClient) -> None:
    tenant = Tenant(api, onboard=False)  # the site comes first, the roles after: nothing can be read yet
    body = site_body(subscriptionId=tenant.arm.subscription_id, resourceGroupName="rg-made-later")
    assert api.post(f"{tenant.path}/sites", body).status_code == 201


def test_a_sites_images_are_its_subscriptions_managed_images_and_gallery_versions_usable_in_its_region(
    api: ApiClient,
) -> None:
    tenant = Tenant(api)
    golden = tenant.managed_image()
    tenant.arm.managed_image("rg-us", "us-only", location="eastus")  # another region: no VM of the site's from it
    gallery = tenant.arm.resource_id("rg-images", "Microsoft.Compute", "galleries", "corpgallery")
    tenant.arm.ok("PUT", gallery, {"location": "westeurope"})
    definition = {
        "location": "westeurope",
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "identifier": {"publisher": "contoso", "offer": "cloudpc", "sku": "win11"},
        },
    }
    tenant.arm.ok("PUT", f"{gallery}/images/win11", definition)
    version = f"{gallery}/images/win11/versions/1.0.0"
    regions = {"targetRegions": [{"name": "West Europe"}]}  # as Azure shows a version's regions: display names
    tenant.arm.ok(
        "PUT",
        version,
        {
            "location": "westeurope",
            "properties": {"storageProfile": {"source": {"id": golden}}, "publishingProfile": regions},
        },
    )

    def replicated() -> None:
        assert tenant.arm.ok("GET", version)["properties"]["provisioningState"] == "Succeeded"

    eventually(replicated, timeout_s=120)
    reply = api.get(f"{tenant.path}/sites/{tenant.site['id']}/images")
    assert reply.status_code == 200, reply.text
    assert [(i["kind"], i["name"], i["resourceGroupName"], i["hyperVGeneration"]) for i in reply.json()["value"]] == [
        ("galleryImageVersion", "corpgallery/win11/1.0.0", "rg-images", "V2"),
        ("managedImage", "win11-golden", "rg-images", "V2"),
    ]  # nothing of East US
    assert [i["id"] for i in reply.json()["value"]] == [version, golden]
    searched = api.get(f"{tenant.path}/sites/{tenant.site['id']}/images", params={"search": "GOLDEN"}).json()
    assert [i["name"] for i in searched["value"]] == ["win11-golden"]


def vm_sizes(api: ApiClient, tenant: Tenant, site_id: str, **query: Any) -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/sites/{site_id}/vmSizes", params=query)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def test_a_sites_vm_sizes_are_those_azure_offers_its_subscription_there_that_boot_the_image(api: ApiClient) -> None:
    tenant = Tenant(api)
    offered = vm_sizes(api, tenant, tenant.site["id"])
    assert {"name": "Standard_D4s_v5", "vcpus": 4, "memoryGb": 16} in offered
    assert {"name": "Standard_D2_v2", "vcpus": 2, "memoryGb": 7} in offered  # Generation 1 only: no image chosen yet
    assert [s["vcpus"] for s in offered] == sorted(s["vcpus"] for s in offered)  # fewest vCPUs first
    assert [s["name"] for s in vm_sizes(api, tenant, tenant.site["id"], search="D16S")] == ["Standard_D16s_v5"]

    # a size restricted for the subscription in a region is not offered there (NotAvailableForSubscription)
    elsewhere = api.created(
        f"{tenant.path}/sites",
        site_body(
            displayName="West Central US",
            regionName="westcentralus",
            subscriptionId=tenant.arm.subscription_id,
            resourceGroupName=CLOUD_PC_RG,
        ),
    )
    assert "Standard_D16s_v5" not in [s["name"] for s in vm_sizes(api, tenant, elsewhere["id"])]

    # the image set's versions are Generation 2 images: a size that boots Generation 1 only is left out
    image_set = api.created(
        f"{tenant.path}/imageSets",
        {
            "displayName": "Pooled",
            "siteId": tenant.site["id"],
            "sourceImageId": "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365",
        },
    )
    version = f"{tenant.path}/imageSets/{image_set['id']}/versions/0.0.0"

    def ready() -> None:
        assert api.get(version).json()["status"] == "ready"

    eventually(ready, timeout_s=120)
    bootable = [s["name"] for s in vm_sizes(api, tenant, tenant.site["id"], imageSetId=image_set["id"])]
    assert "Standard_D2_v2" not in bootable and {"Standard_D2s_v6", "Standard_D4s_v5"} <= set(bootable)
    assert vm_sizes(api, tenant, tenant.site["id"], imageSetId=image_set["id"], imageVersion="0.0.0") == [
        s for s in offered if s["name"] in bootable
    ]


def test_a_site_is_placed_from_the_subscriptions_and_resource_groups_the_tenants_identity_sees(api: ApiClient) -> None:
    tenant = Tenant(api)
    Tenant(api)  # another customer's subscription is never listed to this one
    reply = api.get(f"{tenant.path}/azureSubscriptions")
    assert reply.status_code == 200, reply.text
    [subscription] = reply.json()["value"]
    assert (subscription["subscriptionId"], subscription["state"]) == (tenant.arm.subscription_id, "Enabled")
    assert subscription["displayName"]
    searched = api.get(f"{tenant.path}/azureSubscriptions", params={"search": tenant.arm.subscription_id[:8].upper()})
    assert [s["subscriptionId"] for s in searched.json()["value"]] == [tenant.arm.subscription_id]
    assert api.get(f"{tenant.path}/azureSubscriptions", params={"search": "no such"}).json()["value"] == []

    tenant.arm.resource_group("rg-branch", "northeurope")
    groups_path = f"{tenant.path}/azureSubscriptions/{tenant.arm.subscription_id}/resourceGroups"
    groups = api.get(groups_path).json()["value"]
    names = [g["name"] for g in groups]
    assert {CLOUD_PC_RG, NETWORK_RG, "rg-branch"} <= set(names) and names == sorted(names, key=str.lower)
    assert {"name": "rg-branch", "regionName": "northeurope"} in groups
    assert [g["name"] for g in api.get(groups_path, params={"search": "BRANCH"}).json()["value"]] == ["rg-branch"]
    paged: list[dict[str, Any]] = []
    link: str | None = f"{groups_path}?top=1"  # in pages of one, each with a nextLink while more remain
    while link:
        page = api.get(link).json()
        assert len(page["value"]) == 1
        paged, link = paged + page["value"], page.get("nextLink")
    assert paged == groups
    forged = api.get(groups_path, params={"skipToken": "eyJvZmZzZXQiOjF9.AAAAAAAAAAAAAAAAAAAAAAAA"})
    assert (forged.status_code, forged.json()["error"]["details"][0]["code"]) == (400, "invalidSkipToken")

    # what was picked is what a site is saved with
    picked = site_body(subscriptionId=subscription["subscriptionId"], resourceGroupName="rg-branch")
    assert api.post(f"{tenant.path}/sites?validateOnly=true", picked).status_code == 200

    refused = api.get(f"{tenant.path}/azureSubscriptions/not-a-guid/resourceGroups")
    assert refused.status_code == 400, refused.text
    assert (refused.json()["error"]["details"][0]["target"]) == "subscriptionId"


def test_before_consent_no_subscription_can_be_listed_and_the_answer_says_why(api: ApiClient) -> None:
    tenant = Tenant(api, onboard=False)
    for path in ("azureSubscriptions", f"azureSubscriptions/{tenant.arm.subscription_id}/resourceGroups"):
        reply = api.get(f"{tenant.path}/{path}")
        assert reply.status_code == 409, reply.text
        assert reply.json()["error"]["code"] == "azureNotReadable"
