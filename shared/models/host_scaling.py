"""A pooled Spot Group's scaling: its hosts made and deleted as the load asks, some on Azure Spot VMs."""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import Field

from shared.models.base import NOT_A_TRUTH_NUMBER, NOT_A_TRUTH_VALUE, InputModel
from shared.models.spot_schedules import FieldError, Message

SpotEviction = Literal["Deallocate", "Delete"]
MAX_LICENSES = 500
EVICTION_MESSAGE = (
    "Azure is taking this desktop back: save your work now, it closes in 30 seconds. Sign in again to continue on "
    "another one."
)


# Sizes Azure runs no Spot VM on: the B-series and every Promo size ("Use Azure Spot Virtual Machines", Limitations,
# https://learn.microsoft.com/azure/virtual-machines/spot-vms); Azure refuses them AzureSpotIsNotSupportedForThisVMSize
SPOT_UNSUPPORTED = re.compile(r"^Standard_B\d|_Promo$", re.IGNORECASE)


def spot_supported(vm_size: str) -> bool:
    return SPOT_UNSUPPORTED.search(vm_size) is None


def license_bound(license_count: int, max_sessions_per_host: int) -> int:
    """Enough hosts for every licensed user at the session limit: a group never needs more."""
    return math.ceil(license_count / max_sessions_per_host)


class HostScaling(InputModel):
    """A pooled group's hosts made and deleted as the load asks, not a fixed set. baseHosts always exist; beyond
    them the optimization makes hosts when the schedule wants more running than exist or the sessions in use and
    bufferSessions free ones need more, never above maxHosts (the ceiling; left out, the licenses at the sessions
    per host), and deletes a host deallocated or drained with no session for deleteAfterMinutes, never below the
    base. spotSharePercent of the hosts above the base run on Azure Spot VMs, at a fraction of the price, which
    Azure may take back (evict) when it needs the capacity: spotEvictionPolicy says whether an evicted VM is kept
    deallocated or deleted, and spotMaxPrice (US dollars an hour) whether Azure also evicts it once its price rises
    above that (left out: never for price, up to the on-demand price). A Spot host Azure evicts is drained at once,
    each user on it is shown evictionMessage (Azure gives 30 seconds' notice), and a replacement is made."""

    base_hosts: Annotated[int, Field(ge=0, le=MAX_LICENSES), NOT_A_TRUTH_VALUE] = 1
    buffer_sessions: Annotated[int, Field(ge=0, le=1000), NOT_A_TRUTH_VALUE] = 0
    max_hosts: Annotated[int, Field(ge=1, le=MAX_LICENSES), NOT_A_TRUTH_VALUE] | None = None
    delete_after_minutes: Annotated[int, Field(ge=5, le=1440), NOT_A_TRUTH_VALUE] = 30
    spot_share_percent: Annotated[int, Field(ge=0, le=100), NOT_A_TRUTH_VALUE] = 0
    spot_eviction_policy: SpotEviction = "Deallocate"
    # None: Azure's -1, evicted for capacity only
    spot_max_price: Annotated[float, Field(ge=0), NOT_A_TRUTH_NUMBER] | None = None
    eviction_message: Message = EVICTION_MESSAGE

    def ceiling(self, license_count: int, max_sessions_per_host: int) -> int:
        """The most hosts the group may have: maxHosts, or the licenses at the sessions per host."""
        bound = license_bound(license_count, max_sessions_per_host)
        return bound if self.max_hosts is None else min(self.max_hosts, bound)

    def refusals(self, license_count: int, max_sessions_per_host: int, vm_size: str) -> list[FieldError]:
        """What the group's licenses and size refuse (located under `scaling`): a ceiling above them, a base above
        it, a Spot share on a size without Spot."""
        bound = license_bound(license_count, max_sessions_per_host)
        ceiling = self.ceiling(license_count, max_sessions_per_host)
        errors: list[FieldError] = []
        if self.max_hosts is not None and self.max_hosts > bound:
            errors.append(
                (
                    ("scaling", "maxHosts"),
                    "aboveLicenses",
                    f"must be at most {bound}: {license_count} "
                    f"licenses at {max_sessions_per_host} sessions per host fill no more hosts (the license "
                    "count is the cap)",
                    self.max_hosts,
                )
            )
        if self.base_hosts > ceiling:
            errors.append(
                (
                    ("scaling", "baseHosts"),
                    "baseAboveCeiling",
                    f"must be at most the ceiling, {ceiling} "
                    "hosts (maxHosts, or the licenses at the sessions per host)",
                    self.base_hosts,
                )
            )
        if self.spot_share_percent > 0 and not spot_supported(vm_size):
            message = f"must be 0: Azure runs no Spot VM of size {vm_size} (B-series and Promo sizes)"
            share = self.spot_share_percent
            errors.append((("scaling", "spotSharePercent"), "spotNotSupportedForSize", message, share))
        return errors

    def refusals_for_personal(self) -> list[FieldError]:
        """Each field given refused (or `scaling` itself, given empty): a personal group has no scaling."""
        message = "scaling and Spot VMs are for pooled groups; a personal host is one user's desktop"
        given = [name for name in type(self).model_fields if name in self.model_fields_set]
        if not given:
            return [(("scaling",), "notAllowed", message, {})]
        return [
            (("scaling", type(self).model_fields[name].alias or name), "notAllowed", message, getattr(self, name))
            for name in given
        ]
