"""The least of the ports each method of a backend's configuration facet reads: a service hands its own on to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from shared.ports.azure_inventory import AzureInventory
from shared.ports.directory import Directory
from shared.ports.image_sources import ImageSources
from shared.ports.network_checks import NetworkChecks
from shared.ports.secret_store import SecretStore
from shared.ports.spot_pc_stores import RegionImageStore
from shared.ports.stores import ConnectionStore, DeviceImageStore, SiteStore, UserSettingStore
from shared.ports.windows365 import Windows365Network, Windows365Provisioning

# read-only members (properties): the bundles that satisfy these are frozen dataclasses


class Windows365Ports(Protocol):
    """Windows 365 through Graph, which the windows365 backend tells of every change (connection_deleted, gallery,
    image_deleted, policy_deleted, policy_assigned)."""

    @property
    def windows365(self) -> Windows365Network: ...
    @property
    def windows365_provisioning(self) -> Windows365Provisioning: ...


class MarketplacePorts(Protocol):
    """The marketplace images of the tenant's sites' regions, as Azure lists them, kept a day per region."""

    @property
    def sites(self) -> SiteStore: ...
    @property
    def inventory(self) -> AzureInventory: ...
    @property
    def region_images(self) -> RegionImageStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


class GallerySourcePorts(Windows365Ports, MarketplacePorts, Protocol):
    """Where a backend's gallery comes from: Windows 365's, or the marketplace of the tenant's sites' regions."""


class HealthCheckRunPorts(Windows365Ports, Protocol):
    """A connection's health-check run (advance_health_checks): the app's own checks, or Windows 365's mirrored."""

    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def network(self) -> NetworkChecks: ...
    @property
    def secrets(self) -> SecretStore: ...
    @property
    def windows365_checks_poll(self) -> timedelta: ...


class ImageImportPorts(Windows365Ports, Protocol):
    """A step of a device image's import (import_image): the source read, or the upload to Windows 365."""

    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def image_sources(self) -> ImageSources: ...


class PolicySyncPorts(Windows365Ports, Protocol):
    """A policy made or changed (policy_made, policy_changed): Windows 365 names its connections and images by its
    own ids."""

    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def images(self) -> DeviceImageStore: ...


class UserSettingSyncPorts(Windows365Ports, Protocol):
    """A Windows 365 user setting made, changed or assigned (create_user_setting, ...): kept by the app, held by
    Windows 365, applied to its groups' members."""

    @property
    def user_settings(self) -> UserSettingStore: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def new_id(self) -> Callable[[], str]: ...
