"""Templates: an organization's standard for one kind of tenant object, versioned, with the fields each tenant fills
in; where each tenant applied one, the overrides it keeps, and the roll-outs that apply a version to many tenants."""

from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, RootModel, StringConstraints, create_model
from pydantic.fields import FieldInfo

from shared.models.alerts import AlertRuleCreate
from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource, union_tags
from shared.models.cloud_pc_actions import BulkActionCounts
from shared.models.json_schema import omittable
from shared.models.policies import AssignRequest, ProvisioningPolicyCreate
from shared.models.spot_groups import SpotGroupCreate, SpotGroupUpdate
from shared.models.spot_schedules import SpotGroupSchedule
from shared.models.tenants import ReclaimRule
from shared.models.user_settings import UserSettingCreate

TemplateKind = Literal["provisioningPolicy", "spotGroup", "userSetting", "reclaimSettings", "alertRule"]
OverrideName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]  # a top-level field of a body
MAX_ROLLOUT_TENANTS = 500


def _partial(name: str, model: type[BaseModel], noun: str, **extra: FieldInfo) -> type[InputModel]:
    """`model`'s fields (and `extra`), each of them optional: a template's standard sets some, its tenants fill in
    the rest. The field rules hold; the rules across fields are the kind's own, checked once the tenant's are in."""
    fields: dict[str, Any] = {}
    for field_name, info in {**model.model_fields, **extra}.items():
        optional = copy(info)
        optional.default, optional.default_factory = None, None
        fields[field_name] = (info.annotation, optional)  # left out, not null: a null is a value of the kind's own
    across = model.model_config.get("json_schema_extra") or {}  # the kind's rules across fields

    def described(schema: dict[str, Any]) -> None:
        schema.update(across)  # type: ignore[arg-type]
        for field_schema in schema.get("properties", {}).values():
            field_schema.pop("default", None)  # a field left out is left to tenants, not given its kind's default

    doc = f"A template's share of a {noun}."
    return create_model(
        name, __base__=InputModel, __doc__=doc, __cls_kwargs__={"json_schema_extra": described}, **fields
    )


class TemplateBody(InputModel):
    """`fields` is the standard: the kind's body without its parameters, which each tenant fills in at apply."""

    display_name: DisplayName
    description: Description | None = None
    kind: TemplateKind
    fields: InputModel
    parameters: list[str] = Field(default_factory=list, max_length=20)


def _kind_template(kind: str, fields: type[InputModel]) -> type[TemplateBody]:
    """The create body of a kind's template: its fields, and which of them each tenant fills in."""
    names = tuple(info.alias or name for name, info in fields.model_fields.items())
    annotations: dict[str, Any] = {
        "kind": (Literal[kind], ...),
        "fields": (fields, Field(default_factory=fields)),
        "parameters": (list[Literal[names]], Field(default_factory=list, max_length=20)),  # type: ignore[valid-type]
    }
    return create_model(f"{fields.__name__.removesuffix('Fields')}Create", __base__=TemplateBody, **annotations)


PolicyTemplateFields = _partial(
    "PolicyTemplateFields",
    ProvisioningPolicyCreate,
    "provisioning policy (with its assignments)",
    assignments=AssignRequest.model_fields["assignments"],
)


class SpotGroupWithSchedule(SpotGroupCreate):
    """A Spot Group as a template makes it: with, for a pooled one, the schedule saved in place of the default."""

    schedule: SpotGroupSchedule | None = None


class SpotGroupWithScheduleUpdate(SpotGroupUpdate):
    schedule: SpotGroupSchedule | None = None


SpotGroupTemplateFields = _partial(
    "SpotGroupTemplateFields", SpotGroupWithSchedule, "Spot Group (with a pooled group's schedule)"
)
UserSettingTemplateFields = _partial(
    "UserSettingTemplateFields",
    UserSettingCreate,
    "Windows 365 user setting (with its assignments)",
    assignments=AssignRequest.model_fields["assignments"],
)
ReclaimTemplateFields = _partial("ReclaimTemplateFields", ReclaimRule, "tenant's reclaim rule")
AlertRuleTemplateFields = _partial(
    "AlertRuleTemplateFields", AlertRuleCreate, "tenant's alert rule (e-mail channels only)"
)
FIELDS_OF: dict[str, type[InputModel]] = {
    "provisioningPolicy": PolicyTemplateFields,
    "spotGroup": SpotGroupTemplateFields,
    "userSetting": UserSettingTemplateFields,
    "reclaimSettings": ReclaimTemplateFields,
    "alertRule": AlertRuleTemplateFields,
}
KIND_TEMPLATES = [_kind_template(kind, fields) for kind, fields in FIELDS_OF.items()]
union_tags(*KIND_TEMPLATES, by="kind")
if TYPE_CHECKING:  # the kinds' models are made at import: to a type checker, each is a TemplateBody
    OneKind = TemplateBody
