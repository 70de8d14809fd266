"""The deployment template, parsed (pycep): every setting the app needs, the identity's and the deploying user's roles,
both Durable backends, and what Flex Consumption refuses or Microsoft advises for Durable Functions on it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from typing import Any

from pycep import BicepParser

from shared.settings import Settings, setting_name
from tests.conftest import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "infra" / "main.bicep"
VAULT_TEMPLATE = PROJECT_ROOT / "infra" / "vault.bicep"
PARAMETERS = PROJECT_ROOT / "infra" / "main.parameters.json"
HOST_JSON = PROJECT_ROOT / "host.json"
# what each role is for is said beside its GUID in the template; these are Azure's built-in role definition ids
ROLES = {
    "storageBlobDataOwner": ("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "storage"),
    "storageQueueDataContributor": ("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "storage"),
    "storageTableDataContributor": ("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "storage"),
    "keyVaultSecretsOfficer": ("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "vault"),
    "monitoringMetricsPublisher": ("3913510d-42f4-4e42-8a64-420c390055eb", "insights"),
    "durableTaskDataContributor": ("0ad04412-c4d5-4796-b79c-f76d14c8d402", "scheduler"),
}
# the deploying user's (principalId): reads tables, queues and secrets; the scheduler's dashboard needs the contributor
USER_ROLES = {
    "storageTableDataReader": ("76199698-9eea-4c19-bc75-cec21354c6b6", "storage"),
    "storageQueueDataReader": ("19e7f393-937e-4f77-808e-94535e297925", "storage"),
    "keyVaultSecretsUser": ("4633458b-17de-408a-b874-0445c86b69e6", "vault"),
    "durableTaskDataContributor": ("0ad04412-c4d5-4796-b79c-f76d14c8d402", "scheduler"),
}
# Site properties and app settings Flex Consumption does not take (deprecated, moved to functionAppConfig, or refused,
# as siteConfig.ftpsState is), from "Flex Consumption plan deprecations" in
# https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
FLEX_DEPRECATED_SETTINGS = (
    "ENABLE_ORYX_BUILD",
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTOVERVNET",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_DNS_SERVER",
    "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
    "WEBSITE_VNET_ROUTE_ALL",
)
FLEX_DEPRECATED_PROPERTIES = (  # the table names them properties.<name>; they are set on the site or its siteConfig
    "alwaysOn",
    "containerSize",
    "dnsConfiguration",
    "ftpsState",
    "isReserved",
    "IsXenon",
    "javaVersion",
    "LinuxFxVersion",
    "netFrameworkVersion",
    "powerShellVersion",
    "functionAppScaleLimit",
    "preWarmedInstanceCount",
    "use32BitWorkerProcess",
    "vnetBackupRestoreEnabled",
    "vnetContentShareEnabled",
    "vnetImagePullEnabled",
    "vnetRouteAllEnabled",
    "windowsFxVersion",
)
# settings with no working default that a deployment may still leave unset, and why
OPTIONAL = {
    "website_hostname": "Azure Functions sets it to the app's host name",
    "app_client_secret": "unset, the app federates its managed identity with the app registration",
    "portal_authority": "unset, the first AUTH_ISSUERS",
    "portal_scope": "unset, api://<first AUTH_AUDIENCE>/access_as_user",
    "table_name_prefix": "empty is the production value",
    "storage_account_name": "the identity-based service URIs are given instead",
    "storage_table_service_uri": "given as the host's AzureWebJobsStorage__tableServiceUri",
    "storage_queue_service_uri": "given as the host's AzureWebJobsStorage__queueServiceUri",
    "storage_credential": "given as the host's AzureWebJobsStorage__credential",
    "storage_client_id": "given as the host's AzureWebJobsStorage__clientId",
    "otel_exporter_otlp_endpoint": "Application Insights is the deployment's telemetry",
    "otel_exporter_otlp_traces_endpoint": "Application Insights is the deployment's telemetry",
    "alert_webhook_private_networks": "empty is the production value: no webhook reaches a private network",
}


@cache
def template() -> dict[str, Any]:
    return dict(BicepParser().parse(text=TEMPLATE.read_text(encoding="utf-8")))


@cache
def vault_template() -> dict[str, Any]:
    return dict(BicepParser().parse(text=VAULT_TEMPLATE.read_text(encoding="utf-8")))


def app_settings() -> set[str]:
    """Every app setting name the template can give the Function App (all the maps merged into its config)."""
    variables = template()["variables"]
    return {name for var in ("hostStorage", "appSettings", "schedulerSettings") for name in variables[var]["value"]}


def body(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's body, whether or not it is conditional (a conditional one nests its body under its condition)."""
    config: dict[str, Any] = resource["config"]
    return config.get("config", config) if "condition" in config else config


