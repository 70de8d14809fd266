"""The image wizard on a tenant whose Cloud PCs Windows 365 provisions: a custom image is uploaded to Windows 365
(Graph's deviceImages), which validates it; the app shows its status as Windows 365 settles it, and a policy that
uses it sends Windows 365 its own id of the image."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_windows365_provisioning import PLAN, settled
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

REMOTE = "deviceManagement/virtualEndpoint"


def _remote(tenant: Tenant, path: str) -> Any:
    return tenant.graph.call("GET", f"{tenant.graph.graph}/{REMOTE}/{path}")


def test_a_custom_image_is_uploaded_to_windows_365_and_provisions_from_there(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    image = tenant.ready_image()
    remote = _remote(tenant, f"deviceImages/{image['windows365Id']}")
    assert (remote["displayName"], remote["version"], remote["status"]) == ("Golden Windows 11", "1.0.0", "ready")
    assert remote["sourceImageResourceId"].lower() == tenant.managed_image_id.lower()
    assert image["osVersion"] == remote["operatingSystem"]

    tenant.user("adele", [PLAN])
    tenant.group("finance", ["adele"])
    policy = tenant.policy(imageType="custom", imageId=image["id"])
    sent = _remote(tenant, f"provisioningPolicies/{policy['windows365Id']}")
    assert (sent["imageType"], sent["imageId"]) == ("custom", image["windows365Id"])
    tenant.assign(policy, "finance")
    [cloud_pc] = settled(tenant, 1)
    assert cloud_pc["imageDisplayName"] == "Golden Windows 11 1.0.0"

    # in use, it stays; once no policy uses it, it goes from Windows 365 too
    in_use = api.delete(f"{tenant.path}/deviceImages/{image['id']}")
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "inUse"


def test_windows_365_s_refusal_of_an_image_is_shown_with_its_error_code(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.arm.managed_image("rg-images", "win11-golden", os_state="Specialized")  # not run through Sysprep
    made = api.created(f"{tenant.path}/deviceImages", tenant.image_body())
    failed = tenant.settled_image(made["id"])
    assert (failed["status"], failed["errorCode"]) == ("failed", "sourceImageNotGeneralized"), failed
    assert _remote(tenant, f"deviceImages/{failed['windows365Id']}")["errorCode"] == "sourceImageNotGeneralized"
    assert api.delete(f"{tenant.path}/deviceImages/{failed['id']}").status_code == 204
    assert _remote(tenant, "deviceImages")["value"] == []
    # Windows 365 uploads managed images only: a gallery image version is refused before anything is made
    version = (
        f"/subscriptions/{tenant.arm.subscription_id}/resourceGroups/rg-images/providers/Microsoft.Compute/"
        "galleries/golden/images/win11/versions/1.0.0"
    )
    refused = api.post(f"{tenant.path}/deviceImages", tenant.image_body(version="2.0.0", sourceImageResourceId=version))
    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["code"] == "notTakenByBackend"
    assert [i["version"] for i in api.get(f"{tenant.path}/deviceImages").json()["value"]] == []


def test_the_gallery_is_the_one_windows_365_offers_the_tenant(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    offered = {i["id"]: i for i in api.get(f"{tenant.path}/galleryImages").json()["value"]}
    remote = {i["id"]: i for i in _remote(tenant, "galleryImages")["value"]}
    assert offered.keys() == remote.keys() and offered
    assert {i["status"] for i in offered.values()} == {i["status"] for i in remote.values()}
    expired = next(i for i in offered.values() if i["status"] == "notSupported")
    refused = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(imageId=expired["id"]))
    assert refused.status_code == 400
    [detail] = refused.json()["error"]["details"]
    assert (detail["code"], detail["target"]) == ("imageNotSupported", "imageId")
    unknown = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(imageId="contoso_golden_v1"))
    assert unknown.status_code == 400 and unknown.json()["error"]["details"][0]["code"] == "referenceNotFound"
    assert _remote(tenant, "provisioningPolicies")["value"] == []
