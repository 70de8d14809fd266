"""The `azure` backend's Cloud PC work: the app provisions, acts on and removes the VMs itself."""

from __future__ import annotations


class AzureCloudPcWork:
    pass