def role_assignments() -> dict[str, dict[str, Any]]:
    """Every role assignment of main.bicep and vault.bicep, by resource name, with its condition (None if none)."""
    found = {}
    for parsed in (template(), vault_template()):
        for name, resource in parsed["resources"].items():
            if resource["type"] == "Microsoft.Authorization/roleAssignments":
                found[name] = {**body(resource), "condition": resource["config"].get("condition")}
    return found


def role_key(assignment: dict[str, Any], names: dict[str, Any]) -> str:
    role = json.dumps(assignment["properties"]["roleDefinitionId"])
    [key] = [key for key in names if f'"{key}"' in role]
    return key


def seconds(timespan: str) -> float:
    hours, minutes, secs = (int(part) for part in timespan.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=secs).total_seconds()


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
    assert vault_template()["resources"]["vault"]["config"]["properties"]["enableRbacAuthorization"] is True


def test_the_identity_holds_each_role_on_its_resource_and_no_other() -> None:
    roles = {**template()["variables"]["roles"]["value"], **vault_template()["variables"]["roles"]["value"]}
    assigned = {}
    for name, assignment in role_assignments().items():
        if assignment["properties"]["principalType"] == "ServicePrincipal":
            # the app's identity: identity.properties.principalId here, appPrincipalId inside vault.bicep
            assert re.search(r"identity|appPrincipalId", json.dumps(assignment["properties"]["principalId"])), name
            assigned[role_key(assignment, roles)] = assignment["scope"]
    assert assigned == {key: scope for key, (_, scope) in ROLES.items()}
    assert {key: roles[key] for key in ROLES} == {key: guid for key, (guid, _) in ROLES.items()}
    vault_module = template()["modules"]["vault"]["config"]["params"]
    assert "identity" in json.dumps(vault_module["appPrincipalId"])  # the module's appPrincipalId is the app's


def test_the_deploying_user_gets_read_roles_only_when_azd_names_them() -> None:
    principal = template()["parameters"]["principalId"]
    assert principal["type"] == "string" and principal["default"] == ""  # empty: no user role at all
    assert json.loads(PARAMETERS.read_text(encoding="utf-8"))["parameters"]["principalId"] == {
        "value": "${AZURE_PRINCIPAL_ID=}"  # azd sets the signed-in user's object id
    }
    roles = {**template()["variables"]["userRoles"]["value"], **vault_template()["variables"]["roles"]["value"]}
    assigned = {}
    for name, assignment in role_assignments().items():
        if assignment["properties"]["principalType"] == "User":
            assert assignment["properties"]["principalId"] == "principalId", name
            assert "principalId" in json.dumps(assignment["name"]), name  # a GUID of the user, idempotent
            condition = json.dumps(assignment["condition"])
            assert "grantUser" in condition or "principalId" in condition, f"{name} is made with no principalId"
            key = role_key(assignment, roles)
            if key == "durableTaskDataContributor":
                assert "useScheduler" in condition, "the dashboard role needs the scheduler"
            assigned[key] = assignment["scope"]
    assert assigned == {key: scope for key, (_, scope) in USER_ROLES.items()}
    guids = {**roles, "durableTaskDataContributor": ROLES["durableTaskDataContributor"][0]}
    assert {key: guids[key] for key in USER_ROLES} == {key: guid for key, (guid, _) in USER_ROLES.items()}
    grant_user = json.dumps(template()["variables"]["grantUser"])
    assert '"not"' in grant_user and '"empty"' in grant_user and "principalId" in grant_user  # !empty(principalId)


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


def test_nothing_flex_consumption_refuses_or_deprecates_is_set() -> None:
    app = template()["resources"]["app"]["config"]
    properties = {key.lower() for key in app["properties"]}
    site_config = {key.lower() for key in app["properties"]["siteConfig"]}
    for name in FLEX_DEPRECATED_PROPERTIES:
        assert name.lower() not in properties | site_config, f"Flex Consumption does not take {name}"
    settings = {name.upper() for name in app_settings()}
    assert not settings & set(FLEX_DEPRECATED_SETTINGS), "Flex Consumption does not take these app settings"
    runtime = app["properties"]["functionAppConfig"]["runtime"]  # where the worker runtime goes instead
    assert runtime["name"] == "python"


