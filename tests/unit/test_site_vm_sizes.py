"""A site's VM sizes as the Spot Group wizard's pick list: what Azure offers the site's subscription in its region,
narrowed to the sizes that boot the chosen image's Hyper-V generation."""

from __future__ import annotations

import pytest

from shared.errors import Conflict
from shared.models.image_sets import ImageSetCreate
from shared.ports.azure_inventory import VmSizeChoice
from shared.ports.image_sources import ManagedImage
from shared.services.access.sites import site_vm_sizes
from shared.services.spot_pc import image_sets
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, site, tenant

BOTH, GEN1, GEN2 = ("V1", "V2"), ("V1",), ("V2",)


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    site(world)
    world.inventory.vm_size_choices = [
        VmSizeChoice("Standard_D2_v2", 2, 7, GEN1),
        VmSizeChoice("Standard_D2s_v5", 2, 8, BOTH),
        VmSizeChoice("Standard_D2s_v6", 2, 8, GEN2),
        VmSizeChoice("Standard_D4s_v5", 4, 16, BOTH),
    ]
    return world


def names(
    fakes: Fakes, *, image_set_id: str | None = None, image_version: str | None = None, search: str | None = None
) -> list[str]:
    found, _ = site_vm_sizes(
        fakes.admin_ports(),
        TENANT,
        site(fakes).id,
        image_set_id=image_set_id,
        image_version=image_version,
        search=search,
    )
    return [size.name for size in found]


def image_set_of_generation(fakes: Fakes, generation: str | None) -> str:
    """A set whose version 0.0.0 has its gallery image in Azure as `generation` (None: not captured yet)."""
    body = {
        "displayName": "Pooled desktops",
        "siteId": site(fakes).id,
        "sourceImageId": "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365",
    }
    image_set, first = image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(body))
    if generation is not None:
        image_id = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/{generation}"
        fakes.image_sets.put_version(first.model_copy(update={"image_version_id": image_id}))
        fakes.managed_images.images[image_id] = ManagedImage(image_id, hyper_v_generation=generation)
    return image_set.id


def test_every_size_azure_offers_the_site_is_listed_with_its_vcpus_and_memory(fakes: Fakes) -> None:
    found, next_link = site_vm_sizes(fakes.admin_ports(), TENANT, site(fakes).id)
    assert [(s.name, s.vcpus, s.memory_gb) for s in found][-1] == ("Standard_D4s_v5", 4, 16)
    assert len(found) == 4 and next_link is None
    assert names(fakes, search="V5") == ["Standard_D2s_v5", "Standard_D4s_v5"]


@pytest.mark.parametrize(
    ("generation", "expected"),
    [
        ("V2", ["Standard_D2s_v5", "Standard_D2s_v6", "Standard_D4s_v5"]),
        ("V1", ["Standard_D2_v2", "Standard_D2s_v5", "Standard_D4s_v5"]),
        (None, ["Standard_D2_v2", "Standard_D2s_v5", "Standard_D2s_v6", "Standard_D4s_v5"]),  # nothing to boot yet
    ],
)
def test_with_an_image_set_only_the_sizes_that_boot_its_generation_are_listed(
    fakes: Fakes, generation: str | None, expected: list[str]
) -> None:
    image_set_id = image_set_of_generation(fakes, generation)
    assert names(fakes, image_set_id=image_set_id) == expected
    assert names(fakes, image_set_id=image_set_id, image_version="0.0.0") == expected


def test_sizes_azure_will_not_list_say_why(fakes: Fakes) -> None:
    fakes.script.fail("vm_sizes", code="AuthorizationFailed", status=403)
    with pytest.raises(Conflict) as refused:
        names(fakes)
    assert (refused.value.code, refused.value.target) == ("azureNotReadable", "siteId")
