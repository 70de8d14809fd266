"""The reclaim rule end to end on the azure backend: Ann and Bob hold the plan's two licenses and have Cloud PCs, Cat
is in the same group and waits for one. Bob connects (the emulator's session control) and the use watch, given a day
three weeks on, keeps when; Ann never does. The rule's run, given later times in-process on the app's own tables,
Graph and Azure (no test waits days), announces Ann's Cloud PC at 30 days unused, puts it in its grace period 14 days
later with her directly assigned license freed; Cat, given that license, waits for Ann's grace period, which the admin
ends; Cat's Cloud PC is then provisioned, and Bob's is untouched."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from shared.bootstrap import Services
from shared.services.cloud_pcs.cloud_pc_sleep import watch_use
from shared.services.cloud_pcs.reclaim import Action, reclaim_unused
from tests.e2e.test_cloud_pc_brokering import connect
from tests.e2e.test_lifecycle import status_becomes
from tests.e2e.test_provisioning import PLAN, assign, cloud_pcs, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

RULE = {"enabled": True, "unusedDays": 30, "noticeDays": 14, "emailUser": False}
NOTHING = {"announce": 0, "cancel": 0, "reclaim": 0, "restore": 0}


def names(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> list[str]:
    return [e["name"] for e in api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]]


def test_an_unused_cloud_pc_is_reclaimed_and_its_license_goes_to_the_waiting_user(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.user("bob", [PLAN])
    tenant.graph.set_enabled_units(PLAN, 2)  # none left for Cat
    tenant.group("pilot", ["ann", "bob", "cat"])
    assign(api, tenant, tenant.policy(), "pilot")
    ann, bob = sorted(settled_cloud_pcs(api, tenant, 2), key=lambda c: tenant.name_of(c["userId"]))
    assert (ann["status"], bob["status"]) == ("provisioned", "provisioned")
    start = datetime.fromisoformat(max(ann["provisionedDateTime"], bob["provisionedDateTime"]))
    saved = api.patch(tenant.path, {"reclaim": RULE})
    assert saved.status_code == 200, saved.text

    engine = app_services.engine

    def run(at: datetime) -> dict[Action, int]:
        return reclaim_unused(dataclasses.replace(engine, clock=lambda: at), app_services.admin.tenants.get_tenant(
            tenant.id))  # fmt: skip

    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    connect(tenant, pool["id"], bob["userPrincipalName"])
    watch_use(engine, tenant.id, start + timedelta(days=21))  # the watch, three weeks on, sees Bob connected
    assert api.get(f"{tenant.path}/cloudPCs/{bob['id']}").json()["lastConnectedDateTime"] is not None

    assert run(start + timedelta(days=29)) == NOTHING
    at = start + timedelta(days=30, hours=1)
    assert run(at) == {**NOTHING, "announce": 1}
    assert run(at) == NOTHING  # the same hour again changes nothing
    announced = api.get(f"{tenant.path}/cloudPCs/{ann['id']}").json()
    assert datetime.fromisoformat(announced["reclaimAnnouncedDateTime"]) == at
    assert names(api, tenant, ann).count("reclaimAnnounced") == 1

    assert run(at + timedelta(days=14)) == {**NOTHING, "reclaim": 1}
    assert run(at + timedelta(days=14)) == NOTHING
    graced = api.get(f"{tenant.path}/cloudPCs/{ann['id']}").json()
    assert graced["status"] == "inGracePeriod"
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == []  # freed for the next user

    tenant.user("cat", [PLAN])  # the admin gives Cat the freed license

    def cat_waits() -> dict[str, Any]:
        found = cloud_pcs(api, tenant, f"&userId={tenant.uid('cat')}")
        assert len(found) == 1, found
        cats = found[0]
        assert cats["status"] == "pendingProvision", cats
        assert (cats["statusDetail"] or {}).get("code") == "waitingForLicense", cats
        return cats

    cats = eventually(cat_waits)
    assert api.get(f"{tenant.path}/cloudPCs/{ann['id']}").json()["status"] == "inGracePeriod"  # not restored
    assert api.post(f"{tenant.path}/cloudPCs/{ann['id']}/endGracePeriod").status_code == 202
    status_becomes(api, tenant, cats["id"], "provisioned")
    assert api.get(f"{tenant.path}/cloudPCs/{ann['id']}").status_code == 404
    assert cloud_pcs(api, tenant, f"&userId={tenant.uid('ann')}") == []  # no new one for Ann
    kept = api.get(f"{tenant.path}/cloudPCs/{bob['id']}").json()
    assert (kept["status"], kept.get("reclaimAnnouncedDateTime")) == ("provisioned", None)
    assert "reclaimAnnounced" not in names(api, tenant, bob)
