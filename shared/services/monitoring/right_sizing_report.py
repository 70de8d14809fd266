"""The right-sizing report of a tenant: its provisioned Cloud PCs a page at a time, each classed over the window with
its VM's metrics read in batches (azure backend) or by Windows 365's own recommendation report (windows365)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import Conflict, Unavailable
from shared.models.cloud_pcs import PROVISIONED, CloudPc
from shared.models.right_sizing import CloudPcRightSizing
from shared.models.tenants import Tenant
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import Windows365CloudPcPorts
from shared.ports.stores import CloudPcStore, ListPages
from shared.ports.vm_metrics import MeteredVm, VmMetrics, VmUsage
from shared.services.monitoring.right_sizing import WINDOW, classify


class RightSizingReportPorts(Windows365CloudPcPorts, Protocol):
    """The Cloud PCs, their VMs' measured load, and what their backend says of their sizes."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def metrics(self) -> VmMetrics: ...
    @property
    def backends(self) -> BackendChoice[CloudPcWork]: ...
    @property
    def pages(self) -> ListPages: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def _metered(cloud_pc: CloudPc) -> MeteredVm | None:
    """The VM the app made for it in the customer's subscription; none for one Windows 365 made (its VM is not the
    customer's to read)."""
    if cloud_pc.virtual_machine_id and cloud_pc.build is not None:
        return MeteredVm(cloud_pc.virtual_machine_id, cloud_pc.build.region_name)
    return None


def right_sizing_report(
    ports: RightSizingReportPorts, tenant: Tenant, *, top: int = 100, skip_token: str | None = None
) -> tuple[list[CloudPcRightSizing], str | None]:
    """A page of the tenant's provisioned Cloud PCs, by name, each with its class, recommended plan and evidence.
    On windows365 no VM is the tenant's to read: the backend's own verdict (Windows 365's recommendation report)
    sizes them, and one it has not judged yet is classed by its connections."""
    now = ports.clock()
    provisioned = sorted(
        (
            c
            for c in ports.cloud_pcs.list_all_cloud_pcs(tenant.id)
            if c.status in PROVISIONED and c.service_plan_id in SERVICE_PLANS_BY_ID
        ),
        key=lambda c: (c.display_name.casefold(), c.id),
    )
    page, next_token = ports.pages.page(provisioned, top=top, skip_token=skip_token)
    verdicts = ports.backends.of_tenant(tenant).size_recommendations(ports, tenant.id, page) if page else {}
    metered = [vm for vm in map(_metered, page) if vm]
    usage: dict[str, VmUsage] = {}
    if metered:
        try:
            usage = ports.metrics.usage(tenant.id, metered, now - WINDOW, now)
        except CloudError as exc:  # throttled or failing: ask again shortly; refused: the onboarding report's role
            if exc.transient:
                raise Unavailable(
                    f"Azure Monitor could not be read ({exc.code}): {exc}", code="azureUnavailable"
                ) from exc
            raise Conflict(
                f"The app cannot read the Cloud PCs' metrics ({exc.code}): {exc}", code="azureNotReadable"
            ) from exc
    return [
        classify(
            c,
            SERVICE_PLANS_BY_ID[c.service_plan_id],
            now,
            usage=usage.get((c.virtual_machine_id or "").lower()),
            recommendation=verdicts.get(c.id),
        )
        for c in page
    ], next_token
