"""Spot PC image sets end to end: the wizard over HTTP, each version built by its orchestration through devhost on
the Azure emulator (a build VM, Run Commands, generalize, a gallery image version), and the admin's capture."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import site_body
from tests.utils.wizard import CLOUD_PC_RG, Tenant

SOURCE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
CLOUD_PC_SOURCE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc"
UNDER_WAY = ("building", "capturing", "replicating")
REGION_OF_ITS_OWN = "swedencentral"  # no other test's site is there


def settled(api: ApiClient, tenant: Tenant, image_set_id: str, version: str) -> dict[str, Any]:
    """The version once its build stopped moving (ready, failed, or waiting for the admin)."""

    def check() -> dict[str, Any]:
        body: dict[str, Any] = api.get(f"{tenant.path}/imageSets/{image_set_id}/versions/{version}").json()
        assert body["status"] not in UNDER_WAY, body
        return body

    return eventually(check, timeout_s=120)


def new_set(api: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"displayName": "Pooled desktops", "siteId": tenant.site["id"], "sourceImageId": SOURCE, **fields}
    return api.created(f"{tenant.path}/imageSets", body)


def test_marketplace_images_are_listed_and_filtered_by_use(api: ApiClient) -> None:
    tenant = Tenant(api)
    everything = api.get(f"{tenant.path}/marketplaceImages").json()["value"]
    pooled = api.get(f"{tenant.path}/marketplaceImages?recommendedFor=pooled").json()["value"]
    assert SOURCE in {i["id"] for i in pooled}
    assert pooled and all(i["multiSession"] and i["recommendedFor"] == ["pooled"] for i in pooled)
    assert {i["id"] for i in everything} > {i["id"] for i in pooled}
    for image in everything:
        assert image["id"] == f"{image['publisher']}_{image['offer']}_{image['sku']}"
    assert api.get(f"{tenant.path}/marketplaceImages?recommendedFor=shared").status_code == 400


def test_the_list_follows_the_marketplace_of_the_sites_region_with_no_change_to_the_app(
    api: ApiClient, app_host: object
) -> None:
    """A Windows release Azure publishes after the app was built is listed once the day's refresh has read it, and
    an image set can start from it; one Azure withdraws leaves the list the same way."""
    tenant = Tenant(api)
    # a region of its own: the refresh reads each region with the identity that read it last, this tenant's here
    site = api.created(
        f"{tenant.path}/sites",
        site_body(
            displayName="Sweden",
            regionName=REGION_OF_ITS_OWN,
            subscriptionId=tenant.arm.subscription_id,
            resourceGroupName=CLOUD_PC_RG,
        ),
    )
    newest, sku = "microsoftwindowsdesktop_windows-11_win11-26h1-avd", "win11-26h1-avd"
    published = f"{tenant.controls.base}/marketplace/microsoftwindowsdesktop/windows-11/{sku}"
    session, base = tenant.controls.session, api.base_url.removesuffix("/api")
    body = {"displayName": "Next Windows", "siteId": site["id"], "sourceImageId": newest}

    def listed() -> list[dict[str, Any]]:
        return list(api.get(f"{tenant.path}/marketplaceImages").json()["value"])

    def refreshed(wanted: bool) -> None:
        invoked = session.post(f"{base}/admin/functions/refreshMarketplaceImages", json={"input": ""}, timeout=60)
        assert invoked.status_code == 202, invoked.text

        def check() -> None:
            assert (newest in {i["id"] for i in listed()}) == wanted

        eventually(check)

    assert newest not in {i["id"] for i in listed()}
    assert api.post(f"{tenant.path}/imageSets?validateOnly=true", body).status_code == 400
    try:
        reply = session.put(published, json={"hyperVGeneration": "V2", "osDiskSizeGb": 127}, timeout=30)
        assert reply.status_code == 200, reply.text
        refreshed(True)
        image = next(i for i in listed() if i["id"] == newest)
        assert image["displayName"] == "Windows 11 Enterprise multi-session 26H1" and image["multiSession"]
        assert image["recommendedFor"] == []  # listed, not recommended: the marks are Spot PC's
        accepted = api.post(f"{tenant.path}/imageSets?validateOnly=true", body)
        assert accepted.status_code == 200, accepted.text
    finally:
        session.delete(published, timeout=30)
    refreshed(False)


def test_an_image_set_builds_its_versions_and_leaves_no_build_vm(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant, notes="first cut")
    assert (image_set["latestVersion"], image_set["status"], image_set["global"]) == ("0.0.0", "building", False)

    first = settled(api, tenant, image_set["id"], "0.0.0")
    assert first["status"] == "ready", first
    assert first["baseVersion"] is None and first["regions"] == [tenant.site["regionName"]]
    gallery_version = tenant.arm.ok("GET", first["imageVersionId"])
    assert gallery_version["properties"]["provisioningState"] == "Succeeded"

    def set_ready() -> None:  # the set's own row follows its version's a moment later
        assert api.get(f"{tenant.path}/imageSets/{image_set['id']}").json()["status"] == "ready"

    eventually(set_ready)

    # a version with a script: run on a VM made from 0.0.0's image, then captured without waiting for anyone
    script = {"name": "apps", "script": "winget install --id 7zip.7zip --silent"}
    reply = api.post(
        f"{tenant.path}/imageSets/{image_set['id']}/versions", {"notes": "7-Zip", "customizationScripts": [script]}
    )
    assert reply.status_code == 202, reply.text
    assert reply.headers["Location"].endswith(f"/imageSets/{image_set['id']}/versions/0.0.1")
    second = settled(api, tenant, image_set["id"], "0.0.1")
    assert second["status"] == "ready", second
    assert second["baseVersion"] == "0.0.0" and second["imageVersionId"].endswith("/versions/0.0.1")

    listed = api.get(f"{tenant.path}/imageSets/{image_set['id']}/versions").json()["value"]
    assert [v["version"] for v in listed] == ["0.0.0", "0.0.1"]
    assert api.get(f"{tenant.path}/imageSets/{image_set['id']}").json()["latestVersion"] == "0.0.1"
    eventually(lambda: _no_vms(tenant) and _no_nics(tenant))  # clean-up comes after the version is ready


def test_a_version_without_scripts_waits_for_the_admin_and_is_captured_once(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant)
    assert settled(api, tenant, image_set["id"], "0.0.0")["status"] == "ready"
    versions = f"{tenant.path}/imageSets/{image_set['id']}/versions"
    assert api.post(versions, {"notes": "customized by hand"}).status_code == 202

    waiting = settled(api, tenant, image_set["id"], "0.0.1")
    assert waiting["status"] == "awaitingCustomization", waiting
    assert [vm["name"] for vm in tenant.arm.vms(CLOUD_PC_RG)]  # the build VM is there to customize

    captured = api.post(f"{versions}/0.0.1/capture")
    assert captured.status_code == 202, captured.text
    assert captured.json()["status"] == "capturing"
    again = api.post(f"{versions}/0.0.1/capture")
    assert again.status_code == 409 and again.json()["error"]["code"] == "wrongStatus"
    assert settled(api, tenant, image_set["id"], "0.0.1")["status"] == "ready"
    eventually(lambda: _no_vms(tenant))  # the build VM goes after the version is ready: clean-up comes last


def test_a_failed_capture_says_where_and_removes_the_build_vm(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("replicateImage", 10, "GalleryImageVersionQuotaExceeded")
    image_set = new_set(api, tenant)
    failed = settled(api, tenant, image_set["id"], "0.0.0")
    assert failed["status"] == "failed", failed
    assert failed["statusDetail"]["step"] == "createImageVersion"
    assert failed["statusDetail"]["code"] == "GalleryImageVersionQuotaExceeded"
    assert eventually(lambda: _no_vms(tenant))
    reply = api.post(f"{tenant.path}/imageSets/{image_set['id']}/versions", {})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "wrongStatus"  # nothing ready to build on


def _no_vms(tenant: Tenant) -> bool:
    assert tenant.arm.vms(CLOUD_PC_RG) == []
    return True


def _no_nics(tenant: Tenant) -> bool:
    assert tenant.arm.nics(CLOUD_PC_RG) == []
    return True


@pytest.mark.parametrize(
    ("fields", "target"),
    [
        ({"sourceImageId": "microsoftwindowsdesktop_windows-10_nope"}, "sourceImageId"),
        ({"siteId": "elsewhere"}, "siteId"),
        ({"global": True}, None),  # a site and global at once
        ({"displayName": ""}, "displayName"),
    ],
)
def test_bad_image_set_input_is_refused_and_nothing_is_saved(
    api: ApiClient, fields: dict[str, Any], target: str | None
) -> None:
    tenant = Tenant(api)
    body = {"displayName": "Pooled desktops", "siteId": tenant.site["id"], "sourceImageId": SOURCE, **fields}
    reply = api.post(f"{tenant.path}/imageSets", body)
    assert reply.status_code == 400, reply.text
    if target is not None:
        assert target in {d.get("target") for d in reply.json()["error"].get("details", [])}
    assert api.get(f"{tenant.path}/imageSets").json()["value"] == []


def test_only_the_description_and_notes_change_and_validate_only_saves_nothing(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant, description="for the call centre")
    path = f"{tenant.path}/imageSets/{image_set['id']}"
    review = api.post(
        f"{tenant.path}/imageSets?validateOnly=true",
        {"displayName": "Dry run", "siteId": tenant.site["id"], "sourceImageId": SOURCE},
    )
    assert review.status_code == 200 and review.json()["summary"]["displayName"] == "Dry run"
    assert len(api.get(f"{tenant.path}/imageSets").json()["value"]) == 1

    changed = api.patch(path, {"description": None, "notes": "why: new apps"}, headers={"If-Match": image_set["etag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] is None and changed.json()["notes"] == "why: new apps"
    assert api.patch(path, {"displayName": "Renamed"}).status_code == 400
    assert api.patch(path, {"notes": "stale"}, headers={"If-Match": image_set["etag"]}).status_code == 412


def test_a_site_with_an_image_set_is_not_deleted(api: ApiClient) -> None:
    tenant = Tenant(api)
    new_set(api, tenant)
    reply = api.delete(f"{tenant.path}/sites/{tenant.site['id']}")
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "inUse"


def test_a_ready_version_is_imported_as_a_windows_365_custom_image(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant, sourceImageId=CLOUD_PC_SOURCE)  # Windows 365's own image: a 64 GB disk
    version = settled(api, tenant, image_set["id"], "0.0.0")
    assert version["status"] == "ready", version
    body = tenant.image_body(sourceImageResourceId=version["imageVersionId"])
    imported = tenant.settled_image(api.created(f"{tenant.path}/deviceImages", body)["id"])
    assert imported["status"] == "ready", (imported["errorCode"], imported["statusDetails"])


def test_a_version_built_on_a_larger_disk_than_windows_365_takes_is_refused_naming_the_limit(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant)  # a multi-session image's disk is larger than 64 GB, and so is its build's
    version = settled(api, tenant, image_set["id"], "0.0.0")
    body = tenant.image_body(sourceImageResourceId=version["imageVersionId"])
    imported = tenant.settled_image(api.created(f"{tenant.path}/deviceImages", body)["id"])
    assert (imported["status"], imported["errorCode"]) == ("failed", "sourceImageSizeExceedsLimitation"), imported


def test_deleting_a_version_then_the_set_removes_them_from_the_gallery(api: ApiClient) -> None:
    tenant = Tenant(api)
    image_set = new_set(api, tenant)
    path = f"{tenant.path}/imageSets/{image_set['id']}"
    first = settled(api, tenant, image_set["id"], "0.0.0")
    assert api.post(f"{path}/versions", {"customizationScripts": [{"name": "a", "script": "echo"}]}).status_code == 202
    assert settled(api, tenant, image_set["id"], "0.0.1")["status"] == "ready"

    latest = api.delete(f"{path}/versions/0.0.1")
    assert latest.status_code == 409 and latest.json()["error"]["code"] == "wrongStatus"
    reply = api.delete(f"{path}/versions/0.0.0")
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "deleting"
    eventually(lambda: _gone(api, f"{path}/versions/0.0.0"))
    assert tenant.arm.call("GET", first["imageVersionId"]).status_code == 404

    second = api.get(f"{path}/versions/0.0.1").json()
    reply = api.delete(path)
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "deleting"
    eventually(lambda: _gone(api, path))
    definition = second["imageVersionId"].rsplit("/versions/", 1)[0]
    assert tenant.arm.call("GET", definition).status_code == 404
    assert api.get(f"{tenant.path}/imageSets").json()["value"] == []


def _gone(api: ApiClient, path: str) -> bool:
    assert api.get(path).status_code == 404
    return True


def test_a_global_set_is_replicated_to_every_sites_region(api: ApiClient) -> None:
    tenant = Tenant(api)
    api.created(
        f"{tenant.path}/sites",
        {
            "displayName": "US",
            "regionName": "eastus",
            "subscriptionId": tenant.arm.subscription_id,
            "resourceGroupName": CLOUD_PC_RG,
        },
    )
    image_set = api.created(
        f"{tenant.path}/imageSets", {"displayName": "Everywhere", "global": True, "sourceImageId": SOURCE}
    )
    assert image_set["global"] is True and image_set["siteId"] is None
    version = settled(api, tenant, image_set["id"], "0.0.0")
    assert version["status"] == "ready", version
    assert version["regions"] == [tenant.site["regionName"], "eastus"]
    replicated = tenant.arm.ok("GET", version["imageVersionId"])["properties"]["publishingProfile"]["targetRegions"]
    assert [r["name"] for r in replicated] == version["regions"]
