"""Provisioning policies: network, image and settings for Cloud PCs, assigned to Entra groups."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StringConstraints, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, omittable, without_chars_pattern
from shared.models.languages import DEFAULT_LANGUAGE, LANGUAGES
from shared.models.session_policies import PersonalPower
from shared.models.sites import RegionName

# a naming template's limits: names of 5-15 characters (Windows' computer names end at 15), at most 10 of them
# literal, and at least 5 random ones (shared/services/configuration/naming.py checks and expands templates)
MIN_LENGTH, MAX_LENGTH, MAX_LITERAL, MIN_RAND = 5, 15, 10, 5

DomainJoinType = Literal["azureADJoin", "hybridAzureADJoin"]
ImageType = Literal["gallery", "custom"]
FORBIDDEN_NAME_CHARS = set('<>&|"^')
GROUP_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _policy_name(value: str) -> str:
    bad = sorted(FORBIDDEN_NAME_CHARS & set(value))
    if bad:
        raise PydanticCustomError("invalidCharacters", "must not contain {chars}", {"chars": " ".join(bad)})
    return value


def _group_id(value: str) -> str:
    if not GROUP_ID.match(value):
        raise PydanticCustomError("invalidGroupId", "must be an Entra group id (letters, digits, - _ .)")
    return value


def _naming_template_branches() -> list[JsonDict]:
    """parse_template's rules as JSON Schema: the empty template, then one branch per span of template lengths, whose
    pattern takes each pair of macro widths that fits it (widths are written plainly: no leading zeros).

    The length that lets a template's fixed characters fit is a branch's minLength and maxLength, not a lookahead in
    one pattern: generators of matching text (schemathesis, Hypothesis) cannot follow a lookahead, so with one they
    never offered a template at all."""
    letters = "[A-Za-z0-9-]"
    spans: dict[tuple[int, int], list[str]] = {}
    for rand in range(MIN_RAND, MAX_LENGTH + 1):
        for user in range(MAX_LENGTH - rand + 1):  # 0: no %USERNAME:X%
            most, least = min(MAX_LITERAL, MAX_LENGTH - user - rand), max(0, MIN_LENGTH - user - rand)
            rand_macro, user_macro = f"%RAND:{rand}%", f"%USERNAME:{user}%" if user else ""
            macros = len(rand_macro) + len(user_macro)
            if user:
                shape = f"{letters}*(?:{user_macro}{letters}*{rand_macro}|{rand_macro}{letters}*{user_macro}){letters}*"
            else:
                shape = f"{letters}*{rand_macro}{letters}*"
            spans.setdefault((least + macros, most + macros), []).append(shape)
    branches: list[JsonDict] = [{"const": ""}]  # the default template
    for (shortest, longest), shapes in sorted(spans.items()):
        branches.append({"minLength": shortest, "maxLength": longest, "pattern": "^(?:" + "|".join(shapes) + ")$"})
    return branches


NamingTemplate = Annotated[
    str,
    StringConstraints(max_length=64),
    JsonSchemaKeywords(
        anyOf=_naming_template_branches,
        description=f"Letters, digits and hyphens (at most {MAX_LITERAL}) with %RAND:Y% once (Y at least "
        f"{MIN_RAND}) and %USERNAME:X% at most once, making names of {MIN_LENGTH}-{MAX_LENGTH} characters; "
        "empty or null: the default, CPC-%USERNAME:5%-%RAND:5%.",
    ),
]
PolicyName = Annotated[
    DisplayName,
    AfterValidator(_policy_name),
    JsonSchemaKeywords(
        "PolicyName",
        description="A display name without any of " + " ".join(sorted(FORBIDDEN_NAME_CHARS)) + ".",
        pattern=without_chars_pattern("".join(FORBIDDEN_NAME_CHARS)),
    ),
]
GroupId = Annotated[
    str,
    AfterValidator(_group_id),
    JsonSchemaKeywords(pattern=ecma_pattern(GROUP_ID), description="An Entra group id (letters, digits, - _ .)."),
]
# what _network_choice checks, for the document: a hybrid join names a connection and no region; an Entra join
# names a connection or a region (Microsoft-hosted network), never both. Left out and null are the same here.
CONNECTION_ONLY: JsonDict = {
    "properties": {"onPremisesConnectionId": {"type": "string"}, "regionName": {"type": "null"}},
    "required": ["onPremisesConnectionId"],
}
REGION_ONLY: JsonDict = {
    "properties": {"regionName": {"type": "string"}, "onPremisesConnectionId": {"type": "null"}},
    "required": ["regionName"],
}
NETWORK_CHOICE: JsonDict = {
    "if": {"properties": {"domainJoinType": {"const": "hybridAzureADJoin"}}},
    "then": CONNECTION_ONLY,
    "else": {"oneOf": [CONNECTION_ONLY, REGION_ONLY]},
}


class DomainJoinConfiguration(InputModel):
    """A hybrid Entra join needs onPremisesConnectionId and takes no regionName; an Entra join takes either an
    onPremisesConnectionId or a regionName (Microsoft-hosted network), never both."""

    model_config = ConfigDict(json_schema_extra=NETWORK_CHOICE)

    domain_join_type: DomainJoinType
    on_premises_connection_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        # whitespace around it is trimmed before the length is checked: the document asks for something else
        json_schema_extra={"pattern": ecma_pattern(re.compile(r"[^\s]"))},
    )
    region_name: RegionName | None = None

    @model_validator(mode="after")
    def _network_choice(self) -> DomainJoinConfiguration:
        if self.domain_join_type == "hybridAzureADJoin":
            if not self.on_premises_connection_id:
                raise PydanticCustomError("connectionRequired", "a hybrid Entra join needs an onPremisesConnectionId")
            if self.region_name:
                raise PydanticCustomError(
                    "regionNotAllowed",
                    "a hybrid Entra join takes its region from the connection, not regionName",
                )
        elif bool(self.on_premises_connection_id) == bool(self.region_name):
            raise PydanticCustomError(
                "connectionOrRegion",
                "an Entra join takes either an onPremisesConnectionId or a regionName "
                "(Microsoft-hosted network), never both",
            )
        return self


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise PydanticCustomError(
            "unsupportedLanguage",
            "'{locale}' is not a language Windows 365 sets Cloud PCs up in; use a tag such as en-US or de-DE",
            {"locale": value},
        )
    return value


Language = Annotated[
    str,
    AfterValidator(_language),
    JsonSchemaKeywords(enum=sorted(LANGUAGES), description="The Windows language and region of new Cloud PCs."),
]


class WindowsSetting(InputModel):
    locale: Language = DEFAULT_LANGUAGE


class LanguageChoice(ApiModel):
    """A language a policy can set Cloud PCs up in, as a person picks it."""

    locale: str
    display_name: str


class LanguageList(ApiModel):
    value: list[LanguageChoice]


class PolicyFields(InputModel):
    display_name: PolicyName
    description: Description | None = None
    domain_join_configurations: list[DomainJoinConfiguration] = Field(min_length=1, max_length=5)
    image_type: ImageType
    image_id: str = Field(min_length=1, max_length=256)
    cloud_pc_naming_template: NamingTemplate | None = None
    local_admin_enabled: StrictBool = False
    enable_single_sign_on: StrictBool = False
    windows_setting: WindowsSetting | None = None
    power_rules: PersonalPower | None = Field(
        default=None,
        description="`azure` backend: its Cloud PCs asleep (deallocated, or hibernated) while their users are away, "
        "woken by Azure Virtual Desktop's Start VM on Connect when they connect.",
    )


class ProvisioningPolicyCreate(PolicyFields):
    provisioning_type: Literal["dedicated"] = "dedicated"


class ProvisioningPolicyUpdate(InputModel):
    """Merge patch; edits apply to Cloud PCs provisioned from now on, not to existing ones."""

    display_name: PolicyName | None = omittable()
    description: Description | None = None  # null: clears it
    domain_join_configurations: list[DomainJoinConfiguration] | None = omittable(min_length=1, max_length=5)
    image_type: ImageType | None = omittable()
    image_id: str | None = omittable(min_length=1, max_length=256)
    cloud_pc_naming_template: NamingTemplate | None = None  # null: the default template
    local_admin_enabled: StrictBool | None = omittable()
    enable_single_sign_on: StrictBool | None = omittable()
    windows_setting: WindowsSetting | None = None
    power_rules: PersonalPower | None = None  # null: clears them (Cloud PCs asleep stay so until their users connect)


class AssignmentTarget(InputModel):
    group_id: GroupId


class AssignRequest(InputModel):
    assignments: list[AssignmentTarget] = Field(max_length=100)


class Assignment(ApiModel):
    id: str
    group_id: str
    assigned_date_time: datetime


class ProvisioningPolicy(Resource):
    tenant_id: str
    display_name: str
    description: str | None = None
    domain_join_configurations: list[DomainJoinConfiguration]
    image_type: ImageType
    image_id: str
    image_display_name: str = ""
    cloud_pc_naming_template: str
    local_admin_enabled: bool = False
    enable_single_sign_on: bool = False
    windows_setting: WindowsSetting = WindowsSetting()
    power_rules: PersonalPower | None = None
    provisioning_type: Literal["dedicated"] = "dedicated"
    grace_period_in_hours: int = 168
    assignments: list[Assignment] = []
    windows365_id: str | None = Field(
        default=None, description="Its id in Windows 365 (Graph's provisioningPolicy), on a windows365 tenant."
    )

    @property
    def connection_ids(self) -> list[str]:
        return [c.on_premises_connection_id for c in self.domain_join_configurations if c.on_premises_connection_id]
