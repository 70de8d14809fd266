"""The reclaim rule on fakes with a fake clock over its whole timeline: announced after N days unused, cancelled by a
connection, in its grace period M days later with its license freed and handed to the next user in line (Entra's
group license reprocessed), deprovisioned by the due work at the grace period's end, the license to the next user's
waiting Cloud PC; who is next in line; and every run idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.errors import ValidationFailed
from shared.events import DirectoryEvent
from shared.models.cloud_pc_work import RunToStart
from shared.models.cloud_pcs import CloudPc
from shared.models.tenants import ReclaimRule, Tenant, TenantUpdate
from shared.ports.alerts import SenderStanding
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import DirectoryUser, GroupLicense
from shared.ports.engine_ports import EnginePorts
from shared.services.access.tenants import update_tenant
from shared.services.cloud_pcs import due_sweep
from shared.services.cloud_pcs.reclaim import in_line, plan_reclaim, preview, reclaim_unused
from shared.services.cloud_pcs.reconcile import reconcile_tenant
from tests.fakes import Fakes, seed
from tests.fakes.alerts import FakeNotices
from tests.fakes.cloud import FakeLicenses
from tests.fakes.seed import PLAN, TENANT, policy

GROUP = "g-finance"
LICENSING = "g-licenses"  # a group that assigns the plan's license (Entra group-based licensing)
RULE = ReclaimRule(enabled=True, unused_days=30, notice_days=14, email_user=True, mailbox="it@contoso.com")
NOTHING = {"announce": 0, "cancel": 0, "reclaim": 0, "restore": 0}


def tenant(rule: ReclaimRule = RULE) -> Tenant:
    return Tenant.model_validate(
        {
            "id": TENANT,
            "created_date_time": "2026-01-01T00:00:00Z",
            "last_modified_date_time": "2026-01-01T00:00:00Z",
            "display_name": "Contoso",
            "reclaim": rule.model_dump(),
        }
    )


def arranged() -> tuple[EnginePorts, Fakes, FakeNotices]:
    """Ann and Bob hold the plan's two licenses directly and have provisioned Cloud PCs; Cat, in the same group,
    has no license: the licensing group's found none left (CountViolation)."""
    fakes = Fakes()
    policy(fakes, "finance", GROUP)
    fakes.directory.add_user(TENANT, "ann", PLAN)
    fakes.directory.add_user(TENANT, "bob", PLAN)
    fakes.directory.add_user(TENANT, "cat")
    fakes.directory.add_group(TENANT, GROUP, "ann", "bob", "cat")
    fakes.directory.add_group(TENANT, LICENSING, "cat")
    fakes.directory.inherit_license(TENANT, "cat", PLAN, LICENSING, "CountViolation", fakes.clock())
    fakes.licenses.bought[(TENANT, PLAN)] = 2
    ports = fakes.engine_ports()
    reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP]))
    for cloud_pc in fakes.cloud_pcs.list_all_cloud_pcs(TENANT):
        done = {"status": "provisioned", "provisioned_date_time": fakes.clock()}
        fakes.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update=done))
    return ports, fakes, fakes.notices


def of(fakes: Fakes, user_id: str) -> CloudPc:
    (cloud_pc,) = fakes.cloud_pcs.list_users_cloud_pcs(TENANT, user_id)
    return cloud_pc


def connects(fakes: Fakes, user_id: str) -> None:
    """What the use watch keeps when it sees the user's session."""
    cloud_pc = of(fakes, user_id)
    seen = cloud_pc.model_copy(update={"last_connected_date_time": fakes.clock()})
    fakes.cloud_pcs.merge_cloud_pc(seen, ["last_connected_date_time"])


def lines(fakes: Fakes, cloud_pc_id: str, name: str) -> list[str]:
    return [e.message or "" for e in fakes.cloud_pcs.list_events(TENANT, cloud_pc_id) if e.name == name]


