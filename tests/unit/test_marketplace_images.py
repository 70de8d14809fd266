"""The marketplace images an image set can start from: which Windows desktop images suit Cloud PCs and session hosts
(shared/catalog/marketplace_images.py), the list read per region and kept a day
(shared/services/spot_pc/marketplace_images.py), and the azure backend's gallery made from it, on the fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.catalog.gallery_images import GALLERY_IMAGES, known_gallery_image
from shared.catalog.marketplace_images import DESKTOP, RECOMMENDED, marketplace_image, offered, suits
from shared.errors import ValidationFailed
from shared.models.image_sets import ImageSetCreate, PlatformImage
from shared.ports.cloud_errors import CloudError
from shared.services.configuration import device_images
from shared.services.spot_pc import image_sets
from shared.services.spot_pc.marketplace_images import marketplace_images, refresh_regions
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, site, tenant


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    site(world)
    return world


def image(offer: str, sku: str, generation: str | None = "V2", publisher: str = DESKTOP) -> PlatformImage:
    return PlatformImage(publisher=publisher, offer=offer, sku=sku, version="1.0.0", hyper_v_generation=generation)


def ids(fakes: Fakes, use: str | None = None) -> list[str]:
    return [i.id for i in marketplace_images(fakes.admin_ports(), TENANT, use)]  # type: ignore[arg-type]


# --- which images suit -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "sku"),
    [
        ("windows-11", "win11-24h2-ent"),
        ("windows-11", "win11-24h2-avd"),
        ("office-365", "win11-24h2-avd-m365"),
        ("windows-10", "win10-21h2-avd-g2"),
        ("office-365", "win10-21h2-avd-m365-g2"),
        ("windows-ent-cpc", "win11-24h2-ent-cpc"),
        ("windows-ent-cpc", "win11-23h2-ent-cpc-m365"),
        ("Windows-11", "WIN11-24H2-ENT"),
        ("windows-10", "win10-20h1-evd"),
    ],
)
def test_enterprise_multi_session_and_cloud_pc_images_suit(offer: str, sku: str) -> None:
    assert suits(offer, sku)


@pytest.mark.parametrize(
    ("offer", "sku"),
    [
        ("windows-11", "win11-24h2-pro"),
        ("windows-11", "win11-24h2-entn"),
        ("windows-11", "win11-24h2-pron"),
        ("windows-10", "win10-21h2-ent-ltsc"),
        ("windows-11", "win11-24h2-ent-arm64"),
        ("windows-7", "win7-ent"),
        ("windowsserver", "2022-datacenter-g2"),
        ("windows-11", "win11-24h2-avd-preview"),
    ],
)
def test_pro_n_ltsc_and_other_editions_and_offers_do_not(offer: str, sku: str) -> None:
    assert not suits(offer, sku)


def test_generation_1_where_the_version_says_it_is_left_out_and_an_unsaid_one_is_kept() -> None:
    assert offered(image("windows-10", "win10-21h2-ent", "V2"))
    assert not offered(image("windows-10", "win10-21h2-ent", "V1"))  # the app's VMs are Trusted Launch
    assert offered(image("windows-10", "win10-21h2-ent", None))
    assert not offered(image("windows-11", "win11-24h2-ent", publisher="microsoftwindowsserver"))


def test_an_image_is_named_from_its_sku_and_marked_when_spot_pc_recommends_it() -> None:
    pooled = marketplace_image(f"{DESKTOP}_office-365_win11-24h2-avd-m365")
    assert pooled is not None and pooled.recommended_for == ["pooled"] and pooled.multi_session
    assert pooled.display_name == "Windows 11 Enterprise multi-session 24H2 + Microsoft 365 Apps"
    cpc = marketplace_image(f"{DESKTOP}_windows-ent-cpc_win11-23h2-ent-cpc-m365")
    assert cpc is not None and cpc.recommended_for == [] and not cpc.multi_session
    assert cpc.display_name == "Windows 11 Enterprise 23H2 (Cloud PC) + Microsoft 365 Apps"
    assert marketplace_image(f"{DESKTOP}_windows-11_win11-24h2-pro") is None
    assert marketplace_image("not-an-id") is None
    for image_id, use in RECOMMENDED.items():  # every recommendation suits, and multi-session exactly when pooled
        marked = marketplace_image(image_id)
        assert marked is not None and marked.multi_session == (use == "pooled"), image_id


# --- the list of a tenant's regions, kept a day ---------------------------------------------------------------


def test_the_list_is_what_the_regions_marketplace_has_that_suits(fakes: Fakes) -> None:
    fakes.inventory.marketplace.append(image("windows-11", "win11-26h1-ent"))
    found = ids(fakes)
    assert f"{DESKTOP}_windows-11_win11-26h1-ent" in found and set(RECOMMENDED) <= set(found)
    assert f"{DESKTOP}_windows-11_win11-24h2-pro" not in found
    assert set(ids(fakes, "pooled")) == {i for i, use in RECOMMENDED.items() if use == "pooled"}


def test_a_recommendation_the_region_does_not_have_is_not_listed(fakes: Fakes) -> None:
    gone = f"{DESKTOP}_windows-11_win11-24h2-ent"
    fakes.inventory.marketplace = [i for i in fakes.inventory.marketplace if i.sku != "win11-24h2-ent"]
    assert gone not in ids(fakes) and gone not in ids(fakes, "personal")


def test_a_regions_list_is_read_once_a_day_for_every_tenant(fakes: Fakes) -> None:
    tenant(fakes, "other")
    site(fakes, "other")
    first = ids(fakes)
    fakes.inventory.marketplace.append(image("windows-11", "win11-26h1-ent"))
    fakes.clock.advance(hours=23)
    assert ids(fakes) == first and [i.id for i in marketplace_images(fakes.admin_ports(), "other")] == first
    assert fakes.inventory.regions_read == ["westeurope"]
    fakes.clock.advance(hours=1)
    assert f"{DESKTOP}_windows-11_win11-26h1-ent" in ids(fakes)
    assert fakes.inventory.regions_read == ["westeurope"] * 2


def test_every_region_of_the_tenants_sites_is_read_and_their_lists_joined(fakes: Fakes) -> None:
    site(fakes, region="eastus")
    assert set(ids(fakes)) >= set(RECOMMENDED)
    assert sorted(fakes.inventory.regions_read) == ["eastus", "westeurope"]
    assert len(ids(fakes)) == len(set(ids(fakes)))


def test_a_tenant_without_sites_has_no_list(fakes: Fakes) -> None:
    tenant(fakes, "bare")
    assert marketplace_images(fakes.admin_ports(), "bare") == [] and fakes.inventory.regions_read == []


def test_a_region_that_cannot_be_read_again_keeps_its_list_and_one_never_read_says_why(fakes: Fakes) -> None:
    first = ids(fakes)
    fakes.clock.advance(days=2)
    fakes.inventory.marketplace_refusal = CloudError("readAzure", "AuthorizationFailed", "no role")
    assert ids(fakes) == first
    site(fakes, region="eastus")
    with pytest.raises(CloudError) as refused:
        ids(fakes)
    assert refused.value.code == "AuthorizationFailed"


def test_the_daily_refresh_reads_every_kept_region_with_the_identity_that_read_it(fakes: Fakes) -> None:
    site(fakes, region="eastus")
    ids(fakes)
    fakes.inventory.marketplace.append(image("windows-11", "win11-26h1-ent"))
    assert refresh_regions(fakes.admin_ports()) == 2
    assert f"{DESKTOP}_windows-11_win11-26h1-ent" in ids(fakes)  # no read needed: both lists are new
    assert len(fakes.inventory.regions_read) == 4
    fakes.inventory.marketplace_refusal = CloudError("readAzure", "AuthorizationFailed", "no role")
    assert refresh_regions(fakes.admin_ports()) == 0


def test_an_image_set_starts_only_from_an_image_its_sites_region_has(fakes: Fakes) -> None:
    newest = f"{DESKTOP}_windows-11_win11-26h1-avd"
    body = {"displayName": "Pooled", "siteId": "site-westeurope", "sourceImageId": newest}
    with pytest.raises(ValidationFailed) as refused:
        image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(body))
    assert refused.value.details[0].target == "sourceImageId"
    fakes.inventory.marketplace.append(image("windows-11", "win11-26h1-avd"))
    fakes.clock.advance(timedelta(days=1))
    image_set, _ = image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(body))
    assert image_set.source_image_id == newest


# --- the azure backend's gallery: the same marketplace, with Windows 365's word on each image -------------------


def test_the_azure_backends_gallery_is_the_marketplace_of_its_regions_with_windows_365s_word(fakes: Fakes) -> None:
    fakes.inventory.marketplace.append(image("windows-11", "win11-26h1-ent"))
    offered_now = {i.id: i for i in device_images.gallery(fakes.admin_ports(), TENANT)}
    newest = offered_now[f"{DESKTOP}_windows-11_win11-26h1-ent"]
    assert (newest.status, newest.recommended_for) == ("supported", ["personal"])
    assert newest.display_name == "Windows 11 Enterprise 26H1"
    assert offered_now[f"{DESKTOP}_windows-11_win11-24h2-avd"].recommended_for == ["pooled"]
    warned = offered_now[f"{DESKTOP}_windows-ent-cpc_win10-22h2-ent-cpc-m365"]
    assert warned.status == "supportedWithWarning"  # as Windows 365's gallery says
    # Generation 1, so not on the marketplace's list, but named: a policy naming it is told it is not supported
    assert offered_now[f"{DESKTOP}_windows-10_win10-21h2-ent"].status == "notSupported"
    assert f"{DESKTOP}_windows-11_win11-24h2-pro" not in offered_now


def test_until_the_app_can_read_the_tenants_marketplace_its_gallery_is_windows_365s(fakes: Fakes) -> None:
    tenant(fakes, "bare")  # no site yet: no region to read
    assert device_images.gallery(fakes.admin_ports(), "bare") == list(GALLERY_IMAGES)
    fakes.inventory.marketplace_refusal = CloudError("readAzure", "AuthorizationFailed", "no role")
    assert device_images.gallery(fakes.admin_ports(), TENANT) == list(GALLERY_IMAGES)  # onboarding not done
    fakes.inventory.marketplace_refusal = CloudError("readAzure", "serviceUnavailable", "down")
    with pytest.raises(CloudError):  # an outage is said as one, not hidden behind another list
        device_images.gallery(fakes.admin_ports(), TENANT)


def test_a_gallery_image_is_known_when_windows_365_or_the_marketplace_rule_names_it() -> None:
    assert known_gallery_image(f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc-m365") is not None
    known = known_gallery_image(f"{DESKTOP}_windows-11_win11-26h1-ent")
    assert known is not None and known.status == "supported"
    assert known_gallery_image(f"{DESKTOP}_windows-11_win11-26h1-pro") is None
