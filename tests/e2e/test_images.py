"""The image wizard end to end: gallery catalog, custom images imported by an orchestration."""

from __future__ import annotations

import pytest

from orchestrators.phases import TRANSIENT
from tests.utils.api_client import ApiClient
from tests.utils.wizard import MANAGED_IMAGE, Tenant


def test_gallery_images_name_their_publisher_offer_and_sku(api: ApiClient) -> None:
    tenant = Tenant(api)
    images = api.get(f"{tenant.path}/galleryImages").json()["value"]
    assert images
    for image in images:
        assert image["id"] == f"{image['publisherName']}_{image['offerName']}_{image['skuName']}"
        assert image["status"] in ("supported", "supportedWithWarning", "notSupported")
        assert image["recommendedFor"]
    assert api.get("/tenants/00000000-0000-0000-0000-000000000000/galleryImages").status_code == 404


def test_a_valid_managed_image_is_imported_ready(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.managed_image()
    created = api.created(f"{tenant.path}/deviceImages", tenant.image_body())
    assert created["status"] == "pending"
    ready = tenant.settled_image(created["id"])
    assert ready["status"] == "ready"
    assert ready["errorCode"] is None
    listed = api.get(f"{tenant.path}/deviceImages").json()["value"]
    assert [image["id"] for image in listed] == [created["id"]]


@pytest.mark.parametrize(
    ("image", "error_code"),
    [
        (None, "sourceImageNotFound"),
        ({"generation": "V1"}, "sourceImageInvalid"),
        ({"os_state": "Specialized"}, "sourceImageNotGeneralized"),
        ({"os_type": "Linux"}, "osVersionNotSupported"),
        ({"disk_gb": 128}, "sourceImageSizeExceedsLimitation"),
    ],
)
def test_an_unusable_source_image_ends_failed_with_its_error_code(
    api: ApiClient, image: dict[str, object] | None, error_code: str
) -> None:
    tenant = Tenant(api)
    if image is not None:
        tenant.managed_image(**image)
    failed = tenant.settled_image(api.created(f"{tenant.path}/deviceImages", tenant.image_body())["id"])
    assert failed["status"] == "failed"
    assert failed["errorCode"] == error_code
    assert failed["statusDetails"]


def test_a_source_that_cannot_be_read_ends_failed_after_retries(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.managed_image()
    tenant.fault("getImage", TRANSIENT.max_number_of_attempts)  # every try of the activity
    failed = tenant.settled_image(api.created(f"{tenant.path}/deviceImages", tenant.image_body())["id"])
    assert failed["status"] == "failed"
    assert failed["errorCode"] == "internalServerError"


@pytest.mark.parametrize(
    ("overrides", "code", "target"),
    [
        ({"version": "1.0"}, "invalidVersion", "version"),
        ({"version": "01.0.0"}, "invalidVersion", "version"),
        (
            {"sourceImageResourceId": MANAGED_IMAGE.replace("images", "galleries")},
            "invalidResourceId",
            "sourceImageResourceId",
        ),
        ({"siteId": "elsewhere"}, "referenceNotFound", "siteId"),
        ({"displayName": ""}, "stringTooShort", "displayName"),
    ],
)
def test_bad_image_input_is_refused_and_nothing_is_saved(
    api: ApiClient, overrides: dict[str, object], code: str, target: str
) -> None:
    tenant = Tenant(api)
    reply = api.post(f"{tenant.path}/deviceImages", tenant.image_body(**overrides))
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["details"][0]["code"] == code
    assert reply.json()["error"]["details"][0]["target"] == target
    assert api.get(f"{tenant.path}/deviceImages").json()["value"] == []


def test_name_and_version_are_unique_and_twenty_images_is_the_limit(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.managed_image()
    api.created(f"{tenant.path}/deviceImages", tenant.image_body())
    duplicate = api.post(f"{tenant.path}/deviceImages", tenant.image_body(displayName="golden windows 11"))
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "alreadyExists"
    for minor in range(1, 20):
        api.created(f"{tenant.path}/deviceImages", tenant.image_body(version=f"1.{minor}.0"))
    over = api.post(f"{tenant.path}/deviceImages", tenant.image_body(version="2.0.0"))
    assert over.status_code == 409
    assert over.json()["error"]["code"] == "limitExceeded"
    assert len(api.get(f"{tenant.path}/deviceImages").json()["value"]) == 20


def test_an_image_in_use_cannot_be_deleted(api: ApiClient) -> None:
    tenant = Tenant(api)
    image = tenant.ready_image()
    policy = tenant.policy(imageType="custom", imageId=image["id"])
    assert policy["imageDisplayName"] == "Golden Windows 11 1.0.0"
    assert api.get(f"{tenant.path}/deviceImages/{image['id']}").json()["inUse"] is True
    refused = api.delete(f"{tenant.path}/deviceImages/{image['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "inUse"
    assert api.delete(f"{tenant.path}/provisioningPolicies/{policy['id']}").status_code == 204
    assert api.delete(f"{tenant.path}/deviceImages/{image['id']}").status_code == 204
