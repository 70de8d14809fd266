"""A tenant's configuration document: exported by name, applied to another tenant whose ids differ and exported the
same; an unchanged document plans nothing; bad input, another tenant's names and a stale version refused, nothing
saved."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import PreconditionFailed, ValidationFailed
from shared.models.image_sets import ImageSetCreate
from shared.models.images import DeviceImage
from shared.models.orchestrations import ImageBuildRun, SpotGroupRun
from shared.services.configuration import documents
from shared.services.configuration.configurable import ConfigurationPorts
from shared.services.configuration.documents import ConfigurationDocument
from shared.services.spot_pc import image_sets
from shared.services.spot_pc.image_builds import advance_build
from tests.fakes import Fakes, seed
from tests.fakes.seed import GALLERY_IMAGE, SUBSCRIPTION, TENANT

FRESH = "fabrikam"
POOLED_IMAGE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
NETWORK = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network"
SUBNET = f"{NETWORK}/virtualNetworks/vnet/subnets/cloudpcs"


def world() -> tuple[ConfigurationPorts, Fakes]:
    fakes = Fakes()
    for tenant_id, suffix in ((TENANT, "a"), (FRESH, "b")):
        seed.tenant(fakes, tenant_id)
        site = seed.site(fakes, tenant_id)
        if tenant_id == FRESH:  # the same site under another id: the document names it, never its id
            fakes.sites.delete_site(tenant_id, site.id)
            fakes.sites.upsert_site(site.model_copy(update={"id": "site-other", "etag": None}))
        fakes.directory.add_group(tenant_id, f"engineers-{suffix}", display_name="Engineers")
        fakes.directory.add_group(tenant_id, f"designers-{suffix}", display_name="Designers")
    fakes.directory.add_group(TENANT, "only-a", display_name="Only in Contoso")
    fakes.notices.mailboxes.add((TENANT, "it@contoso.com"))
    return fakes.admin_ports(), fakes


def configure(ports: ConfigurationPorts) -> None:
    """Contoso's configuration, written as an admin would, through a document."""
    body: dict[str, Any] = {
        "reclaimSettings": {"enabled": True, "unusedDays": 45},
        "connections": [
            {"displayName": "Hosted", "site": "westeurope", "connectionType": "azureADJoin", "subnetId": SUBNET}
        ],
        "provisioningPolicies": [
            {
                "displayName": "Engineers",
                "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
                "imageType": "gallery",
                "imageId": GALLERY_IMAGE,
                "assignments": [{"group": "Engineers"}, {"group": "Designers"}],
            }
        ],
        "alertRules": [{"displayName": "Failures", "kind": "provisioningFailed", "severity": "critical"}],
    }
    version = documents.export(ports, TENANT)["version"]
    documents.apply(ports, TENANT, ConfigurationDocument.model_validate(body), if_match=f'"{version}"')


def test_an_export_names_every_reference_and_applies_to_a_fresh_tenant_as_the_same_document() -> None:
    ports, fakes = world()
    configure(ports)
    exported = documents.export(ports, TENANT)
    assert exported["connections"][0]["site"] == "westeurope" and "siteId" not in exported["connections"][0]
    assert exported["provisioningPolicies"][0]["assignments"] == [{"group": "Engineers"}, {"group": "Designers"}]
    assert exported["reclaimSettings"]["unusedDays"] == 45
    document = ConfigurationDocument.model_validate(exported)
    fresh_version = documents.export(ports, FRESH)["version"]
    applied = documents.apply(ports, FRESH, document, if_match=f'"{fresh_version}"')
    assert (applied.plan.creates, applied.plan.updates) == (3, 1)  # the reclaim rule is always there: updated
    assert documents.export(ports, FRESH) == exported  # the version too: it hashes the content
    [policy] = fakes.policies.list_all_policies(FRESH)
    assert [a.group_id for a in policy.assignments] == ["engineers-b", "designers-b"]


def test_an_unchanged_document_plans_nothing_and_applying_it_again_changes_nothing() -> None:
    ports, fakes = world()
    configure(ports)
    exported = documents.export(ports, TENANT)
    document = ConfigurationDocument.model_validate(exported)
    plan = documents.plan(ports, TENANT, document)
    assert (plan.creates, plan.updates, plan.problems) == (0, 0, [])
    assert {o.action for o in plan.objects} == {"unchanged"}
    rows = fakes.tables.entities("ProvisioningPolicies")
    again = documents.apply(ports, TENANT, document, if_match=exported["version"])
    assert (again.plan.creates, again.plan.updates, again.work) == (0, 0, [])
    assert fakes.tables.entities("ProvisioningPolicies") == rows


def test_a_change_is_planned_field_by_field_in_the_documents_terms() -> None:
    ports, _ = world()
    configure(ports)
    exported = documents.export(ports, TENANT)
    exported["provisioningPolicies"][0]["assignments"] = [{"group": "Designers"}]
    exported["provisioningPolicies"][0]["localAdminEnabled"] = True
    plan = documents.plan(ports, TENANT, ConfigurationDocument.model_validate(exported))
    [change] = [o for o in plan.objects if o.action == "update"]
    assert {c.field: c.desired for c in change.changes} == {
        "localAdminEnabled": True,
        "assignments": [{"group": "Designers"}],
    }