def test_an_unused_cloud_pc_is_announced_reclaimed_and_its_license_goes_to_the_next_user() -> None:
    ports, fakes, mails = arranged()
    ann = of(fakes, "ann")
    fakes.clock.advance(days=20)
    connects(fakes, "bob")
    fakes.clock.advance(days=9, hours=23)
    assert reclaim_unused(ports, tenant()) == NOTHING  # a day short of 30

    fakes.clock.advance(hours=1)
    announced_at = fakes.clock()
    assert reclaim_unused(ports, tenant()) == {**NOTHING, "announce": 1}
    assert of(fakes, "ann").reclaim_announced_date_time == announced_at
    assert of(fakes, "bob").reclaim_announced_date_time is None  # connected ten days ago
    [line] = lines(fakes, ann.id, "reclaimAnnounced")
    assert line.startswith("Not connected to for 30 days: it enters its grace period on ")
    assert line.endswith("; its user was e-mailed from it@contoso.com")
    [(_, sender, to, subject, _)] = mails.mailed
    assert (sender, to, subject) == (
        "it@contoso.com",
        ["ann@contoso.com"],
        f"Your Cloud PC {ann.display_name} will be removed",
    )
    assert reclaim_unused(ports, tenant()) == NOTHING  # the same hour again: nothing more
    assert len(lines(fakes, ann.id, "reclaimAnnounced")) == 1 and len(mails.mailed) == 1

    fakes.clock.advance(days=14)
    assert preview(ports, TENANT, RULE).to_reclaim == 1
    assert reclaim_unused(ports, tenant()) == {**NOTHING, "reclaim": 1}
    graced = of(fakes, "ann")
    assert graced.status == "inGracePeriod" and graced.reclaim_announced_date_time == announced_at
    why = (
        "Not connected to for 44 days: reclaimed by the tenant's rule; its license went to cat@contoso.com: "
        "Entra's group license for them is reprocessed"
    )
    [started] = lines(fakes, ann.id, "gracePeriodStarted")
    assert started.startswith(f"{why}; ends ")
    assert fakes.directory.get_users(TENANT, ["ann"])["ann"].licenses == ()  # directly assigned: freed
    [audited], _ = fakes.audit_log.list_events(TENANT)
    assert (audited.activity, audited.resource_id) == ("reclaimCloudPc", ann.id)
    assert any(c.new_value == why for c in audited.changes)
    # nobody gave Cat a license: Entra applied her group's again, on the unit Ann's freed
    cat = fakes.directory.get_users(TENANT, ["cat"])["cat"]
    assert cat.licenses == (PLAN,) and cat.groups_assigning(PLAN) == [LICENSING]
    assert fakes.script.calls["reprocess_group_licenses"] == 1
    assert reclaim_unused(ports, tenant()) == NOTHING

    # Graph's change notification of Cat's license: her Cloud PC waits while Ann's grace period holds it
    outcome = reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, user_ids=["ann", "cat"]))
    assert outcome.to_provision == [] and outcome.restored == []  # and Ann's is not restored by the targeting
    cats = of(fakes, "cat")
    assert cats.status_detail is not None and cats.status_detail.code == "waitingForLicense"

    fakes.clock.advance(ports.grace_period)
    assert due_sweep.sweep(ports) == 1
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, ann.id) is None
    (freed,) = [e for e in fakes.events.published if e.full]
    assert reconcile_tenant(ports, freed).to_provision == [RunToStart(cats.id, 1)]
    assert fakes.cloud_pcs.list_users_cloud_pcs(TENANT, "ann") == []  # no license: no new Cloud PC for Ann