else:
    OneKind = Annotated[Union[tuple(KIND_TEMPLATES)], Field(discriminator="kind")]  # noqa: UP007 (made at run time)


class TemplateCreate(RootModel[OneKind]):
    """A template of one kind: `kind` says which fields it takes."""


class TemplateUpdate(InputModel):
    """Merge patch; a change of `fields` or `parameters` makes a new version, which tenants get when it is applied."""

    display_name: DisplayName | None = omittable()
    description: Description | None = None
    fields: dict[str, Any] | None = omittable()
    parameters: list[FieldName] | None = omittable(max_length=20)


class TemplateVersion(ApiModel):
    template_id: str
    version: int
    fields: dict[str, Any]
    parameters: list[str]
    created_date_time: datetime


class Template(Resource):
    display_name: str
    description: str | None = None
    kind: TemplateKind
    version: int = 1
    fields: dict[str, Any]
    parameters: list[str] = []


class FieldChange(ApiModel):
    """One field whose value differs: what the object has and what the template (with its overrides) gives."""

    field: str
    current: Any = None
    desired: Any = None


class Override(ApiModel):
    """A tenant's own value of one field, kept through every apply of the template until it is removed."""

    name: str
    field: str
    value: Any = None


class OverrideCreate(InputModel):
    """Keep the object's present value of `field` as a named override."""

    name: OverrideName
    field: FieldName


class TemplateApplication(ApiModel):
    """A template applied to one tenant: the object it made, the version, the tenant's parameters and overrides."""

    tenant_id: str
    template_id: str
    template_name: str = ""
    kind: TemplateKind
    version: int
    object_id: str | None = None
    object_name: str = ""
    parameters: dict[str, Any] = {}
    overrides: list[Override] = []
    applied_date_time: datetime | None = None
    # the fields found drifted when drift was last read (a roll-out clears them): what the tenants' overview counts
    drifted_fields: list[str] = []
    etag: str | None = None


class AppliedTemplate(TemplateApplication):
    """An application as read: its drift (field by field, overrides left out) and whether a newer version exists."""

    latest_version: int
    drift: list[FieldChange] = []
    object_missing: bool = False


class TenantParameters(InputModel):
    tenant_id: str = Field(min_length=1, max_length=64)
    # values of the template's parameters; left out, the ones the tenant gave last time
    parameters: dict[str, Any] | None = None


class TemplateApply(InputModel):
    tenants: list[TenantParameters] = Field(min_length=1, max_length=MAX_ROLLOUT_TENANTS)
    version: int | None = Field(default=None, ge=1)  # the latest when left out


ObjectAction = Literal["create", "update", "unchanged"]


class ObjectResult(ApiModel):
    """What applying did, or would do, to one object of one tenant."""

    kind: TemplateKind
    name: str
    object_id: str | None = None
    action: ObjectAction
    changes: list[FieldChange] = []


class TenantReview(ApiModel):
    tenant_id: str
    tenant_name: str = ""
    objects: list[ObjectResult] = []
    missing_parameters: list[str] = []
    problems: list[dict[str, str]] = []  # the error details the apply would meet: code, message, target


class TemplateReview(ApiModel):
    template_id: str
    version: int
    tenants: list[TenantReview]


RolloutStatus = Literal["running", "succeeded", "partiallySucceeded", "failed"]
RolloutItemStatus = Literal["pending", "running", "succeeded", "failed"]


class RolloutItem(ApiModel):
    """One tenant of a roll-out: its result per object, or why it failed."""

    tenant_id: str
    status: RolloutItemStatus = "pending"
    parameters: dict[str, Any] = {}
    objects: list[ObjectResult] = []
    error: dict[str, str] | None = None
    started_date_time: datetime | None = None
    finished_date_time: datetime | None = None


class TemplateRollout(Resource):
    template_id: str
    version: int
    status: RolloutStatus = "running"
    requested_by: str = ""
    counts: BulkActionCounts = BulkActionCounts()  # the tenants, counted as a bulk action's items are
    results: list[RolloutItem] = []
