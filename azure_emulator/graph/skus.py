"""The license SKUs every emulated tenant has bought, and how many units of each: Graph's `subscribedSkus`.

The SKUs are the Windows 365 Enterprise sizes and one suite that is not one; their skuIds are the emulator's own
stable GUIDs (uuid5 of the part number), and the app's catalog carries the same `skuId`/`skuPartNumber` per
service plan. Each tenant starts with `DEFAULT_UNITS` enabled units of every SKU; the control
`PUT /emulator/tenants/{tid}/skus/{skuId}` `{"units": N}` sets a tenant's (`GET` reads them with the consumed
count). A unit is consumed by each user holding the SKU, and `assignLicense` takes only a free one.

Store kinds: `graph.skuUnits` `{tid}/{skuId}` -> `{enabledUnits}` once a control set them; `graph.skuUsage`
`{tid}` -> `{skuId: consumed units}`, a counter kept as licenses come and go, so nothing scans every user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from azure_emulator.graph.common import GraphRoutes, odata_context
from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.store import Store

DEFAULT_UNITS = 10_000  # generous: a tenant runs out only when a test or an admin says so
SKU_UNITS, USAGE = "graph.skuUnits", "graph.skuUsage"


@dataclass(frozen=True)
class Sku:
    sku_id: str
    part_number: str
    service_plan_id: str  # the SKU's one service plan (a Windows 365 SKU grants one Cloud PC size)
    service_plan_name: str


def _w365(sku_id: str, part_number: str, plan_id: str) -> Sku:
    return Sku(sku_id, part_number, plan_id, part_number)


SKUS: tuple[Sku, ...] = (
    _w365("b027334d-2bb3-5447-890d-d8e101a47595", "CPC_E_2C_4GB_64GB", "b60b2a79-c59b-58e2-b493-95df53df32cf"),
    _w365("aab101a2-6d7a-5f41-b4e9-b0b1d57fe423", "CPC_E_2C_4GB_128GB", "f7a1937f-b6ec-5fae-b6c1-a4d246537ec9"),
    _w365("147f5285-4508-5b41-a129-4a5821bf4c92", "CPC_E_2C_4GB_256GB", "f2f7a23e-906a-57fa-b881-7ccb838f8310"),
    _w365("a8efd46e-6ebd-5af6-81b0-8193876bd14f", "CPC_E_2C_8GB_128GB", "2860a8f0-f640-590f-aa01-d1362a39d655"),
    _w365("ff0c0ca3-8af7-5883-be97-a5ffa7d4a5a7", "CPC_E_2C_8GB_256GB", "d90b72e9-7565-541a-be46-ac790c273730"),
    _w365("aa8a288d-82b0-5c40-8823-cab73a51902b", "CPC_E_4C_16GB_128GB", "fa4c79c0-61da-5060-96f8-7ac13ed99067"),
    _w365("44f6ff1b-e817-5c07-ab8f-14036c62e4bf", "CPC_E_4C_16GB_256GB", "d891970a-4fb4-5e60-ac6e-44084897b482"),
    _w365("06423764-c36e-5978-b556-e558fe55493f", "CPC_E_4C_16GB_512GB", "a99cf147-e6d9-532e-ac89-a1abdec5e522"),
    _w365("2a0f8817-ad9d-549c-a608-5adbbb53f67b", "CPC_E_8C_32GB_128GB", "ecbcee48-1a30-5fd1-b323-23bcda5a498f"),
    _w365("0dbeb3ef-a61f-58c0-960a-4b82f06a18f3", "CPC_E_8C_32GB_256GB", "a0ed6f60-4091-5eb1-b47b-0639cc93ea5c"),
    _w365("2968e9dd-bfb0-5509-b40e-273360d75f74", "CPC_E_8C_32GB_512GB", "ab791497-2287-5a36-97d6-26aed4203afe"),
    _w365("26c96d14-d099-5f76-be32-9df4e4eb9b68", "CPC_E_16C_64GB_512GB", "54daa90a-ff76-5e59-845c-91d74c6793d9"),
    _w365("a2e8ade2-d104-5520-9f42-04f216c7f6ce", "CPC_E_16C_64GB_1024GB", "ba12cb7a-1927-5306-b7ac-fd0b6054e271"),
    # a license that grants no Cloud PC, so clients must pick the Windows 365 SKUs out of a user's licenses
    Sku("08e1a0dc-74e6-5d95-af1f-3d5a95a32582", "SPE_E3", "a7fd927b-f2b0-527d-95f2-e9374de2934f", "M365_E3_SUITE"),
)
SKUS_BY_ID = {sku.sku_id: sku for sku in SKUS}


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
        return Response(200, {"tenantId": tid, "skuId": sku.sku_id, "skuPartNumber": sku.part_number,
                              "units": enabled_units(store, tid, sku.sku_id),
                              "consumedUnits": consumed_units(store, tid).get(sku.sku_id, 0)})  # fmt: skip

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