def test_a_connection_after_the_announcement_cancels_it() -> None:
    ports, fakes, _ = arranged()
    fakes.clock.advance(days=30)
    assert reclaim_unused(ports, tenant())["announce"] == 2
    fakes.clock.advance(days=5)
    connects(fakes, "ann")
    seen = fakes.clock()
    fakes.clock.advance(hours=1)
    assert reclaim_unused(ports, tenant()) == {**NOTHING, "cancel": 1}
    ann = of(fakes, "ann")
    assert ann.reclaim_announced_date_time is None and ann.status == "provisioned"
    assert lines(fakes, ann.id, "reclaimCancelled") == [f"Its user connected at {seen:%Y-%m-%dT%H:%M:%SZ}: it is kept"]
    fakes.clock.advance(days=9)
    assert reclaim_unused(ports, tenant()) == {**NOTHING, "reclaim": 1}  # Bob's, never connected
    assert of(fakes, "ann").status == "provisioned"


def test_a_connection_in_the_grace_period_restores_it_with_its_license() -> None:
    ports, fakes, _ = arranged()
    fakes.clock.advance(days=30)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=14)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=1)
    connects(fakes, "ann")
    assert reclaim_unused(ports, tenant())["restore"] == 1
    ann = of(fakes, "ann")
    assert (ann.status, ann.reclaim_announced_date_time) == ("provisioned", None)
    assert fakes.directory.get_users(TENANT, ["ann"])["ann"].licenses == (PLAN,)
    assert lines(fakes, ann.id, "gracePeriodCancelled")[0].startswith("Its user connected at ")


def test_a_cloud_pc_a_group_licenses_is_left_alone() -> None:
    ports, fakes, _ = arranged()
    fakes.directory.set_licenses(TENANT, "ann")
    fakes.directory.inherit_license(TENANT, "ann", PLAN, "g-licenses")
    fakes.clock.advance(days=31)
    assert preview(ports, TENANT, RULE).to_announce == 1  # Bob's only
    assert reclaim_unused(ports, tenant())["announce"] == 1
    assert of(fakes, "ann").reclaim_announced_date_time is None


def test_a_rule_turned_off_does_nothing_and_a_cloud_pc_not_provisioned_is_not_counted() -> None:
    ports, fakes, _ = arranged()
    fakes.clock.advance(days=100)
    assert reclaim_unused(ports, tenant(RULE.model_copy(update={"enabled": False}))) == NOTHING
    failed = of(fakes, "ann").model_copy(update={"status": "failed"})
    assert [d.action for d in plan_reclaim(RULE, fakes.clock(), [failed, of(fakes, "bob")])] == ["announce"]


@pytest.mark.parametrize(
    ("rule", "field_path"),
    [
        ({"unusedDays": 6}, ("reclaim", "unusedDays")),
        ({"unusedDays": 366}, ("reclaim", "unusedDays")),
        ({"noticeDays": 0}, ("reclaim", "noticeDays")),
        ({"noticeDays": 91}, ("reclaim", "noticeDays")),
        ({"emailUser": True}, ("reclaim", "mailbox")),
        ({"enabled": True, "typo": 1}, ("reclaim", "typo")),
    ],
)
def test_a_bad_rule_is_refused_naming_its_field(rule: dict[str, object], field_path: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        TenantUpdate.model_validate({"reclaim": rule})
    assert [tuple(error["loc"]) for error in refused.value.errors() if error["loc"]] == [field_path]


def test_the_rule_is_off_by_default_and_cleared_by_null() -> None:
    assert tenant().reclaim == RULE
    assert (
        Tenant.model_validate(
            {
                "id": "t",
                "created_date_time": "2026-01-01T00:00:00Z",
                "last_modified_date_time": "2026-01-01T00:00:00Z",
                "display_name": "Contoso",
            }
        ).reclaim
        is None
    )
    assert TenantUpdate.model_validate({"reclaim": None}).model_dump(exclude_unset=True) == {"reclaim": None}
    assert timedelta(days=RULE.unused_days) > timedelta(days=RULE.notice_days)


def test_the_targeting_does_not_restore_a_reclaimed_cloud_pc_only_its_users_connection_does() -> None:
    ports, fakes, _ = arranged()
    fakes.clock.advance(days=30)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=14)
    reclaim_unused(ports, tenant())
    fakes.directory.set_licenses(TENANT, "ann", PLAN)  # licensed again, still in the group
    outcome = reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, user_ids=["ann"]))
    assert outcome.restored == [] and of(fakes, "ann").status == "inGracePeriod"


