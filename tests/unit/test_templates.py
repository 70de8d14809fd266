"""Templates on the fakes: what a template may declare, the review of applying it to tenants, the roll-out that makes
and changes each tenant's object (again: nothing), drift field by field, and overrides that survive a new version."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, ValidationFailed
from shared.models.alerts import AlertRuleUpdate
from shared.models.policies import ProvisioningPolicyUpdate
from shared.models.spot_schedules import SpotGroupSchedule
from shared.models.templates import OverrideCreate, Template, TemplateApply, TemplateCreate, TemplateUpdate
from shared.models.validation import validation_details
from shared.services.configuration import policies, template_rollouts, templates
from shared.services.monitoring import alert_rules
from shared.services.spot_pc import group_schedules
from tests.fakes import Fakes
from tests.fakes.seed import GALLERY_IMAGE, REGION, tenant
from tests.unit.test_configuration_documents import FRESH, ready_image_set
from tests.unit.test_configuration_documents import TENANT as DOCUMENT_TENANT
from tests.unit.test_configuration_documents import world as documents_world

TENANTS = ("contoso", "fabrikam", "tailspin")
STANDARD = {
    "displayName": "Standard desktops",
    "imageType": "gallery",
    "imageId": GALLERY_IMAGE,
    "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": REGION}],
    "enableSingleSignOn": True,
}


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    for tenant_id in TENANTS:
        tenant(world, tenant_id)
        world.directory.add_user(tenant_id, f"ann-{tenant_id}", display_name="Ann")
        world.directory.add_group(tenant_id, f"sales-{tenant_id}", f"ann-{tenant_id}")
    return world


def ports(fakes: Fakes) -> Any:
    return fakes.admin_ports()


def standard(fakes: Fakes, **fields: Any) -> Template:
    data = TemplateCreate.model_validate(
        {
            "displayName": "Standard",
            "kind": "provisioningPolicy",
            "fields": {**STANDARD, **fields},
            "parameters": ["assignments"],
        }
    )
    return templates.create_template(ports(fakes), data)


def groups_of(tenant_id: str) -> dict[str, Any]:
    return {"tenantId": tenant_id, "parameters": {"assignments": [{"groupId": f"sales-{tenant_id}"}]}}


def apply(fakes: Fakes, template: Template, *tenant_ids: str, **given: Any) -> Any:
    """A roll-out to the tenants, run to its end."""
    return roll_out(fakes, template, {"tenants": [groups_of(t) for t in tenant_ids], **given})


def roll_out(fakes: Fakes, template: Template, body: dict[str, Any]) -> Any:
    request = TemplateApply.model_validate(body)
    items = template_rollouts.checked_request(ports(fakes), template, request)
    rollout = fakes.templates.create_rollout(
        template_rollouts.new_rollout(ports(fakes), template, request, "me"), items
    )
    started: list[Any] = []
    return template_rollouts.run(ports(fakes), template.id, rollout.id, started.extend)


def refused_targets(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str | None]:
    return [detail.target for detail in error.value.details]


def test_a_template_names_each_field_it_cannot_make() -> None:
    fakes = Fakes()
    body = {
        "displayName": "Broken",
        "kind": "provisioningPolicy",
        "fields": {**STANDARD, "imageType": "sideways"},
        "parameters": ["assignments", "colour"],
    }
    with pytest.raises(ValidationError) as refused:
        TemplateCreate.model_validate(body)
    assert [d.target for d in validation_details(refused.value)] == ["fields.imageType", "parameters[1]"]
    body = {**body, "fields": STANDARD, "parameters": ["assignments", "imageId", "assignments"]}
    with pytest.raises(ValidationFailed) as failed:
        templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    assert [(d.code, d.target) for d in failed.value.details] == [
        ("duplicateParameter", "parameters[2]"),
        ("parameterHasValue", "fields.imageId"),
    ]
    assert fakes.templates.list_templates()[0] == []


def test_a_field_neither_set_nor_left_to_tenants_is_missing() -> None:
    fakes = Fakes()
    fields = {k: v for k, v in STANDARD.items() if k != "imageId"}
    body = {"displayName": "Short", "kind": "provisioningPolicy", "fields": fields, "parameters": ["assignments"]}
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    assert [(d.code, d.target) for d in refused.value.details] == [("fieldNotSet", "fields.imageId")]


def test_the_review_shows_each_tenant_what_it_would_get_and_what_it_must_fill_in(fakes: Fakes) -> None:
    template = standard(fakes)
    request = TemplateApply.model_validate(
        {"tenants": [groups_of("contoso"), {"tenantId": "fabrikam"}, {"tenantId": "nowhere"}]}
    )
    review = template_rollouts.review(ports(fakes), template, request)
    contoso, fabrikam, nowhere = review.tenants
    [made] = contoso.objects
    assert (made.action, made.name) == ("create", "Standard desktops")
    assert {change.field for change in made.changes} >= {"displayName", "imageId", "assignments"}
    assert fabrikam.missing_parameters == ["assignments"] and not fabrikam.objects
    assert nowhere.problems == [
        {
            "code": "tenantNotFound",
            "message": "tenants[2].tenantId: no tenant 'nowhere'.",
            "target": "tenants[2].tenantId",
        }
    ]
    assert fakes.policies.list_all_policies("contoso") == []  # a review saves nothing
    with pytest.raises(ValidationFailed) as refused:
        template_rollouts.checked_request(ports(fakes), template, request)
    assert refused_targets(refused) == ["tenants[1].parameters.assignments", "tenants[2].tenantId"]


def test_a_rollout_makes_each_tenants_policy_and_a_second_changes_nothing(fakes: Fakes) -> None:
    template = standard(fakes)
    first = apply(fakes, template, *TENANTS)
    assert (first.status, first.counts.succeeded) == ("succeeded", 3)
    for tenant_id in TENANTS:
        [made] = fakes.policies.list_all_policies(tenant_id)
        assert made.display_name == "Standard desktops"
        assert [a.group_id for a in made.assignments] == [f"sales-{tenant_id}"]
        [applied] = template_rollouts.applied_templates(ports(fakes), tenant_id)
        assert (applied.object_id, applied.version, applied.drift) == (made.id, 1, [])
    etags = {t: fakes.policies.list_all_policies(t)[0].etag for t in TENANTS}
    again = apply(fakes, template, *TENANTS)
    assert {item.objects[0].action for item in again.results} == {"unchanged"}
    assert {t: fakes.policies.list_all_policies(t)[0].etag for t in TENANTS} == etags


def test_drift_shows_a_hand_change_and_an_override_keeps_it_through_a_new_version(fakes: Fakes) -> None:
    template = standard(fakes)
    apply(fakes, template, *TENANTS)
    [mine] = fakes.policies.list_all_policies("contoso")
    patch = ProvisioningPolicyUpdate.model_validate({"enableSingleSignOn": False})
    policies.update_policy(ports(fakes), "contoso", mine.id, patch, if_match=None)

    [applied] = template_rollouts.applied_templates(ports(fakes), "contoso")
    assert [(d.field, d.current, d.desired) for d in applied.drift] == [("enableSingleSignOn", False, True)]
    assert fakes.templates.count_drifted_per_tenant() == {"contoso": 1}  # what the tenants' overview counts

    kept = template_rollouts.keep_override(
        ports(fakes), "contoso", template.id, OverrideCreate(name="no-sso", field="enableSingleSignOn")
    )
    assert (kept.drift, [(o.name, o.value) for o in kept.overrides]) == ([], [("no-sso", False)])
    assert fakes.templates.count_drifted("contoso") == 0

    fields = {**STANDARD, "enableSingleSignOn": False, "localAdminEnabled": True}
    newer = templates.update_template(
        ports(fakes), template.id, TemplateUpdate.model_validate({"fields": fields}), if_match=None
    )
    assert newer.version == 2
    assert template_rollouts.applied_templates(ports(fakes), "fabrikam")[0].latest_version == 2
    rolled = apply(fakes, newer, *TENANTS)
    changed = {item.tenant_id: {c.field for c in item.objects[0].changes} for item in rolled.results}
    assert changed == {
        "contoso": {"localAdminEnabled"},
        "fabrikam": {"enableSingleSignOn", "localAdminEnabled"},
        "tailspin": {"enableSingleSignOn", "localAdminEnabled"},
    }
    [mine] = fakes.policies.list_all_policies("contoso")
    assert (mine.enable_single_sign_on, mine.local_admin_enabled) == (False, True)
    assert apply(fakes, newer, *TENANTS).counts.succeeded == 3
    assert {a.version for t in TENANTS for a in template_rollouts.applied_templates(ports(fakes), t)} == {2}


def test_one_tenants_refusal_stops_no_other(fakes: Fakes) -> None:
    template = standard(fakes)
    request = TemplateApply.model_validate(
        {
            "tenants": [
                groups_of("contoso"),
                {"tenantId": "fabrikam", "parameters": {"assignments": [{"groupId": "gone"}]}},
            ]
        }
    )
    items = template_rollouts.checked_request(ports(fakes), template, request)
    rollout = fakes.templates.create_rollout(
        template_rollouts.new_rollout(ports(fakes), template, request, "me"), items
    )
    summary = template_rollouts.run(ports(fakes), template.id, rollout.id, lambda work: None)
    assert summary.status == "partiallySucceeded"
    by_tenant = {item.tenant_id: item for item in summary.results}
    assert by_tenant["contoso"].status == "succeeded"
    assert by_tenant["fabrikam"].status == "failed" and by_tenant["fabrikam"].error is not None
    assert fakes.policies.list_all_policies("fabrikam") == []


def test_an_applied_template_cannot_be_deleted_until_detached(fakes: Fakes) -> None:
    template = standard(fakes)
    apply(fakes, template, "contoso")
    with pytest.raises(Conflict):
        templates.delete_template(ports(fakes), template.id, if_match=None)
    template_rollouts.detach(ports(fakes), "contoso", template.id)
    templates.delete_template(ports(fakes), template.id, if_match=None)
    assert len(fakes.policies.list_all_policies("contoso")) == 1  # the object stays


def test_a_parameter_value_the_kind_refuses_is_named_where_it_was_given(fakes: Fakes) -> None:
    fields = {k: v for k, v in STANDARD.items() if k != "imageId"}
    body = {"displayName": "Own image", "kind": "provisioningPolicy", "fields": fields, "parameters": ["imageId"]}
    template = templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    request = TemplateApply.model_validate(
        {
            "tenants": [
                {"tenantId": "contoso", "parameters": {"imageId": GALLERY_IMAGE}},
                {"tenantId": "fabrikam", "parameters": {"imageId": ""}},
            ]
        }
    )
    with pytest.raises(ValidationFailed) as refused:
        template_rollouts.checked_request(ports(fakes), template, request)
    assert refused_targets(refused) == ["tenants[1].parameters.imageId"]


def test_a_kinds_own_rules_hold_in_a_template() -> None:
    fakes = Fakes()
    body = {
        "displayName": "Named",
        "kind": "provisioningPolicy",
        "fields": {**STANDARD, "cloudPcNamingTemplate": "AAA"},
    }
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    assert set(refused_targets(refused)) == {"fields.cloudPcNamingTemplate"}


def test_a_reclaim_template_sets_each_tenants_one_rule(fakes: Fakes) -> None:
    body = {
        "displayName": "Reclaim after 45 days",
        "kind": "reclaimSettings",
        "fields": {"enabled": True, "unusedDays": 45, "noticeDays": 7},
    }
    template = templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    request = {"tenants": [{"tenantId": t} for t in TENANTS]}
    review = template_rollouts.review(ports(fakes), template, TemplateApply.model_validate(request))
    assert {(t.objects[0].action, t.objects[0].name) for t in review.tenants} == {("update", "reclaim")}
    assert roll_out(fakes, template, request).status == "succeeded"
    for tenant_id in TENANTS:
        rule = fakes.tenants.get_tenant(tenant_id).reclaim
        assert rule is not None and (rule.enabled, rule.unused_days, rule.notice_days) == (True, 45, 7)
        [applied] = template_rollouts.applied_templates(ports(fakes), tenant_id)
        assert (applied.object_id, applied.drift) == (tenant_id, [])


def alert_template(fakes: Fakes, **fields: Any) -> Template:
    """A standard failure rule; each tenant gives its channels (a mailbox of its own sends the e-mail)."""
    body = {
        "displayName": "Failures",
        "kind": "alertRule",
        "fields": {
            "displayName": "Provisioning failures",
            "kind": "provisioningFailed",
            "severity": "critical",
            **fields,
        },
        "parameters": ["channels"],
    }
    for tenant_id in TENANTS:
        fakes.notices.mailboxes.add((tenant_id, "alerts@msp.example"))
    return templates.create_template(ports(fakes), TemplateCreate.model_validate(body))


def test_an_alert_rule_template_makes_each_tenants_rule_and_keeps_its_own_teams_channel_as_an_override(
    fakes: Fakes,
) -> None:
    template = alert_template(fakes)
    noc = [{"kind": "email", "mailbox": "alerts@msp.example", "to": ["noc@msp.example"]}]
    request = {"tenants": [{"tenantId": t, "parameters": {"channels": noc}} for t in TENANTS]}
    assert roll_out(fakes, template, request).status == "succeeded"
    for tenant_id in TENANTS:
        [rule] = fakes.alerts.list_all_alert_rules(tenant_id)
        assert (rule.display_name, rule.severity, [c.kind for c in rule.channels]) == (
            "Provisioning failures",
            "critical",
            ["email"],
        )
    # the customer adds its own Teams channel to its rule: a credential, kept in Key Vault, never in the template
    [rule] = fakes.alerts.list_all_alert_rules("contoso")
    teams = {"kind": "teams", "url": "https://teams.example.com/contoso"}
    patch = AlertRuleUpdate.model_validate({"channels": [*noc, teams]})
    alert_rules.update_alert_rule(ports(fakes), "contoso", rule.id, patch, if_match=rule.etag, dry_run=False)
    [drifted] = template_rollouts.applied_templates(ports(fakes), "contoso")
    assert [change.field for change in drifted.drift] == ["channels"]
    template_rollouts.keep_override(
        ports(fakes), "contoso", template.id, OverrideCreate(name="own Teams channel", field="channels")
    )
    newer = templates.update_template(
        ports(fakes),
        template.id,
        TemplateUpdate.model_validate({"fields": {**template.fields, "severity": "warning"}}),
        if_match=None,
    )
    assert roll_out(fakes, newer, {"tenants": [{"tenantId": t} for t in TENANTS]}).status == "succeeded"
    for tenant_id in TENANTS:
        [rule] = fakes.alerts.list_all_alert_rules(tenant_id)
        expected = ["email", "teams"] if tenant_id == "contoso" else ["email"]
        assert (rule.severity, [c.kind for c in rule.channels]) == ("warning", expected)
    assert list(fakes.secrets.secrets.values()) == ["https://teams.example.com/contoso"]
    assert "teams.example.com/contoso" not in repr(fakes.templates.list_applications("contoso"))


def test_a_template_and_a_tenants_parameters_never_hold_a_credential(fakes: Fakes) -> None:
    hook = {"kind": "webhook", "url": "https://hooks.example.com/a", "secret": "s3cret-s3cret-s3cret"}
    body = {
        "displayName": "Failures",
        "kind": "alertRule",
        "fields": {"displayName": "Failures", "kind": "provisioningFailed", "channels": [hook]},
    }
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(ports(fakes), TemplateCreate.model_validate(body))
    assert [(d.code, d.target) for d in refused.value.details] == [("credentialInTemplate", "fields.channels[0]")]
    assert fakes.templates.list_templates()[0] == []
    template = alert_template(fakes)
    teams = {"kind": "teams", "url": "https://teams.example.com/x"}
    request = TemplateApply.model_validate({"tenants": [{"tenantId": "contoso", "parameters": {"channels": [teams]}}]})
    [review] = template_rollouts.review(ports(fakes), template, request).tenants
    assert [(p["code"], p["target"]) for p in review.problems] == [("credentialInTemplate", "parameters.channels[0]")]
    with pytest.raises(ValidationFailed) as refused:
        template_rollouts.checked_request(ports(fakes), template, request)
    assert refused_targets(refused) == ["tenants[0].parameters.channels[0]"]


def test_a_spot_group_template_saves_each_pooled_groups_schedule_and_sets_it_back_when_reapplied() -> None:
    _, fakes = documents_world()
    admin = ports(fakes)
    schedule = {"timeZone": "Europe/Berlin", "preStaging": {"hosts": 1, "minutesBefore": 30}}
    fields = {
        "name": "office",
        "friendlyName": "Office desktops",
        "profilePath": r"\\files\profiles",
        "userType": "pooled",
        "licenseCount": 2,
        "imageVersion": "0.0.0",
        "schedule": schedule,
    }
    body = {
        "displayName": "Office",
        "kind": "spotGroup",
        "fields": fields,
        "parameters": ["siteId", "groupIds", "imageSetId"],
    }
    template = templates.create_template(admin, TemplateCreate.model_validate(body))
    tenants = []
    for tenant_id, site_id, group_id in (
        (DOCUMENT_TENANT, "site-westeurope", "engineers-a"),
        (FRESH, "site-other", "engineers-b"),
    ):
        ready_image_set(fakes, tenant_id, site_id)
        [image_set] = fakes.image_sets.list_image_sets(tenant_id)[0]
        given = {"siteId": site_id, "groupIds": [group_id], "imageSetId": image_set.id}
        tenants.append({"tenantId": tenant_id, "parameters": given})
    assert roll_out(fakes, template, {"tenants": tenants}).status == "succeeded"
    for tenant_id in (DOCUMENT_TENANT, FRESH):
        [group] = fakes.spot_groups.list_spot_groups(tenant_id)[0]
        saved = fakes.spot_group_schedules.find_schedule(tenant_id, group.id)
        assert saved is not None and (saved.time_zone, saved.pre_staging and saved.pre_staging.hosts) == (
            "Europe/Berlin",
            1,
        )
    # an admin moves one tenant's schedule to UTC by hand: the drift names the schedule, and a reapply sets it back
    [group] = fakes.spot_groups.list_spot_groups(FRESH)[0]
    mine = fakes.spot_group_schedules.find_schedule(FRESH, group.id)
    group_schedules.save_schedule(
        admin, group, SpotGroupSchedule.model_validate({"timeZone": "UTC"}), if_match=mine.etag if mine else None
    )
    [drifted] = template_rollouts.applied_templates(admin, FRESH)
    assert [change.field for change in drifted.drift] == ["schedule"]
    again = roll_out(fakes, template, {"tenants": [{"tenantId": t} for t in (DOCUMENT_TENANT, FRESH)]})
    assert {(r.tenant_id, r.objects[0].action) for r in again.results} == {
        (DOCUMENT_TENANT, "unchanged"),
        (FRESH, "update"),
    }
    back = fakes.spot_group_schedules.find_schedule(FRESH, group.id)
    assert back is not None and back.time_zone == "Europe/Berlin"
    assert template_rollouts.applied_templates(admin, FRESH)[0].drift == []

    personal = {**body, "displayName": "Personal", "fields": {**fields, "userType": "personal"}}
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(admin, TemplateCreate.model_validate(personal))
    assert [(d.code, d.target) for d in refused.value.details] == [("notPooled", "fields.schedule")]
