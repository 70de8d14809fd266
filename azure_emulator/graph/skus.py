"""The license SKUs every emulated tenant has bought, and how many units of each: Graph's `subscribedSkus`.

The SKUs are Microsoft's Windows 365 SKUs (Enterprise, Business, Shared Use) with their published skuIds and
one suite that grants no Cloud PC. Each tenant starts with `DEFAULT_UNITS` enabled units of every SKU; the control
`PUT /emulator/tenants/{tid}/skus/{skuId}` `{"units": N}` sets a tenant's (`GET` reads them with the consumed
count). A unit is consumed by each user holding the SKU, and `assignLicense` takes only a free one.

Store kinds: `graph.skuUnits` `{tid}/{skuId}` -> `{enabledUnits}` once a control set them; `graph.skuUsage`
`{tid}` -> `{skuId: consumed units}`, a counter kept as licenses come and go, so nothing scans every user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from azure_emulator.graph.common import GraphRoutes, odata_context
from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.store import Store

DEFAULT_UNITS = 10_000  # generous: a tenant runs out only when a test or an admin says so
SKU_UNITS, USAGE = "graph.skuUnits", "graph.skuUsage"


ENTERPRISE_SIZE = re.compile(r"^CPC_E_(\d+)C_(\d+)GB_(\d+)GB$")  # an Enterprise plan's size in its part number


@dataclass(frozen=True)
class Sku:
    sku_id: str
    part_number: str
    service_plan_id: str  # the SKU's one service plan (a Windows 365 SKU grants one Cloud PC size)
    service_plan_name: str

    @property
    def enterprise_size(self) -> tuple[int, int, int] | None:
        """(vCPUs, RAM GB, disk GB) of a Windows 365 Enterprise SKU; None for any other."""
        match = ENTERPRISE_SIZE.match(self.part_number)
        return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


# Microsoft's published Windows 365 SKUs ("Product names and service plan identifiers for licensing", Entra ID
# documentation).
PUBLISHED = Path(__file__).with_name("windows365_skus.tsv")  # skuId, skuPartNumber, the one service plan's id, name
SKUS: tuple[Sku, ...] = (
    *(Sku(*line.split("\t")) for line in PUBLISHED.read_text().splitlines()[1:]),
    # a license that grants no Cloud PC (Microsoft 365 E3; one of its plans), so clients must pick the Windows 365
    # SKUs out of a user's licenses
    Sku(
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "SPE_E3",
        "efb87545-963c-4e0d-99df-69c6916d9eb0",
        "EXCHANGE_S_ENTERPRISE",
    ),
)
# skuIds this emulator handed out before it carried Microsoft's (a saved state may hold them): read as the same SKU
LEGACY_SKU_IDS = {
    "b027334d-2bb3-5447-890d-d8e101a47595": "7bb14422-3b90-4389-a7be-f1b745fc037f",
    "aab101a2-6d7a-5f41-b4e9-b0b1d57fe423": "226ca751-f0a4-4232-9be5-73c02a92555e",
    "147f5285-4508-5b41-a129-4a5821bf4c92": "5265a84e-8def-4fa2-ab4b-5dc278df5025",
    "a8efd46e-6ebd-5af6-81b0-8193876bd14f": "e2aebe6c-897d-480f-9d62-fff1381581f7",
    "ff0c0ca3-8af7-5883-be97-a5ffa7d4a5a7": "1c79494f-e170-431f-a409-428f6053fa35",
    "aa8a288d-82b0-5c40-8823-cab73a51902b": "d201f153-d3b2-4057-be2f-fe25c8983e6f",
    "44f6ff1b-e817-5c07-ab8f-14036c62e4bf": "96d2951e-cb42-4481-9d6d-cad3baac177e",
    "06423764-c36e-5978-b556-e558fe55493f": "0da63026-e422-4390-89e8-b14520d7e699",
    "2a0f8817-ad9d-549c-a608-5adbbb53f67b": "c97d00e4-0c4c-4ec2-a016-9448c65de986",
    "0dbeb3ef-a61f-58c0-960a-4b82f06a18f3": "7818ca3e-73c8-4e49-bc34-1276a2d27918",
    "2968e9dd-bfb0-5509-b40e-273360d75f74": "9fb0ba5f-4825-4e84-b239-5167a3a5d4dc",
}
# the Exchange Online service plans of the SKUs above: a user holding one of them, not disabled, has an Exchange Online
# mailbox (mailboxes.py). Microsoft's "Product names and service plan identifiers for licensing"
# (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference) lists EXCHANGE_S_ENTERPRISE
# (Exchange Online Plan 2) in Microsoft 365 E3; no Windows 365 SKU carries an Exchange plan.
EXCHANGE_ONLINE_PLANS = frozenset({"efb87545-963c-4e0d-99df-69c6916d9eb0"})
SKUS_BY_ID = {sku.sku_id: sku for sku in SKUS} | {
    old: next(sku for sku in SKUS if sku.sku_id == new) for old, new in LEGACY_SKU_IDS.items()
}


def service_plans(sku: Sku) -> list[dict[str, str]]:
    return [
        {
            "servicePlanId": sku.service_plan_id,
            "servicePlanName": sku.service_plan_name,
            "provisioningStatus": "Success",
            "appliesTo": "User",
        }
    ]


def enabled_units(store: Store, tid: str, sku_id: str) -> int:
    override = store.get(SKU_UNITS, f"{tid}/{sku_id}")
    return int(override["enabledUnits"]) if override else DEFAULT_UNITS


def consumed_units(store: Store, tid: str) -> dict[str, int]:
    return {sku_id: int(n) for sku_id, n in (store.get(USAGE, tid) or {}).items()}


def free_units(store: Store, tid: str, sku_id: str) -> int:
    """Units enabled that no user holds: what `assignLicense` may still hand out."""
    return enabled_units(store, tid, sku_id) - consumed_units(store, tid).get(sku_id, 0)


def count_usage(store: Store, tid: str, added: Iterable[str], removed: Iterable[str]) -> None:
    """Keep the tenant's consumed units as users gain and lose SKUs; in the caller's transaction."""
    counts = consumed_units(store, tid)
    for sku_id in added:
        counts[sku_id] = counts.get(sku_id, 0) + 1
    for sku_id in removed:
        counts[sku_id] = max(0, counts.get(sku_id, 0) - 1)
    store.put(USAGE, tid, counts)


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    @routes.route("GET", r"/subscribedSkus", "listSubscribedSkus")
    def subscribed_skus(request: Request) -> Response:
        tid = request.tenant
        used = consumed_units(store, tid)
        value = [
            {
                "accountId": tid,
                "accountName": "emulated",
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": used.get(sku.sku_id, 0),
                "id": f"{tid}_{sku.sku_id}",
                "prepaidUnits": {
                    "enabled": enabled_units(store, tid, sku.sku_id),
                    "suspended": 0,
                    "warning": 0,
                    "lockedOut": 0,
                },
                "servicePlans": service_plans(sku),
                "skuId": sku.sku_id,
                "skuPartNumber": sku.part_number,
                "subscriptionIds": [],
            }
            for sku in SKUS
        ]
        return Response(200, {"@odata.context": odata_context(request, "subscribedSkus"), "value": value})

    units = r"/emulator/tenants/(?P<tid>[^/]+)/skus/(?P<sku>[^/]+)"

    def answer(tid: str, sku: Sku) -> Response:
        return Response(
            200,
            {
                "tenantId": tid,
                "skuId": sku.sku_id,
                "skuPartNumber": sku.part_number,
                "units": enabled_units(store, tid, sku.sku_id),
                "consumedUnits": consumed_units(store, tid).get(sku.sku_id, 0),
            },
        )

    def known(request: Request) -> Sku:
        sku = SKUS_BY_ID.get(request.params["sku"].lower())
        if sku is None:
            raise ApiError(404, "NotFound", f"No SKU {request.params['sku']}; subscribedSkus lists the SKUs.")
        return sku

    @ctx.router.route("PUT", units, operation="emulatorControl", api="emulator", auth=False)
    def set_units(request: Request) -> Response:
        body = request.json()
        sku, count = known(request), body.get("units") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ApiError(400, "InvalidRequestContent", "'units' must be a whole number >= 0.")
        store.put(SKU_UNITS, f"{request.params['tid']}/{sku.sku_id}", {"enabledUnits": count})
        return answer(request.params["tid"], sku)

    @ctx.router.route("GET", units, operation="emulatorControl", api="emulator", auth=False)
    def get_units(request: Request) -> Response:
        return answer(request.params["tid"], known(request))
