"""The OpenAPI document says what the server checks: patterns, formats, enums, nullability and cross-field rules
agree with the validators, so what the document calls valid is accepted and what it refuses is refused."""

from __future__ import annotations

import importlib
import pkgutil
import random
import re
import unicodedata
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, settings
from jsonschema_rs import Draft202012Validator
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

import shared.models
from shared.models.access import RoleAssignmentCreate
from shared.models.base import SKIP_TOKEN_PATTERN, Description, DisplayName, InputModel
from shared.models.cloud_pc_actions import BulkActionCreate
from shared.models.connections import (
    ConnectionCreate,
    ConnectionUpdate,
)
from shared.models.directory_subscriptions import ChangeNotificationCollection
from shared.models.json_schema import HIDDEN_CATEGORIES, AppJsonSchema, ecma_pattern
from shared.models.policies import (
    DomainJoinConfiguration,
    PolicyName,
    ProvisioningPolicyCreate,
    ProvisioningPolicyUpdate,
)
from shared.models.regions import REGION_NAMES
from shared.models.sites import (
    ResourceGroupName,
    SiteCreate,
    SiteUpdate,
)
from shared.models.tenants import TenantCreate, TenantUpdate
from shared.services.configuration.naming import DEFAULT_TEMPLATE, parse_template
from shared.storage.continuation_tokens import PROCESS_TOKENS
from tests.utils.validation import accepted
from triggers.http_access import access_of
from triggers.http_api import Operation
from triggers.http_directory_notifications import HANDSHAKE, VALIDATION
from triggers.http_request import PAGING
from triggers.openapi import build_openapi

EXAMPLES = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="validation")


def valid(model: type[BaseModel], body: dict[str, Any]) -> bool:
    return Draft202012Validator(schema_of(model)).is_valid(body)


def property_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = schema_of(model)
    found: dict[str, Any] = schema["properties"][name]
    return found


# --- update bodies: optional is not nullable where the resource needs a value ---------------------------------

REFUSE_NULL = [
    (TenantUpdate, "displayName"),
    (SiteUpdate, "displayName"),
    (SiteUpdate, "regionName"),
    (SiteUpdate, "subscriptionId"),
    (SiteUpdate, "resourceGroupName"),
    (ConnectionUpdate, "displayName"),
    (ConnectionUpdate, "adDomainName"),
    (ConnectionUpdate, "adDomainUsername"),
    (ProvisioningPolicyUpdate, "displayName"),
    (ProvisioningPolicyUpdate, "domainJoinConfigurations"),
    (ProvisioningPolicyUpdate, "imageType"),
    (ProvisioningPolicyUpdate, "imageId"),
    (ProvisioningPolicyUpdate, "localAdminEnabled"),
    (ProvisioningPolicyUpdate, "enableSingleSignOn"),
]
CLEARED_BY_NULL = [
    (TenantUpdate, "entraTenantId"),
    (SiteUpdate, "virtualNetworkId"),
    (SiteUpdate, "subnetId"),
    (ConnectionUpdate, "organizationalUnit"),
    (ConnectionUpdate, "adDomainPassword"),
    (ProvisioningPolicyUpdate, "description"),
    (ProvisioningPolicyUpdate, "cloudPcNamingTemplate"),
    (ProvisioningPolicyUpdate, "windowsSetting"),
]


@pytest.mark.parametrize(("model", "name"), REFUSE_NULL)
def test_a_field_the_resource_needs_may_be_left_out_but_is_not_offered_null(model: type[BaseModel], name: str) -> None:
    assert valid(model, {})
    assert not valid(model, {name: None})
    assert "default" not in property_schema(model, name)
    model.model_validate({name: None})  # the model still reads it (as left out); the update refuses it with 400


@pytest.mark.parametrize(("model", "name"), CLEARED_BY_NULL)
def test_a_field_null_clears_stays_nullable(model: type[BaseModel], name: str) -> None:
    assert valid(model, {name: None})


