"""A tenant's misbehaving webhook receivers hold up no one: while receivers that answer 200 and then trickle their body,
or send a body without end, take one tenant's notices, another tenant's Cloud PC reboots and a new member of its group
gets a Cloud PC as usual; each bad notice then ends failed, saying why."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from shared.bootstrap import Services
from shared.cloud.azure.alert_notices import WEBHOOK_BODY_CAP, WEBHOOK_DEADLINE_S
from shared.models.cloud_pcs import CloudPc
from tests.e2e.test_alerts import SECRET, run_evaluation
from tests.e2e.test_cloud_pc_actions import act, line_appears
from tests.e2e.test_lifecycle import one_cloud_pc
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.webhook_receiver import WebhookReceiver
from tests.utils.wizard import Tenant, emulator_from_environment

EACH = 4  # receivers of each kind: with both kinds, more than a worker's default pool of threads on a small machine


def in_grace(tenant_id: str, now: Any) -> CloudPc:
    return CloudPc(
        id="cpc-ann",
        tenant_id=tenant_id,
        display_name="Finance - ann",
        user_id="ann",
        user_principal_name="ann@contoso.com",
        service_plan_id="p",
        service_plan_name="P",
        provisioning_policy_id="finance",
        provisioning_policy_name="Finance",
        status="inGracePeriod",
        grace_period_end_date_time=now + timedelta(hours=2),
        created_date_time=now,
        last_modified_date_time=now,
    )


def test_trickling_and_endless_receivers_of_one_tenant_hold_up_no_other_tenants_work(
    api: ApiClient, app_services: Services
) -> None:
    emulator = emulator_from_environment()
    other = Tenant(api)
    cloud_pc = one_cloud_pc(api, other)
    tenant_id = api.created("/tenants", {"displayName": f"Slow hooks {uuid.uuid4().hex[:6]}"})["id"]
    with WebhookReceiver.of(emulator) as trickling, WebhookReceiver.of(emulator) as endless:
        trickling.answer(*[200] * 10 * EACH, flow="trickle")  # every notice it is sent, retries included
        endless.answer(*[200] * 10 * EACH, flow="endless")
        channels = [{"kind": "webhook", "url": trickling.url(f"/slow/{i}"), "secret": SECRET} for i in range(EACH)]
        channels += [{"kind": "webhook", "url": endless.url(f"/endless/{i}"), "secret": SECRET} for i in range(EACH)]
        api.created(
            f"/tenants/{tenant_id}/alertRules",
            {
                "displayName": "Grace ending",
                "kind": "graceEndingSoon",
                "threshold": 24,
                "severity": "critical",
                "channels": channels,
            },
        )
        app_services.alerts.cloud_pcs.upsert_cloud_pc(in_grace(tenant_id, app_services.alerts.clock()))
        run_evaluation(api)

        def trickled() -> None:  # every trickling receiver has its notice, and is answering it slowly
            assert len(trickling.requests) >= EACH, [r.path for r in trickling.requests]

        eventually(trickled)
        reply = act(api, other, cloud_pc, "reboot")
        assert reply.status_code == 202, reply.text
        assert line_appears(api, other, cloud_pc, "rebooted")["outcome"] == "succeeded"
        other.user("bob", [PLAN])
        other.group("pilot", ["ann", "bob"])
        after = settled_cloud_pcs(api, other, 2)
        assert {other.name_of(c["userId"]) for c in after} == {"ann", "bob"}
        assert {c["status"] for c in after} == {"provisioned"}

        def given_up() -> list[dict[str, Any]]:
            [alert] = api.get(f"/tenants/{tenant_id}/alerts").json()["value"]
            rows = sorted(alert["deliveries"], key=lambda d: d["channel"])
            assert [d["status"] for d in rows] == ["failed"] * 2 * EACH, rows
            return list(rows)

        rows = eventually(given_up, timeout_s=180)
    for row in rows[:EACH]:
        assert f"did not finish its answer within {WEBHOOK_DEADLINE_S:g} s" in row["lastError"], row
    for row in rows[EACH:]:
        assert f"over {WEBHOOK_BODY_CAP} bytes" in row["lastError"], row
