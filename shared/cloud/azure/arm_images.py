"""The ImageSources port over ARM: a custom image's source, read from a managed image or a gallery image version.

A source that does not exist, or that the app may not read (404/403), is None: the import then fails with
`sourceImageNotFound`, which is the admin's to fix. Other ARM errors raise CloudError (the import's
orchestration retries them); so does throttling, as an import has no Progress to hand a wait back in.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_ids import parse_id
from shared.ports.cloud_errors import CloudError
from shared.ports.image_sources import ManagedImage

STEP = "getManagedImage"
UNREADABLE = {403, 404}


class AzureImages:
    """Implements ImageSources (shared.ports.image_sources): `get_managed_image`."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None:
        parts = parse_id(resource_id)
        sub, rg = parts.get("subscriptions"), parts.get("resourcegroups")
        if not sub or not rg or parts.get("namespace", "").lower() != "microsoft.compute":
            return None
        compute = self._clients.compute(tenant_id, sub)
        try:
            if "images" in parts and "galleries" not in parts:
                return _from_managed_image(resource_id, dict(compute.images.get(rg, parts["images"])))
            if "galleries" in parts and "images" in parts:
                gallery, definition_name = parts["galleries"], parts["images"]
                definition = dict(compute.gallery_images.get(rg, gallery, definition_name))
                version_name = parts.get("versions") or _latest(compute, rg, gallery, definition_name)
                if version_name is None:
                    return None
                version = dict(compute.gallery_image_versions.get(rg, gallery, definition_name, version_name))
                return _from_gallery_version(resource_id, definition, version)
        except HttpResponseError as exc:
            if exc.status_code in UNREADABLE:
                return None
            try:
                arm_lro.raise_for(exc, STEP)
            except arm_lro.Throttled as throttled:
                raise CloudError(STEP, "TooManyRequests", str(throttled)) from exc
        return None


def _from_managed_image(resource_id: str, image: dict[str, Any]) -> ManagedImage:
    props = image.get("properties") or {}
    storage = props.get("storageProfile") or {}
    disk = storage.get("osDisk") or {}
    return ManagedImage(
        resource_id=resource_id,
        os_type=str(disk.get("osType") or ""),
        hyper_v_generation=str(props.get("hyperVGeneration") or "V1"),
        os_state=str(disk.get("osState") or ""),
        os_disk_size_gb=int(disk.get("diskSizeGB") or 127),  # Azure's default for an image without a size
        data_disk_count=len(storage.get("dataDisks") or []),
        details={"location": str(image.get("location") or ""), "kind": "managedImage"},
    )


def _from_gallery_version(resource_id: str, definition: dict[str, Any], version: dict[str, Any]) -> ManagedImage:
    about = definition.get("properties") or {}
    storage = (version.get("properties") or {}).get("storageProfile") or {}
    regions = ((version.get("properties") or {}).get("publishingProfile") or {}).get("targetRegions") or []
    return ManagedImage(
        resource_id=resource_id,
        os_type=str(about.get("osType") or ""),
        hyper_v_generation=str(about.get("hyperVGeneration") or "V1"),
        os_state=str(about.get("osState") or ""),
        os_disk_size_gb=int((storage.get("osDiskImage") or {}).get("sizeInGB") or 127),
        data_disk_count=len(storage.get("dataDiskImages") or []),
        details={
            "kind": "galleryImageVersion",
            "version": str(version.get("name") or ""),
            "regions": ",".join(str(r.get("name")) for r in regions),
        },
    )


def _latest(compute: Any, rg: str, gallery: str, definition: str) -> str | None:
    """The highest version not excluded from latest, as ARM resolves a gallery image id without a version."""
    names = [
        str(v["name"])
        for v in compute.gallery_image_versions.list_by_gallery_image(rg, gallery, definition)
        if not ((v.get("properties") or {}).get("publishingProfile") or {}).get("excludeFromLatest")
    ]
    numbers = sorted(names, key=lambda n: [int(p) if p.isdigit() else 0 for p in n.split(".")])
    return numbers[-1] if numbers else None