# --- formats, enums and patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name"),
    [(TenantCreate, "entraTenantId"), (SiteCreate, "subscriptionId"), (RoleAssignmentCreate, "principalId")],
)
def test_guids_are_uuids(model: type[BaseModel], name: str) -> None:
    schema = property_schema(model, name)
    branches = schema.get("anyOf", [schema])
    assert any(branch.get("format") == "uuid" for branch in branches)


def test_bulk_cloud_pc_ids_are_uuids() -> None:
    assert property_schema(BulkActionCreate, "cloudPcIds")["items"]["format"] == "uuid"


def test_regions_are_the_supported_ones() -> None:
    assert property_schema(SiteCreate, "regionName")["enum"] == sorted(REGION_NAMES)
    region = schema_of(ProvisioningPolicyCreate)["$defs"]["DomainJoinConfiguration"]["properties"]["regionName"]
    assert sorted(REGION_NAMES) in [branch.get("enum") for branch in region["anyOf"]]


def test_ecma_pattern_spells_out_what_python_reads_differently() -> None:
    flagged = re.compile(r"^(?P<x>ab\.\d)\s[\w-]$", re.IGNORECASE)
    translated = ecma_pattern(flagged)
    assert translated.startswith(r"^([Aa][Bb]\.[0-9])[")
    assert translated.endswith("][A-Za-z0-9_-]$")
    assert "(?P" not in translated
    for text in ("AB.1 x", "ab.9\t_", "aB.0\x1c-", "ab.1x_", "ac.1 x"):
        assert bool(re.search(translated, text)) == bool(flagged.search(text)), text


def test_resource_group_names_may_not_end_in_a_period() -> None:
    schema = TypeAdapter(ResourceGroupName).json_schema()
    assert re.search(schema["pattern"], "rg-1.(x)")
    assert not re.search(schema["pattern"], "rg.")
    assert not accepted(ResourceGroupName, "rg.")


def _code_points_by_category() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for code in range(0x110000):
        found.setdefault(unicodedata.category(chr(code)), []).append(code)
    return found


SAMPLES = [  # a few code points of every category: its first, its last and some between
    code
    for codes in _code_points_by_category().values()
    for code in {codes[0], codes[-1], *random.Random(7).sample(codes, min(6, len(codes)))}
    if not 0xD800 <= code <= 0xDFFF  # lone surrogates: not in any UTF-8 text, and not nameable in a pattern
]


@pytest.mark.parametrize(
    ("model", "kind"), [(TenantCreate, DisplayName), (ProvisioningPolicyCreate, PolicyName)], ids=["name", "policy"]
)
def test_the_name_pattern_takes_exactly_the_characters_the_checks_take(model: type[BaseModel], kind: Any) -> None:
    schema = schema_of(model)["$defs"]
    patterns = [re.compile(schema["DisplayName"]["pattern"])]
    if kind is PolicyName:
        patterns.append(re.compile(schema["PolicyName"]["pattern"]))
    for code in [*SAMPLES, *map(ord, '<>&|"^ \t')]:
        char = chr(code)
        for text in (char, f"a{char}b", f"{char}{char}", f"\u0301{char}"):
            documented = all(pattern.search(text) for pattern in patterns)
            assert documented == accepted(kind, text), (hex(code), unicodedata.category(char), text)


def test_the_description_pattern_refuses_exactly_the_hidden_characters() -> None:
    pattern = re.compile(property_schema(ProvisioningPolicyCreate, "description")["anyOf"][0]["pattern"])
    for code in SAMPLES:
        text = f"a{chr(code)}b"
        assert bool(pattern.search(text)) == accepted(Description, text), hex(code)
        assert accepted(Description, text) == (unicodedata.category(chr(code)) not in HIDDEN_CATEGORIES)


def test_the_naming_template_pattern_is_parse_templates_grammar() -> None:
    document = Draft202012Validator(property_schema(ProvisioningPolicyCreate, "cloudPcNamingTemplate")["anyOf"][0])
    tokens = ["A", "b", "-", "0", "_", "%", "%RAND:5%", "%RAND:7%", "%RAND:12%", "%RAND:4%", "%USERNAME:3%"]
    tokens += ["%USERNAME:1%", "%USERNAME:10%", "%HOST:3%", "%RAND%"]
    pick = random.Random(11)
    texts = [DEFAULT_TEMPLATE, ""] + ["".join(pick.choices(tokens, k=pick.randint(0, 6))) for _ in range(20000)]
    for text in texts:
        assert document.is_valid(text) == (parse_template(text or DEFAULT_TEMPLATE)[1] == []), text