def test_storage_redundancy_is_a_parameter_locally_redundant_unless_told() -> None:
    parameter = template()["parameters"]["storageRedundancy"]
    allowed = next(d["argument"] for d in parameter["decorators"] if d["type"] == "allowed")
    assert allowed == ["LRS", "ZRS"] and parameter["default"] == "LRS"  # ZRS only where the region has zones
    assert template()["resources"]["storage"]["config"]["sku"] == {"name": "Standard_${storageRedundancy}"}
    given = json.loads(PARAMETERS.read_text(encoding="utf-8"))["parameters"]["storageRedundancy"]
    assert given == {"value": "${AZURE_STORAGE_REDUNDANCY=LRS}"}


def test_a_key_vault_made_after_azd_down_does_not_take_the_soft_deleted_ones_name() -> None:
    # purge protection keeps a deleted vault's name for 90 days: the name carries the environment's token and a hash
    # of the identity's object id, which azd down deletes with the resource group and azd up makes anew
    vault = vault_template()
    assert vault["resources"]["vault"]["config"]["properties"]["enablePurgeProtection"] is True
    name = json.dumps(vault["variables"]["vaultName"])
    assert "${token}" in name and "uniqueString(appPrincipalId)" in name
    module = template()["modules"]["vault"]["config"]["params"]
    assert module["token"] == "token"
    assert "unique_string" in json.dumps(template()["variables"]["token"])  # the token every other resource carries


def test_durable_functions_have_an_always_ready_instance() -> None:
    # Microsoft's advice for Durable Functions on Flex Consumption: the durable group always has one instance ready
    scale = template()["resources"]["app"]["config"]["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    ready = {entry["name"]: entry["instanceCount"] for entry in scale["alwaysReady"]}
    assert ready.get("durable", 0) >= 1


def test_durable_queue_polling_and_partitions_are_chosen() -> None:
    provider = json.loads(HOST_JSON.read_text(encoding="utf-8"))["extensions"]["durableTask"]["storageProvider"]
    # Microsoft advises at most 10 s on Flex Consumption (the default is 30 s): an idle queue is polled less and less
    # often up to this interval, so it bounds how long a portal user's action waits after a quiet spell; 5 s keeps
    # that short while an idle instance polls its 17 queues (16 control, 1 work item) about 3 times a second
    assert seconds(provider["maxQueuePollingInterval"]) == 5 <= 10
    # a task hub's partition count cannot change once it exists, and only that many instances run orchestrators at
    # once; Flex scales to maximumInstanceCount (40 or more), so Azure Storage's maximum, 16, lets a bulk action's
    # orchestrations spread over 16 instances (4 at the default); the cost is 12 more control queues to poll
    assert provider["partitionCount"] == 16


def test_the_scheduler_sku_is_a_parameter_with_its_capacity() -> None:
    parameters = template()["parameters"]
    sku = parameters["schedulerSku"]
    allowed = next(d["argument"] for d in sku["decorators"] if d["type"] == "allowed")
    assert allowed == ["Consumption", "Dedicated"] and sku["default"] == "Consumption"
    capacity = {d["type"]: d.get("argument") for d in parameters["schedulerCapacity"]["decorators"]}
    assert (capacity["min_value"], capacity["max_value"], parameters["schedulerCapacity"]["default"]) == (1, 3, 1)
    chosen = template()["resources"]["scheduler"]["config"]["config"]["properties"]["sku"]["operator"]["operands"]
    assert chosen["true_value"] == {"name": "Dedicated", "capacity": "schedulerCapacity"}
    assert chosen["false_value"] == {"name": "Consumption"}  # Consumption takes no capacity
    assert "schedulerSku" in json.dumps(chosen["condition"])
    given = json.loads(PARAMETERS.read_text(encoding="utf-8"))["parameters"]
    assert given["schedulerSku"] == {"value": "${DURABLE_TASK_SCHEDULER_SKU=Consumption}"}
    assert given["schedulerCapacity"] == {"value": "${DURABLE_TASK_SCHEDULER_CAPACITY=1}"}


def test_the_python_worker_exports_its_own_telemetry() -> None:
    settings = template()["variables"]["appSettings"]["value"]
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"


def test_azd_passes_every_deployment_choice_and_only_the_templates_parameters() -> None:
    given = set(json.loads(PARAMETERS.read_text(encoding="utf-8"))["parameters"])
    declared = template()["parameters"]
    assert given <= set(declared)
    assert {name for name, parameter in declared.items() if "default" not in parameter} <= given
    assert {"principalId", "storageRedundancy", "durableBackend", "schedulerSku", "schedulerCapacity"} <= given