def test_bad_fields_and_names_of_another_tenant_are_refused_at_their_paths_and_nothing_is_saved() -> None:
    ports, fakes = world()
    configure(ports)
    exported = documents.export(ports, TENANT)
    exported["provisioningPolicies"][0]["assignments"] = [{"group": "Only in Contoso"}]
    exported["connections"][0]["subnetId"] = SUBNET.replace("cloudpcs", "others")  # set when it is made
    exported["alertRules"].append({"displayName": "New", "kind": "noSuchKind"})
    exported["deviceImages"].append({"displayName": "Img", "site": "eastus", "version": "1.0.0", "x": 1})
    document = ConfigurationDocument.model_validate(exported)
    version = documents.export(ports, FRESH)["version"]
    before = fakes.tables.entities("ProvisioningPolicies")
    with pytest.raises(ValidationFailed) as caught:
        documents.apply(ports, FRESH, document, if_match=version)
    targets = {d.target for d in caught.value.details}
    assert {
        "provisioningPolicies[0].assignments[0].group",
        "alertRules[1].kind",
        "deviceImages[0].site",
        "deviceImages[0].x",
    } <= targets
    assert fakes.tables.entities("ProvisioningPolicies") == before
    assert fakes.policies.list_all_policies(FRESH) == []
    with pytest.raises(ValidationFailed) as caught:
        documents.apply(ports, TENANT, document, if_match=exported["version"])
    assert "connections[0].subnetId" in {d.target for d in caught.value.details}


def test_an_id_in_place_of_a_name_is_refused() -> None:
    ports, _ = world()
    body = {"connections": [{"displayName": "C", "siteId": "site-westeurope", "connectionType": "azureADJoin"}]}
    plan = documents.plan(ports, TENANT, ConfigurationDocument.model_validate(body))
    assert [(p.code, p.target) for p in plan.problems] == [("nameExpected", "connections[0].siteId")]


def test_a_version_that_is_not_current_is_refused() -> None:
    ports, _ = world()
    stale = documents.export(ports, TENANT)["version"]
    configure(ports)
    with pytest.raises(PreconditionFailed):
        documents.apply(ports, TENANT, ConfigurationDocument(), if_match=f'"{stale}"')
    with pytest.raises(ValidationFailed) as caught:
        documents.apply(ports, TENANT, ConfigurationDocument(), if_match=None)
    assert caught.value.target == "If-Match"


def ready_image_set(fakes: Fakes, tenant_id: str, site_id: str) -> None:
    body = {"displayName": "Office desktops", "siteId": site_id, "sourceImageId": POOLED_IMAGE}
    made, _ = image_sets.create_image_set(fakes.admin_ports(), tenant_id, ImageSetCreate.model_validate(body))
    run = ImageBuildRun(tenant_id=tenant_id, image_set_id=made.id, version="0.0.0")
    assert advance_build(fakes.image_build_ports(), run).outcome == "succeeded"


def test_spot_groups_and_their_schedules_travel_by_name_and_ask_for_their_runs() -> None:
    ports, fakes = world()
    ready_image_set(fakes, TENANT, "site-westeurope")
    ready_image_set(fakes, FRESH, "site-other")
    group = {
        "name": "office",
        "friendlyName": "Office desktops",
        "profilePath": r"\\files\profiles",
        "userType": "pooled",
        "licenseCount": 3,
        "site": "westeurope",
        "groups": ["Engineers", "Designers"],
        "imageSet": "Office desktops",
        "imageVersion": "0.0.0",
    }
    schedule = {"spotGroup": "office", "timeZone": "Europe/Berlin", "preStaging": {"hosts": 1, "minutesBefore": 30}}
    body = ConfigurationDocument.model_validate({"spotGroups": [group], "spotGroupSchedules": [schedule]})
    applied = documents.apply(ports, TENANT, body, if_match=documents.export(ports, TENANT)["version"])
    assert [type(work) for work in applied.work] == [SpotGroupRun]  # the deployment, for the Functions side
    exported = documents.export(ports, TENANT)
    assert exported["spotGroups"][0]["groups"] == ["Engineers", "Designers"]
    assert exported["spotGroupSchedules"][0]["spotGroup"] == "office"

    document = ConfigurationDocument.model_validate(exported)
    documents.apply(ports, FRESH, document, if_match=documents.export(ports, FRESH)["version"])
    assert documents.export(ports, FRESH) == exported
    [made] = fakes.spot_groups.list_spot_groups(FRESH)[0]
    assert (made.site_id, made.group_ids) == ("site-other", ["engineers-b", "designers-b"])
    plan = documents.plan(ports, FRESH, document)
    assert (plan.creates, plan.updates, plan.problems) == (0, 0, [])

    renamed = {**exported, "spotGroups": [{**exported["spotGroups"][0], "friendlyName": "Renamed"}]}
    busy = documents.plan(ports, FRESH, ConfigurationDocument.model_validate(renamed))  # still deploying
    assert [p.code for p in busy.problems] == ["wrongStatus"]
    exported["spotGroups"][0]["maxSessionsPerHost"] += 1  # a host pool's size is set when it is made
    refused = documents.plan(ports, FRESH, ConfigurationDocument.model_validate(exported))
    assert [(p.code, p.target) for p in refused.problems] == [("notUpdatable", "spotGroups[0].maxSessionsPerHost")]