# --- cross-field rules ----------------------------------------------------------------------------------------

SITE = {"displayName": "Hub", "siteId": "s1"}
CREDENTIALS = {"adDomainName": "corp.contoso.com", "adDomainUsername": "a@contoso.com", "adDomainPassword": "pw"}


@pytest.mark.parametrize(
    "body",
    [
        SITE,
        {**SITE, **CREDENTIALS},
        {**SITE, **CREDENTIALS, "connectionType": "hybridAzureADJoin", "organizationalUnit": "OU=A,DC=corp"},
        {**SITE, **CREDENTIALS, "adDomainPassword": None},
        {**SITE, "connectionType": "azureADJoin"},
        {**SITE, "connectionType": "azureADJoin", "adDomainName": None, "organizationalUnit": None},
        {**SITE, **CREDENTIALS, "connectionType": "azureADJoin"},
        {**SITE, "connectionType": "azureADJoin", "organizationalUnit": "OU=A,DC=corp"},
    ],
)
def test_connection_join_type_rules_are_the_models(body: dict[str, Any]) -> None:
    assert valid(ConnectionCreate, body) == accepted(ConnectionCreate, body)


@pytest.mark.parametrize(
    "config",
    [
        {"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": "c1"},
        {"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": "c1", "regionName": None},
        {"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": "c1", "regionName": "westeurope"},
        {"domainJoinType": "hybridAzureADJoin"},
        {"domainJoinType": "hybridAzureADJoin", "regionName": "westeurope"},
        {"domainJoinType": "azureADJoin", "regionName": "westeurope"},
        {"domainJoinType": "azureADJoin", "regionName": "westeurope", "onPremisesConnectionId": None},
        {"domainJoinType": "azureADJoin", "onPremisesConnectionId": "c1"},
        {"domainJoinType": "azureADJoin", "onPremisesConnectionId": "c1", "regionName": "westeurope"},
        {"domainJoinType": "azureADJoin"},
        {"domainJoinType": "azureADJoin", "onPremisesConnectionId": None, "regionName": None},
    ],
)
def test_domain_join_network_choice_is_the_models(config: dict[str, Any]) -> None:
    assert valid(DomainJoinConfiguration, config) == accepted(DomainJoinConfiguration, config)


@pytest.mark.parametrize(
    ("body", "allowed"),
    [
        ({"action": "resize", "targetServicePlanId": "p1"}, True),
        ({"action": "resize"}, False),
        ({"action": "resize", "targetServicePlanId": None}, False),
        ({"action": "reboot"}, True),
        ({"action": "reboot", "targetServicePlanId": None}, True),
        ({"action": "reboot", "targetServicePlanId": "p1"}, False),
    ],
)
def test_a_bulk_resize_and_only_a_resize_names_a_service_plan(body: dict[str, Any], allowed: bool) -> None:
    # the rule is checked by shared/services/cloud_pcs/bulk_actions.py (400 required / notAllowed), not by the model
    assert valid(BulkActionCreate, {**body, "cloudPcIds": ["6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b"]}) == allowed


# --- the document -------------------------------------------------------------------------------------------


def _operation(name: str, route: str, method: str, **spec: Any) -> Operation:
    return Operation(name=name, method=method, route=route, summary=name, tag="t", access=access_of(name), **spec)


WEBHOOK = _operation(
    "directoryNotifications",
    "directoryNotifications",
    "POST",
    status=202,
    review=False,
    query=(VALIDATION,),
    body=ChangeNotificationCollection,
    responses={"200": HANDSHAKE},
)
LIST = _operation("listSites", "tenants/{tenantId}/sites", "GET", query=PAGING)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi([WEBHOOK, LIST], title="t", version="1")


