"""Templates: an organization's standard for one kind of tenant object, versioned, with the fields each tenant fills
in; where each tenant applied one, the overrides it keeps, and the roll-outs that apply a version to many tenants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.json_schema import omittable

TemplateKind = Literal["provisioningPolicy", "spotGroup"]
# a top-level field of the kind's body, as the API spells it
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
OverrideName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
MAX_ROLLOUT_TENANTS = 500


class TemplateCreate(InputModel):
    """`fields` is the standard: the kind's body without its parameters, which each tenant fills in at apply."""

    display_name: DisplayName
    description: Description | None = None
    kind: TemplateKind
    fields: dict[str, Any]
    parameters: list[FieldName] = Field(default_factory=list, max_length=20)


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


class RolloutCounts(ApiModel):
    succeeded: int = 0
    failed: int = 0
    running: int = 0


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
    counts: RolloutCounts = RolloutCounts()
    results: list[RolloutItem] = []
