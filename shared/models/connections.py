"""Azure network connections: where Cloud PCs attach and how they join a domain."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, ConfigDict, Field, SecretStr, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, DisplayName, InputModel, Resource
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, omittable, status_subsets
from shared.models.sites import SubnetId
from shared.models.tenants import BackendName

# a health check's state, as Windows 365 reports its own checks (cloudPcOnPremisesConnectionStatus)
CheckStatus = Literal["pending", "running", "passed", "failed", "warning", "informational"]
# the subsets of the statuses that rules name, each once (also in the document: the portal's vocabulary.js has them)
CHECKING = frozenset({"pending", "running"})  # its checks are under way
USABLE = frozenset({"passed", "warning", "informational"})  # its checks let a policy use it
ConnectionType = Literal["hybridAzureADJoin", "azureADJoin"]
FQDN = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
UPN = re.compile(r"^[^@\s\\/]{1,64}@[A-Za-z0-9.-]{1,253}$")
OU = re.compile(r"^(?:(?:OU|CN)=[^,=]+,)*(?:DC=[^,=]+)(?:,DC=[^,=]+)*$", re.IGNORECASE)


def _fqdn(value: str) -> str:
    if not FQDN.match(value):
        raise PydanticCustomError("invalidDomainName", "must be a fully qualified domain name such as corp.contoso.com")
    return value.lower()


def _upn(value: str) -> str:
    if not UPN.match(value):
        raise PydanticCustomError("invalidUserName", "must be in the form admin@contoso.com")
    return value


def _ou(value: str) -> str:
    if not OU.match(value):
        raise PydanticCustomError(
            "invalidOrganizationalUnit",
            "must be a distinguished name such as OU=CloudPCs,DC=corp,DC=contoso,DC=com",
        )
    return value


DomainName = Annotated[
    str,
    AfterValidator(_fqdn),
    JsonSchemaKeywords(pattern=ecma_pattern(FQDN), description="A fully qualified domain name: corp.contoso.com."),
]
DomainUserName = Annotated[
    str,
    AfterValidator(_upn),
    JsonSchemaKeywords(pattern=lambda: ecma_pattern(UPN), description="A user principal name: admin@contoso.com."),
]
OrganizationalUnit = Annotated[
    str,
    Field(max_length=2048),
    AfterValidator(_ou),
    JsonSchemaKeywords(
        pattern=ecma_pattern(OU), description="A distinguished name: OU=CloudPCs,DC=corp,DC=contoso,DC=com."
    ),
]
Password = Annotated[SecretStr, Field(min_length=1, max_length=256)]
HYBRID_FIELDS = ("ad_domain_name", "ad_domain_username", "ad_domain_password")


# what _join_type_fields checks, for the document: a hybrid join (the default) needs the domain and its
# credentials; an Entra join takes none of them (left out or null)
JOIN_TYPE_FIELDS: JsonDict = {
    "if": {"properties": {"connectionType": {"const": "azureADJoin"}}, "required": ["connectionType"]},
    "then": {
        "properties": {
            name: {"type": "null"}
            for name in ("adDomainName", "adDomainUsername", "adDomainPassword", "organizationalUnit")
        }
    },
    "else": {
        "properties": {name: {"type": "string"} for name in ("adDomainName", "adDomainUsername", "adDomainPassword")},
        "required": ["adDomainName", "adDomainUsername", "adDomainPassword"],
    },
}


class ConnectionCreate(InputModel):
    """A hybrid Entra join (the default) needs adDomainName, adDomainUsername and adDomainPassword; an Entra join
    (azureADJoin) takes none of them, nor organizationalUnit."""

    model_config = ConfigDict(json_schema_extra=JOIN_TYPE_FIELDS)

    display_name: DisplayName
    site_id: str = Field(min_length=1, max_length=64)
    connection_type: ConnectionType = "hybridAzureADJoin"
    ad_domain_name: DomainName | None = None
    ad_domain_username: DomainUserName | None = None
    ad_domain_password: Password | None = Field(default=None, description="Write-only; never returned.")
    organizational_unit: OrganizationalUnit | None = None
    subnet_id: SubnetId | None = Field(default=None, description="Defaults to the site's subnet.")

    @model_validator(mode="after")
    def _join_type_fields(self) -> ConnectionCreate:
        if self.connection_type == "hybridAzureADJoin":
            missing = [name for name in HYBRID_FIELDS if getattr(self, name) is None]
            if missing:
                names = ", ".join(ConnectionCreate.model_fields[n].alias or n for n in missing)
                raise PydanticCustomError(
                    "hybridJoinNeedsDomain", "a hybrid Entra join connection needs {names}", {"names": names}
                )
        elif any(getattr(self, name) is not None for name in (*HYBRID_FIELDS, "organizational_unit")):
            raise PydanticCustomError(
                "domainFieldsNotAllowed",
                "an Entra join connection takes no Active Directory domain or credentials",
            )
        return self


class ConnectionUpdate(InputModel):
    """Merge patch: the name and the domain-join credentials; a credential change re-runs the checks."""

    display_name: DisplayName | None = omittable()
    ad_domain_name: DomainName | None = omittable()
    ad_domain_username: DomainUserName | None = omittable()
    ad_domain_password: Password | None = None  # null: the stored password stays, the checks run again
    organizational_unit: OrganizationalUnit | None = None  # null: clears it

    @property
    def changes_credentials(self) -> bool:
        return bool(self.model_fields_set - {"display_name"})


class HealthCheck(ApiModel):
    name: str
    display_name: str
    status: CheckStatus
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    error_type: str | None = None
    recommended_action: str | None = None


class HealthCheckStatusDetail(ApiModel):
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    health_checks: list[HealthCheck] = []


class Connection(Resource):
    tenant_id: str
    display_name: str
    site_id: str
    connection_type: ConnectionType
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    organizational_unit: str | None = None
    subscription_id: str
    resource_group_name: str
    region_name: str
    virtual_network_id: str | None = None
    subnet_id: str | None = None
    health_check_status: CheckStatus = Field(
        default="pending", json_schema_extra=status_subsets(get_args(CheckStatus), checking=CHECKING, usable=USABLE)
    )
    health_check_status_detail: HealthCheckStatusDetail = HealthCheckStatusDetail()
    health_check_run: int = Field(
        default=0, description="Bumped for every requested run; older runs' results are ignored."
    )
    in_use: bool = False
    cloud_pc_backend: BackendName = Field(
        default="azure",
        description="Whose connection it is: the app's own (`azure`, its checks run by the app) or Windows 365's "
        "(`windows365`, checked by Windows 365 and mirrored here), as its tenant's backend was when it was made.",
    )
    windows365_id: str | None = Field(
        default=None, description="Its id in Windows 365 (Graph's onPremisesConnection), once Windows 365 has it."
    )

    @property
    def usable(self) -> bool:
        """A policy may use it while its latest health check passed (a warning still counts)."""
        return self.health_check_status in USABLE

    @property
    def password_secret_name(self) -> str:
        return f"connection-{self.tenant_id}-{self.id}-adDomainPassword"