class RefusingMail(FakeNotices):
    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None:
        raise CloudError("sendMail", "ErrorInvalidUser", "The requested user 'it@contoso.com' is invalid.")


def test_an_e_mail_graph_refuses_leaves_the_announcement_and_says_so_on_the_timeline() -> None:
    _, fakes, _ = arranged()
    ports = fakes.engine_ports(notices=RefusingMail())
    fakes.clock.advance(days=30)
    assert reclaim_unused(ports, tenant())["announce"] == 2
    [line] = lines(fakes, of(fakes, "ann").id, "reclaimAnnounced")
    assert line.endswith(
        "; the e-mail to its user was not sent: No user 'it@contoso.com' in the tenant: e-mail is "
        "sent from a mailbox of its own."
    )
    assert reclaim_unused(ports, tenant()) == NOTHING  # announced once: never e-mailed twice


def waiting(user_id: str, *licenses: GroupLicense) -> DirectoryUser:
    return DirectoryUser(user_id, f"{user_id}@contoso.com", group_licenses=licenses)


def test_next_in_line_are_the_users_a_group_license_of_the_plan_found_no_unit_for_longest_waiting_first() -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    members = [
        waiting("dan", GroupLicense(PLAN, LICENSING, "Error", "CountViolation", day + timedelta(days=2))),
        waiting("eve", GroupLicense(PLAN, LICENSING, "Error", "CountViolation", day)),
        waiting("fay", GroupLicense(PLAN, LICENSING)),  # licensed by the group: not waiting
        waiting("gus", GroupLicense("other-plan", LICENSING, "Error", "CountViolation", day)),  # another SKU
        waiting("hal", GroupLicense(PLAN, LICENSING, "Error", "MutuallyExclusiveViolation", day)),  # not a unit
        waiting("ida", GroupLicense(PLAN, LICENSING, "Error", "CountViolation")),  # no time: last
        waiting("eve", GroupLicense(PLAN, LICENSING, "Error", "CountViolation", day)),  # in two groups: once
    ]
    assert [user.id for user in in_line(members, PLAN)] == ["eve", "dan", "ida"]


def test_the_license_goes_to_the_longest_waiting_member_of_the_policys_groups_one_each() -> None:
    ports, fakes, _ = arranged()
    for user_id, waited in (("dan", 3), ("eve", 2), ("outsider", 9)):
        fakes.directory.add_user(TENANT, user_id)
        fakes.directory.add_members(TENANT, LICENSING, user_id)
        fakes.directory.inherit_license(
            TENANT, user_id, PLAN, LICENSING, "CountViolation", fakes.clock() - timedelta(days=waited)
        )
    fakes.directory.add_members(TENANT, GROUP, "dan", "eve")  # the outsider waits longest, but for no Cloud PC here
    fakes.clock.advance(days=30)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=14)
    assert reclaim_unused(ports, tenant())["reclaim"] == 2  # Ann's and Bob's: two units, two users
    licensed = {
        u.id for u in fakes.directory.get_users(TENANT, ["cat", "dan", "eve", "outsider"]).values() if u.licenses
    }
    assert licensed == {"dan", "eve"}
    went = [
        line.split("; ")[1]
        for c in (of(fakes, "ann"), of(fakes, "bob"))
        for line in lines(fakes, c.id, "gracePeriodStarted")
    ]
    assert sorted(went) == [
        f"its license went to {u}@contoso.com: Entra's group license for them is reprocessed" for u in ("dan", "eve")
    ]


class SlowEntra(FakeLicenses):
    """Entra's reprocessing in the background: the user still shows the error when the call returns."""

    def reprocess_group_licenses(self, tenant_id: str, user_id: str) -> None:
        self.script.enter("reprocess_group_licenses")


