"""The deployment template, parsed (pycep): every setting the app needs, the identity's roles, both Durable backends."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pycep import BicepParser

from shared.settings import Settings, setting_name
from tests.conftest import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "infra" / "main.bicep"
# what each role is for is said beside its GUID in the template; these are Azure's built-in role definition ids
ROLES = {
    "storageBlobDataOwner": ("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "storage"),
    "storageQueueDataContributor": ("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "storage"),
    "storageTableDataContributor": ("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "storage"),
    "keyVaultSecretsOfficer": ("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "vault"),
    "monitoringMetricsPublisher": ("3913510d-42f4-4e42-8a64-420c390055eb", "insights"),
    "durableTaskDataContributor": ("0ad04412-c4d5-4796-b79c-f76d14c8d402", "scheduler"),
}
# settings with no working default that a deployment may still leave unset, and why
OPTIONAL = {
    "app_client_secret": "unset, the app federates its managed identity with the app registration",
    "portal_authority": "unset, the first AUTH_ISSUERS",
    "portal_scope": "unset, <first AUTH_AUDIENCE>/access_as_user",
    "table_name_prefix": "empty is the production value",
    "storage_account_name": "the identity-based service URIs are given instead",
    "storage_table_service_uri": "given as the host's AzureWebJobsStorage__tableServiceUri",
    "storage_queue_service_uri": "given as the host's AzureWebJobsStorage__queueServiceUri",
    "storage_credential": "given as the host's AzureWebJobsStorage__credential",
    "storage_client_id": "given as the host's AzureWebJobsStorage__clientId",
    "otel_exporter_otlp_endpoint": "Application Insights is the deployment's telemetry",
    "otel_exporter_otlp_traces_endpoint": "Application Insights is the deployment's telemetry",
}


@cache
def template() -> dict[str, Any]:
    return dict(BicepParser().parse(text=TEMPLATE.read_text(encoding="utf-8")))


def app_settings() -> set[str]:
    """Every app setting name the template can give the Function App (all the maps merged into its config)."""
    variables = template()["variables"]
    return {name for var in ("hostStorage", "appSettings", "schedulerSettings") for name in variables[var]["value"]}


def test_every_setting_the_app_cannot_do_without_is_given() -> None:
    unset = [
        name for name, field in Settings.model_fields.items() if field.default in (None, "") and name not in OPTIONAL
    ]
    assert unset, "the rule found no setting: it no longer reads shared/settings.py"
    missing = sorted(setting_name(name) for name in unset if setting_name(name) not in app_settings())
    assert not missing, f"infra/main.bicep does not set {missing}"


def test_storage_is_identity_based_and_keys_are_off() -> None:
    settings = app_settings()
    for name in ("credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"):
        assert f"AzureWebJobsStorage__{name}" in settings
    assert "AzureWebJobsStorage" not in settings  # no connection string, no key
    storage = template()["resources"]["storage"]["config"]["properties"]
    assert storage["allowSharedKeyAccess"] is False
    insights = template()["resources"]["insights"]["config"]["properties"]
    assert insights["DisableLocalAuth"] is True
    assert template()["resources"]["vault"]["config"]["properties"]["enableRbacAuthorization"] is True


def test_the_identity_holds_each_role_on_its_resource_and_no_other() -> None:
    variables = template()["variables"]["roles"]["value"]
    assigned = {}
    for name, resource in template()["resources"].items():
        if resource["type"] == "Microsoft.Authorization/roleAssignments":
            config = resource["config"].get("config", resource["config"])  # a conditional one nests its body
            role = json.dumps(config["properties"]["roleDefinitionId"])
            assert "identity" in json.dumps(config["properties"]["principalId"]), name
            [key] = [key for key in variables if f'"{key}"' in role]
            assigned[key] = config["scope"]
    assert assigned == {key: scope for key, (_, scope) in ROLES.items()}
    assert {key: variables[key] for key in ROLES} == {key: guid for key, (guid, _) in ROLES.items()}


def test_both_durable_backends_can_be_chosen() -> None:
    parameter = template()["parameters"]["durableBackend"]
    allowed = next(d["argument"] for d in parameter["decorators"] if d["type"] == "allowed")
    assert allowed == ["azureStorage", "durableTaskScheduler"] and parameter["default"] == "azureStorage"
    resources = template()["resources"]
    assert resources["scheduler"]["type"] == "Microsoft.DurableTask/schedulers"
    assert "useScheduler" in json.dumps(resources["scheduler"]["config"])  # made only when chosen
    scheduler = template()["variables"]["schedulerSettings"]["value"]
    assert scheduler["AzureFunctionsJobHost__extensions__durableTask__storageProvider__type"] == "azureManaged"
    assert "Authentication=ManagedIdentity" in json.dumps(scheduler["DURABLE_TASK_SCHEDULER_CONNECTION_STRING"])
    app = json.dumps(resources["app__settings"]["config"]["properties"])
    assert "useScheduler" in app and "schedulerSettings" in app  # merged into the app's settings only when chosen


def test_the_app_runs_on_flex_consumption_python_311_as_its_identity() -> None:
    resources = template()["resources"]
    assert resources["plan"]["config"]["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    runtime = resources["app"]["config"]["properties"]["functionAppConfig"]["runtime"]
    assert runtime == {"name": "python", "version": "3.11"}
    assert resources["app"]["config"]["identity"]["type"] == "UserAssigned"
