"""The reclaim rule end to end on the azure backend: Ann, Bob and Dan hold the plan's three licenses directly and have
Cloud PCs; Cat, in the same group, waits for one: the licensing group that assigns her the plan found no free unit
(CountViolation). Bob connects (the emulator's session control) and the use watch, given a day three weeks on, keeps
when; Ann and Dan do not. The rule's run, given later times in-process on the app's own tables, Graph and Azure (no
test waits days), announces Ann's and Dan's Cloud PCs at 30 days unused; Dan then connects, and the next run cancels
his. 14 days after the announcement Ann's enters its grace period with her directly assigned license freed and handed
to Cat: Entra's group license for her is reprocessed, nobody assigns it. Cat's Cloud PC waits for Ann's grace period,
which the admin ends, and is then provisioned; Bob's and Dan's are untouched. The onboarding report asks for the
permission the hand-on needs once the rule is on."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from shared.bootstrap import Services
from shared.services.cloud_pcs.cloud_pc_sleep import watch_use
from shared.services.cloud_pcs.reclaim import Action, reclaim_unused
from tests.e2e.test_audit_log import audit_log
from tests.e2e.test_cloud_pc_brokering import connect
from tests.e2e.test_lifecycle import status_becomes
from tests.e2e.test_provisioning import PLAN, assign, cloud_pcs, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.onboarding import report
from tests.utils.wizard import CLOUD_PC_RG, Tenant

RULE = {"enabled": True, "unusedDays": 30, "noticeDays": 14, "emailUser": False}
NOTHING = {"announce": 0, "cancel": 0, "reclaim": 0, "restore": 0}
HAND_ON = "User.ReadWrite.All"  # Graph's reprocessLicenseAssignment


def events(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"])


def names(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> list[str]:
    return [e["name"] for e in events(api, tenant, cloud_pc)]


def test_an_unused_cloud_pc_is_reclaimed_and_its_license_goes_to_the_waiting_user(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    for name in ("ann", "bob", "dan"):
        tenant.user(name, [PLAN])
    tenant.graph.set_enabled_units(PLAN, 3)  # none left for Cat
    tenant.group("pilot", ["ann", "bob", "cat", "dan"])
    licensing = tenant.group("w365-licensing", ["cat"])
    tenant.graph.assign_group_licenses(licensing, PLAN)
    [waiting] = tenant.graph.license_states(tenant.uid("cat"))
    assert (waiting["assignedByGroup"], waiting["state"], waiting["error"]) == (licensing, "Error", "CountViolation")
    assign(api, tenant, tenant.policy(), "pilot")
    ann, bob, dan = sorted(settled_cloud_pcs(api, tenant, 3), key=lambda c: tenant.name_of(c["userId"]))
    assert {c["status"] for c in (ann, bob, dan)} == {"provisioned"}
    start = datetime.fromisoformat(max(c["provisionedDateTime"] for c in (ann, bob, dan)))
    assert HAND_ON not in {item["name"] for item in report(api, tenant.path)["items"]}
    saved = api.patch(tenant.path, {"reclaim": RULE})
    assert saved.status_code == 200, saved.text
    # the rule hands freed licenses on: the report asks for the permission that takes, and the admin grants it
    asked = {item["name"]: item for item in report(api, tenant.path)["items"]}
    assert "next user in line" in asked[HAND_ON]["reason"]
    assert tenant.onboard()["ready"]

    engine = app_services.engine

    def run(at: datetime) -> dict[Action, int]:
        return reclaim_unused(
            dataclasses.replace(engine, clock=lambda: at), app_services.admin.tenants.get_tenant(tenant.id)
        )

    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    connect(tenant, pool["id"], bob["userPrincipalName"])
    watch_use(engine, tenant.id, start + timedelta(days=21))  # the watch, three weeks on, sees Bob connected
    assert api.get(f"{tenant.path}/cloudPCs/{bob['id']}").json()["lastConnectedDateTime"] is not None

    assert run(start + timedelta(days=29)) == NOTHING
    at = start + timedelta(days=30, hours=1)
    assert run(at) == {**NOTHING, "announce": 2}  # Ann's and Dan's
    assert run(at) == NOTHING  # the same hour again changes nothing
    announced = api.get(f"{tenant.path}/cloudPCs/{ann['id']}").json()
    assert datetime.fromisoformat(announced["reclaimAnnouncedDateTime"]) == at
    assert names(api, tenant, ann).count("reclaimAnnounced") == 1

    # Dan connects after the announcement; the watch sees it a day later, and the next run keeps his Cloud PC
    connect(tenant, pool["id"], dan["userPrincipalName"])
    watch_use(engine, tenant.id, at + timedelta(days=1))
    assert run(at + timedelta(days=2)) == {**NOTHING, "cancel": 1}
    assert names(api, tenant, dan).count("reclaimCancelled") == 1

    assert run(at + timedelta(days=14)) == {**NOTHING, "reclaim": 1}  # Ann's only
    assert run(at + timedelta(days=14)) == NOTHING
    graced = api.get(f"{tenant.path}/cloudPCs/{ann['id']}").json()
    assert graced["status"] == "inGracePeriod"
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == []  # freed
    # ... and handed on: nobody assigned Cat a license, Entra applied her group's on the unit Ann's freed
    assert tenant.graph.licensed_plans(tenant.uid("cat")) == [PLAN]
    [active] = tenant.graph.license_states(tenant.uid("cat"))
    assert (active["assignedByGroup"], active["state"]) == (licensing, "Active")
    cat_upn = tenant.graph.user(tenant.uid("cat"))["userPrincipalName"]
    went = f"its license went to {cat_upn}: Entra's group license for them is reprocessed"
    [started] = [e["message"] for e in events(api, tenant, ann) if e["name"] == "gracePeriodStarted"]
    assert went in started
    [audited] = [e for e in audit_log(api, tenant) if e["activity"] == "reclaimCloudPc"]
    assert audited["resourceId"] == ann["id"] and any(went in str(c["newValue"]) for c in audited["changes"])

    def cat_waits() -> dict[str, Any]:  # Graph's change notification of Cat's license brought her in
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
    used = api.get(f"{tenant.path}/cloudPCs/{dan['id']}").json()
    assert (used["status"], used.get("reclaimAnnouncedDateTime")) == ("provisioned", None)
    assert "gracePeriodStarted" not in names(api, tenant, dan)
    assert tenant.graph.licensed_plans(tenant.uid("dan")) == [PLAN]