def test_a_user_handed_a_license_is_not_handed_another_while_entra_still_applies_it() -> None:
    _, fakes, _ = arranged()
    ports = fakes.engine_ports(licenses=SlowEntra(fakes.script, fakes.directory))
    fakes.clock.advance(days=30)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=14)
    assert reclaim_unused(ports, tenant())["reclaim"] == 2
    went = sorted(
        line.split("; ")[1]
        for c in (of(fakes, "ann"), of(fakes, "bob"))
        for line in lines(fakes, c.id, "gracePeriodStarted")
    )
    assert went == [
        "its license went to cat@contoso.com: Entra's group license for them is reprocessed",
        "its user's license is freed: nobody was waiting for one",
    ]


def test_a_reprocessing_graph_refuses_still_reclaims_and_says_the_license_is_free() -> None:
    ports, fakes, _ = arranged()
    fakes.script.fail("reprocess_group_licenses", None, code="Authorization_RequestDenied", status=403)
    fakes.clock.advance(days=30)
    reclaim_unused(ports, tenant())
    fakes.clock.advance(days=14)
    assert reclaim_unused(ports, tenant())["reclaim"] == 2
    ann = of(fakes, "ann")
    assert ann.status == "inGracePeriod"
    [started] = lines(fakes, ann.id, "gracePeriodStarted")
    assert "; its user's license is freed, but not handed on to the next user in line: " in started
    assert "onboarding" in started  # a refusal for want of a permission says where the fix is


class UnaskableNotices(FakeNotices):
    """A tenant whose Graph cannot be asked yet: not linked, or not consented to."""

    def sender_standing(self, tenant_id: str, mailbox: str) -> SenderStanding:
        raise CloudError("directory", "tenantNotLinked", "Tenant 'contoso' has no entraTenantId.")


def test_the_reclaim_rules_sender_is_checked_when_a_save_names_it_anew() -> None:
    fakes = Fakes()
    ports = fakes.admin_ports()
    seed.tenant(fakes)
    emailing = TenantUpdate.model_validate(
        {"reclaim": {"enabled": True, "emailUser": True, "mailbox": "it@contoso.com"}}
    )
    for standing, code in [
        ("noMailbox", "mailboxNotEnabled"),
        ("policyExcludes", "sendAsDenied"),
        ("noUser", "mailboxNotFound"),
    ]:
        fakes.notices.standings[(TENANT, "it@contoso.com")] = standing  # type: ignore[assignment]
        with pytest.raises(ValidationFailed) as refused:
            update_tenant(ports, TENANT, emailing, if_match=None)
        [detail] = refused.value.details
        assert (detail.code, detail.target) == (code, "reclaim.mailbox") and "it@contoso.com" in detail.message
        assert fakes.tenants.get_tenant(TENANT).reclaim is None  # nothing saved
    fakes.notices.mailboxes.add((TENANT, "it@contoso.com"))
    assert update_tenant(ports, TENANT, emailing, if_match=None).reclaim is not None
    # the sender lost its mailbox since: a save that keeps it is not held back (its sends say why instead)
    fakes.notices.mailboxes.clear()
    renamed = update_tenant(ports, TENANT, TenantUpdate.model_validate({"displayName": "Contoso Ltd"}), if_match=None)
    assert renamed.reclaim is not None and renamed.reclaim.mailbox == "it@contoso.com"
    # a tenant whose Graph cannot be asked yet keeps the sender it is given, unchecked
    other = TenantUpdate.model_validate({"reclaim": {"enabled": True, "emailUser": True, "mailbox": "hr@contoso.com"}})
    saved = update_tenant(fakes.admin_ports(notices=UnaskableNotices()), TENANT, other, if_match=None)
    assert saved.reclaim is not None and saved.reclaim.mailbox == "hr@contoso.com"