def test_a_secret_in_the_document_is_set_once_and_is_never_a_change_by_itself() -> None:
    ports, fakes = world()
    hook = {"kind": "webhook", "url": "https://hooks.example.com/x", "secret": "s3cret-s3cret-s3cret"}
    body = {"alertRules": [{"displayName": "Failures", "kind": "provisioningFailed", "channels": [hook]}]}
    document = ConfigurationDocument.model_validate(body)
    documents.apply(ports, TENANT, document, if_match=documents.export(ports, TENANT)["version"])
    assert list(fakes.secrets.secrets.values()) == ["s3cret-s3cret-s3cret"]
    exported = documents.export(ports, TENANT)
    assert "s3cret" not in str(exported)
    plan = documents.plan(ports, TENANT, document)
    assert (plan.creates, plan.updates, plan.problems) == (0, 0, [])


def test_a_policy_names_its_connection_and_custom_image_and_not_ones_the_document_makes() -> None:
    ports, fakes = world()
    body = {"displayName": "Hosted", "site": "westeurope", "connectionType": "azureADJoin", "subnetId": SUBNET}
    configure_only = ConfigurationDocument.model_validate({"connections": [body]})
    documents.apply(ports, TENANT, configure_only, if_match=documents.export(ports, TENANT)["version"])
    [connection] = fakes.connections.list_connections(TENANT)[0]
    fakes.connections.upsert_connection(connection.model_copy(update={"health_check_status": "passed"}))
    now = fakes.clock()
    image = DeviceImage(
        id="image-1",
        tenant_id=TENANT,
        created_date_time=now,
        last_modified_date_time=now,
        display_name="Golden",
        site_id="site-westeurope",
        version="1.0.0",
        source_image_resource_id=f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/images/g",
        status="ready",
    )
    fakes.images.upsert_image(image)
    policy = {
        "displayName": "Engineers",
        "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "onPremisesConnection": "Hosted"}],
        "imageType": "custom",
        "image": "Golden@1.0.0",
    }
    document = ConfigurationDocument.model_validate({"provisioningPolicies": [policy]})
    documents.apply(ports, TENANT, document, if_match=documents.export(ports, TENANT)["version"])
    [exported] = documents.export(ports, TENANT)["provisioningPolicies"]
    assert exported | policy == exported and "imageId" not in exported

    made_here = {
        "connections": [{**body, "displayName": "New"}],
        "provisioningPolicies": [
            {**policy, "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "onPremisesConnection": "New"}]}
        ],
    }
    plan = documents.plan(ports, TENANT, ConfigurationDocument.model_validate(made_here))
    target = "provisioningPolicies[0].domainJoinConfigurations[0].onPremisesConnection"
    assert [(p.code, p.target) for p in plan.problems] == [("notReadyYet", target)]


def test_windows365_user_settings_travel_with_their_groups_and_an_azure_tenant_takes_none() -> None:
    fakes = Fakes()
    for tenant_id, suffix in (("w365-a", "a"), ("w365-b", "b")):
        seed.tenant(fakes, tenant_id, backend="windows365")
        fakes.directory.add_group(tenant_id, f"engineers-{suffix}", display_name="Engineers")
    seed.tenant(fakes, TENANT)
    fakes.directory.add_group(TENANT, "engineers", display_name="Engineers")
    ports: ConfigurationPorts = fakes.admin_ports()
    setting = {
        "displayName": "Engineers' restore",
        "localAdminEnabled": True,
        "restorePointSetting": {"frequencyType": "twelveHours", "userRestoreEnabled": True},
        "assignments": [{"group": "Engineers"}],
    }
    document = ConfigurationDocument.model_validate({"userSettings": [setting]})
    documents.apply(ports, "w365-a", document, if_match=documents.export(ports, "w365-a")["version"])
    exported = documents.export(ports, "w365-a")
    assert exported["userSettings"] == [{**setting, "resetEnabled": False}]
    documents.apply(
        ports,
        "w365-b",
        ConfigurationDocument.model_validate(exported),
        if_match=documents.export(ports, "w365-b")["version"],
    )
    assert documents.export(ports, "w365-b") == exported
    [made] = fakes.user_settings.list_user_settings("w365-b")[0]
    assert made.windows365_id is not None and [a.group_id for a in made.assignments] == ["engineers-b"]

    refused = documents.plan(ports, TENANT, document)  # contoso is on the azure backend
    assert [(p.code, p.target) for p in refused.problems] == [("notTakenByBackend", "userSettings[0]")]