def test_the_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_webhook_documents_the_handshake_its_body_and_its_errors(document: dict[str, Any]) -> None:
    webhook = document["paths"]["/directoryNotifications"]["post"]
    assert set(webhook["responses"]) >= {"200", "202", "400", "413", "415"}
    assert "text/plain" in webhook["responses"]["200"]["content"]
    body = document["components"]["schemas"]["ChangeNotificationCollection"]
    validator = Draft202012Validator(body)
    assert validator.is_valid({"value": [{"subscriptionId": "s", "clientState": "c"}, 1], "extra": True})
    assert not validator.is_valid({"value": {}})
    assert not validator.is_valid({})
    token = next(p for p in webhook["parameters"] if p["name"] == "validationToken")
    assert token["schema"]["maxLength"] == 1024


def test_skip_tokens_are_described_as_what_the_server_signs(document: dict[str, Any]) -> None:
    skip = next(
        p for p in document["paths"]["/tenants/{tenantId}/sites"]["get"]["parameters"] if p["name"] == "skipToken"
    )
    assert skip["schema"]["pattern"] == SKIP_TOKEN_PATTERN
    assert "signed" in skip["description"]
    for continuation in ({"NextPartitionKey": "t1", "NextRowKey": "r"}, {"k": "é" * 40}):
        token = PROCESS_TOKENS.encode(continuation)
        assert token is not None
        assert re.search(SKIP_TOKEN_PATTERN, token), token
    assert re.search(SKIP_TOKEN_PATTERN, "")  # empty: the first page
    assert not re.search(SKIP_TOKEN_PATTERN, "not-a-token")


# --- strings trimmed before their length is checked ------------------------------------------------------------


def _input_models() -> list[type[InputModel]]:
    for module in pkgutil.iter_modules(shared.models.__path__):
        importlib.import_module(f"shared.models.{module.name}")
    found, todo = [], list(InputModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if not model.__pydantic_generic_metadata__["parameters"]:
            found.append(model)
    return sorted(set(found), key=lambda m: m.__qualname__)


def _too_short_at(model: type[InputModel], name: str, value: str) -> bool:
    try:
        model.model_validate({name: value})
    except ValidationError as refused:
        return any(e["loc"][:1] == (name,) and e["type"] == "string_too_short" for e in refused.errors())
    return False


def test_where_a_body_refuses_blank_text_as_too_short_the_document_refuses_it_too() -> None:
    """Bodies trim surrounding whitespace before a length is checked, so spaces alone (or a value too short between
    its spaces) are refused: the document's schema of each such field says so, so what it calls valid is accepted."""
    checked = 0
    for model in _input_models():
        schemas = models_json_schema([(model, "validation")], schema_generator=AppJsonSchema)[1].get("$defs", {})
        own = schemas[model.__name__]
        for name, field in own["properties"].items():
            for value in (" ", "\t \u3000", "  a "):
                if _too_short_at(model, name, value):
                    checked += 1
                    validator = Draft202012Validator({**field, "$defs": schemas})
                    assert not validator.is_valid(value), f"{model.__name__}.{name}: the document accepts {value!r}"
    assert checked > 20  # every trimmed field with a minimum length, in every body


# --- a boolean field takes a boolean ---------------------------------------------------------------------------------


def _refuses(model: type[InputModel], name: str, value: object) -> bool:
    alias = model.model_fields[name].alias or name
    try:
        model.model_validate({alias: value})
    except ValidationError as refused:
        return any(e["loc"] == (alias,) for e in refused.errors())
    return False


def test_every_boolean_of_a_body_refuses_what_is_not_a_boolean() -> None:
    """Bodies are strict: `"yes"`, `"true"` or `1` for a boolean is a 400 naming the field, never read as true."""
    booleans = [
        (model, name)
        for model in _input_models()
        for name, field in model.model_fields.items()
        if bool in (field.annotation, *get_args(field.annotation))
    ]
    taken = [f"{m.__name__}.{n}={v!r}" for m, n in booleans for v in ("yes", "true", 1, 0) if not _refuses(m, n, v)]
    assert not taken, "booleans that took what is not a boolean: " + ", ".join(taken)
    assert len(booleans) >= 10
