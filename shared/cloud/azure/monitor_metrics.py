"""Cloud PC VMs' CPU and free memory from Azure Monitor's metrics batch API, read with the tenant's identity.

The batch API (https://learn.microsoft.com/azure/azure-monitor/metrics/migrate-to-batch-api, REST reference "Metrics
Batch - Batch") takes up to 50 resource ids a call, all of one subscription and of the region whose endpoint is
called, and needs Microsoft.Insights/metrics/read on each. The SDK (azure-monitor-querymetrics' MetricsClient) names
no resource in a result: each metric's id is its resource's id followed by `/providers/Microsoft.Insights/metrics/..`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from azure.monitor.querymetrics import MetricsClient

from shared.cloud.azure.arm_clients import CurrentCredential, TenantCredentials
from shared.cloud.azure.arm_ids import parse_id
from shared.cloud.azure.arm_inventory import reading_azure
from shared.cloud.azure.transport import ARM_PATIENCE, close_all, http_transport
from shared.ports.vm_metrics import MeteredVm, VmUsage

NAMESPACE = "Microsoft.Compute/virtualMachines"
CPU, MEMORY = "Percentage CPU", "Available Memory Bytes"  # Microsoft.Compute/virtualMachines' platform metrics
BATCH_SIZE = 50  # resource ids per call, the batch API's limit
INTERVAL = timedelta(hours=1)  # an hour's average: a working hour is what a user feels, a minute is a spike
METRIC_ID = "/providers/microsoft.insights/metrics/"


def batches(vms: Iterable[MeteredVm]) -> list[tuple[str, list[str]]]:
    """(region, up to BATCH_SIZE ids of one subscription in it) for each call the batch API takes."""

    def placed(vm: MeteredVm) -> tuple[str, str]:
        return vm.region.lower(), parse_id(vm.resource_id).get("subscriptions", "").lower()

    found: list[tuple[str, list[str]]] = []
    for (region, _), group in groupby(sorted(vms, key=placed), key=placed):
        ids = [vm.resource_id for vm in group]
        found.extend((region, ids[start : start + BATCH_SIZE]) for start in range(0, len(ids), BATCH_SIZE))
    return found


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: a value the VM had, never one between two."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def usage_of(resource_id: str, series: dict[str, list[Any]]) -> VmUsage:
    """A VM's figures from its hourly points per metric (each with average, minimum and maximum, or none: no data)."""
    cpu = [p for p in series.get(CPU, []) if p.average is not None]
    memory = [p for p in series.get(MEMORY, []) if p.average is not None]
    return VmUsage(
        resource_id=resource_id,
        hours_with_data=max(len(cpu), len(memory)),
        cpu_average_percent=sum(p.average for p in cpu) / len(cpu) if cpu else None,
        cpu_p95_percent=percentile([p.average for p in cpu], 0.95) if cpu else None,
        cpu_maximum_percent=max(p.maximum if p.maximum is not None else p.average for p in cpu) if cpu else None,
        memory_available_average_bytes=sum(p.average for p in memory) / len(memory) if memory else None,
        memory_available_p05_bytes=percentile([p.average for p in memory], 0.05) if memory else None,
        memory_available_minimum_bytes=(
            min(p.minimum if p.minimum is not None else p.average for p in memory) if memory else None
        ),
    )


class AzureVmMetrics:
    """One MetricsClient per (tenant, region): the endpoint is regional, the credential the tenant's."""

    def __init__(self, credentials: TenantCredentials, endpoint_template: str) -> None:
        self._credentials, self._template = credentials, endpoint_template
        self._clients: dict[tuple[str, str], MetricsClient] = {}
        self._lock = threading.Lock()

    def usage(self, tenant_id: str, vms: Sequence[MeteredVm], start: datetime, end: datetime) -> dict[str, VmUsage]:
        found: dict[str, VmUsage] = {}
        for region, ids in batches(vms):
            with reading_azure():
                results = self._client(tenant_id, region).query_resources(
                    resource_ids=ids,
                    metric_namespace=NAMESPACE,
                    metric_names=[CPU, MEMORY],
                    timespan=(start, end),
                    granularity=INTERVAL,
                    aggregations=["Average", "Minimum", "Maximum"],
                )
            for result in results:
                series = {m.name: [p for t in m.timeseries for p in t.data] for m in result.metrics}
                resource_id = next((m.id.lower().split(METRIC_ID)[0] for m in result.metrics if m.id), None)
                if resource_id and any(p.average is not None for points in series.values() for p in points):
                    found[resource_id] = usage_of(resource_id, series)
        return found

    def _client(self, tenant_id: str, region: str) -> MetricsClient:
        with self._lock:
            client = self._clients.get((tenant_id, region))
            if client is None:
                client = MetricsClient(
                    self._template.replace("{region}", region),
                    CurrentCredential(self._credentials, tenant_id),
                    transport=http_transport(ARM_PATIENCE),
                    **ARM_PATIENCE.retry_options(),
                )
                self._clients[(tenant_id, region)] = client
            return client

    def close(self) -> None:
        close_all(self._lock, self._clients)
