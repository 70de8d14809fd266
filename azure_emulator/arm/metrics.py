"""Azure Monitor's metrics batch API for VMs (`Percentage CPU`, `Available Memory Bytes`), served from a profile per VM.

`POST /metrics/{region}/subscriptions/{sub}/metrics:getBatch` stands for `https://{region}.metrics.monitor.azure.com/
subscriptions/{sub}/metrics:getBatch` (the app's METRICS_ENDPOINT), with the query Microsoft documents
(https://learn.microsoft.com/rest/api/monitor/metrics-batch/batch, and the rules of
https://learn.microsoft.com/azure/azure-monitor/metrics/migrate-to-batch-api):
- `metricnamespace`, `metricnames` (comma-separated), `starttime`, `endtime`, `interval` (an ISO 8601 duration of
  the metric's time grains), `aggregation` (comma-separated) and `api-version`; body `{"resourceids": [...]}`;
- at most 50 resource ids, all in the path's subscription and in the endpoint's region: 400 otherwise;
- a metric name the namespace does not define: 400 naming the valid ones;
- the caller needs `Microsoft.Insights/metrics/read` on every resource (Reader and Monitoring Reader hold it through
  `*/read`): 403 AuthorizationFailed otherwise;
- the answer: `values[]`, one per resource, with `resourceid`, `resourceregion`, `starttime`, `endtime`, `interval`,
  `namespace` and `value[]`, one per metric, with `id` (the resource's id then `/providers/Microsoft.Insights/
  metrics/<name>`), `name.value`, `unit` and `timeseries[].data[]`: one point a grain with `timeStamp` and the asked
  aggregations; a grain without data has its `timeStamp` alone.

What the points say (the emulator has no guest to measure): the profile `PUT /emulator/metrics/<a VM's ARM id>`
`{cpuPercent, availableMemoryBytes}` sets for the VM, flat over the window, while the VM runs; a running VM with no
profile is idle (IDLE_CPU_PERCENT, IDLE_MEMORY_FREE of its size's memory); a grain that ends before the VM was
created, or starts while it was deallocated, stopped or starting (its power log), has no data: Azure Monitor returns
such a grain's point with its timeStamp alone (https://learn.microsoft.com/rest/api/monitor/metrics/list and
azure-rest-api-specs specification/monitor/resource-manager/Microsoft.Insights/stable/2018-01-01/metrics_API.json:
a MetricValue requires only timeStamp, its aggregations absent where the resource emitted nothing).
`DELETE` there takes the profile back. The profile's `timeCreated` (an ISO date and time, not after now) back-dates the
VM's creation, so that a VM the test just made has a past to measure (a control: Azure has no such thing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from azure_emulator.arm import capacity, common, rbac
from azure_emulator.server import ApiError, Context, Request, Response

READ_METRICS = "Microsoft.Insights/metrics/read"
NAMESPACE = "microsoft.compute/virtualmachines"
CPU, MEMORY = "Percentage CPU", "Available Memory Bytes"
UNITS = {CPU: "Percent", MEMORY: "Bytes"}
MAX_RESOURCES = 50
API_VERSIONS = ("2023-10-01", "2024-02-01")
# the time grains Microsoft.Compute/virtualMachines' platform metrics are kept at
GRAINS = {"PT1M": 1, "PT5M": 5, "PT15M": 15, "PT30M": 30, "PT1H": 60, "PT6H": 360, "PT12H": 720, "P1D": 1440}
AGGREGATIONS = ("average", "minimum", "maximum", "total", "count")
IDLE_CPU_PERCENT, IDLE_MEMORY_FREE = 2.0, 0.7  # a Windows desktop nobody uses: the OS's own work, most memory free
PROFILE = "metricsProfile"  # in a VM's meta
VM_ID = r"(?P<vm>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+)"


def _bad(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def _time(request: Request, name: str) -> dt.datetime:
    value = request.q(name)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"'{name}' must be an ISO 8601 date and time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _listed(request: Request, name: str) -> list[str]:
    return [item.strip() for item in (request.q(name) or "").split(",") if item.strip()]


def _point(stamp: dt.datetime, value: float | None, aggregations: list[str]) -> dict[str, Any]:
    point: dict[str, Any] = {"timeStamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if value is None:
        return point
    figures = {"average": value, "minimum": value, "maximum": value, "total": value, "count": 1}
    return point | {name: figures[name] for name in aggregations}


def _ran(vm: common.Doc, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether the VM existed by the grain's end and ran at its start (the last power change before it says)."""
    created = vm["resource"]["properties"].get("timeCreated")
    if created and dt.datetime.fromisoformat(created.replace("Z", "+00:00")) >= end:
        return False
    log = vm["meta"].get("powerLog") or []
    before = [state for stamp, state in log if stamp <= start.timestamp()]
    return bool((before[-1] if before else "running") == "running")


def _levels(vm: common.Doc | None, start: dt.datetime, step: dt.timedelta) -> dict[str, float | None]:
    """What the VM's metrics read in a grain: its profile while it ran, idle without one, nothing when it was off."""
    if vm is None or not _ran(vm, start, start + step):
        return {CPU: None, MEMORY: None}
    size = capacity.sku((vm["resource"]["properties"].get("hardwareProfile") or {}).get("vmSize") or "")
    memory = size.memory_gb * 1024**3 if size else 0.0
    profile = vm["meta"].get(PROFILE) or {}
    return {
        CPU: float(profile.get("cpuPercent", IDLE_CPU_PERCENT)),
        MEMORY: float(profile.get("availableMemoryBytes", memory * IDLE_MEMORY_FREE)),
    }


def register(ctx: Context) -> None:
    r = ctx.router
    rbac.OPERATIONS.add(READ_METRICS)

    @r.route(
        "POST",
        r"/metrics/(?P<region>[^/]+)/subscriptions/(?P<sub>[^/]+)/metrics:getBatch",
        operation="getMetricsBatch",
        api="monitor",
        kind="read",
    )
    def get_batch(request: Request) -> Response:
        if request.q("api-version") not in API_VERSIONS:
            raise _bad(f"api-version must be one of {', '.join(API_VERSIONS)}.")
        if (request.q("metricnamespace") or "").lower() != NAMESPACE:
            raise _bad(f"metricnamespace must be {NAMESPACE}: the only namespace emulated.")
        names = _listed(request, "metricnames")
        unknown = [name for name in names if name.lower() not in (CPU.lower(), MEMORY.lower())]
        if not names or unknown:
            named = ", ".join(unknown) or "(none)"
            raise _bad(
                f"Failed to find metric configuration for provider: Microsoft.Compute, resource Type: "
                f"virtualMachines, metric: {named}, Valid metrics: {CPU}, {MEMORY}"
            )
        names = [CPU if name.lower() == CPU.lower() else MEMORY for name in names]
        aggregations = [a.lower() for a in _listed(request, "aggregation")] or ["average"]
        if any(a not in AGGREGATIONS for a in aggregations):
            raise _bad(f"aggregation must be among {', '.join(AGGREGATIONS)}.")
        grain = GRAINS.get((request.q("interval") or "PT1M").upper())
        if grain is None:
            raise _bad(f"interval must be one of the metrics' time grains: {', '.join(GRAINS)}.")
        start, end = _time(request, "starttime"), _time(request, "endtime")
        if end <= start:
            raise _bad("endtime must be after starttime.")
        ids = (request.json() or {}).get("resourceids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise _bad('The body must be {"resourceids": [...]} with at least one resource id.')
        if len(ids) > MAX_RESOURCES:
            raise _bad(f"At most {MAX_RESOURCES} resource ids may be queried in one batch; {len(ids)} were given.")
        region, sub = request.params["region"].lower(), request.params["sub"].lower()
        with ctx.store.transaction():
            vms = {}
            for resource_id in ids:
                parts = resource_id.strip("/").split("/")
                if len(parts) < 2 or parts[1].lower() != sub:
                    raise _bad(f"{resource_id} is not in subscription {sub}: a batch is one subscription's.")
                vm = common.get(ctx, resource_id)
                if vm is not None and vm["resource"]["location"].lower() != region:
                    raise _bad(
                        f"{resource_id} is in {vm['resource']['location']}, not in {region}: a batch is "
                        "served by its resources' region's endpoint."
                    )
                rbac.authorize(ctx, request, READ_METRICS, resource_id)
                vms[resource_id] = vm
        step = dt.timedelta(minutes=grain)
        first = dt.datetime.fromtimestamp(start.timestamp() // step.total_seconds() * step.total_seconds(), dt.UTC)
        stamps = [first + step * n for n in range(int((end - first) / step)) if first + step * n < end]
        values = []
        for resource_id, vm in vms.items():
            values.append(
                {
                    "starttime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "endtime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "interval": (request.q("interval") or "PT1M").upper(),
                    "namespace": NAMESPACE,
                    "resourceregion": region,
                    "resourceid": resource_id,
                    "value": [
                        {
                            "id": f"{resource_id}/providers/Microsoft.Insights/metrics/{name}",
                            "type": "Microsoft.Insights/metrics",
                            "name": {"value": name, "localizedValue": name},
                            "displayDescription": "",
                            "unit": UNITS[name],
                            "errorCode": "Success",
                            "timeseries": [
                                {
                                    "metadatavalues": [],
                                    "data": [_point(s, _levels(vm, s, step)[name], aggregations) for s in stamps],
                                }
                            ],
                        }
                        for name in names
                    ],
                }
            )
        return Response(200, {"values": values})

    @r.route("PUT", r"/emulator/metrics" + VM_ID, operation="emulatorControl", api="emulator", auth=False)
    def put_profile(request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"cpuPercent", "availableMemoryBytes", "timeCreated"}:
            raise _bad("The body takes cpuPercent (0-100), availableMemoryBytes (0 or more) and timeCreated.")
        made = body.pop("timeCreated", None)
        try:
            made_at = dt.datetime.fromisoformat(str(made).replace("Z", "+00:00")) if made is not None else None
        except ValueError:
            raise _bad("timeCreated must be an ISO 8601 date and time.") from None
        if made_at is not None and (made_at.tzinfo is None or made_at.timestamp() > ctx.clock()):
            raise _bad("timeCreated must be a date and time with its offset, not after now.")
        cpu, memory = body.get("cpuPercent", IDLE_CPU_PERCENT), body.get("availableMemoryBytes")
        if not isinstance(cpu, int | float) or not 0 <= cpu <= 100:
            raise _bad("cpuPercent must be a number from 0 to 100.")
        if memory is not None and (not isinstance(memory, int | float) or memory < 0):
            raise _bad("availableMemoryBytes must be a number of bytes, 0 or more.")
        with ctx.store.transaction():
            vm = common.require(ctx, request.params["vm"], "virtual machine")
            vm["meta"][PROFILE] = {k: v for k, v in body.items() if v is not None}
            if made_at is not None:
                vm["resource"]["properties"]["timeCreated"] = made_at.astimezone(dt.UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ"
                )
            common.put(ctx, vm)
        return Response(200, vm["meta"][PROFILE])

    @r.route("DELETE", r"/emulator/metrics" + VM_ID, operation="emulatorControl", api="emulator", auth=False)
    def delete_profile(request: Request) -> Response:
        with ctx.store.transaction():
            vm = common.require(ctx, request.params["vm"], "virtual machine")
            vm["meta"].pop(PROFILE, None)
            common.put(ctx, vm)
        return Response(204, None)
