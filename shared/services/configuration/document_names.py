"""How a configuration document names what its objects refer to: each reference's id field and its named field, and
the tenant's objects by id and by stable name (a site, group, image set, or an object of a configurable kind)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from shared.errors import ErrorDetail
from shared.services.configuration.configurable import REGISTRY, Body, ConfigurationPorts


@dataclass(frozen=True)
class Reference:
    """A body's id of another object (`field`) and the document's field naming it instead (`named`); `within`: the
    list of objects holding it; `when`: the bodies where the field is a reference at all."""

    field: str
    named: str
    target: str  # site, group, imageSet, or a registry kind
    within: str | None = None
    when: Callable[[Body], bool] = lambda body: True
    # whether it may name an object the same document makes: a policy may not, as a new connection has not passed
    # its health checks nor a new image its import, so the policy would be refused once the others were written
    may_be_new: bool = False


REFERENCES: dict[str, tuple[Reference, ...]] = {
    "connection": (Reference("siteId", "site", "site"),),
    "deviceImage": (Reference("siteId", "site", "site"),),
    "provisioningPolicy": (
        Reference("onPremisesConnectionId", "onPremisesConnection", "connection", within="domainJoinConfigurations"),
        Reference("imageId", "image", "deviceImage", when=lambda body: body.get("imageType") == "custom"),
        Reference("groupId", "group", "group", within="assignments"),
    ),
    "userSetting": (Reference("groupId", "group", "group", within="assignments"),),
    "spotGroup": (
        Reference("siteId", "site", "site"),
        Reference("groupIds", "groups", "group"),
        Reference("imageSetId", "imageSet", "imageSet"),
    ),
    "spotGroupSchedule": (Reference("spotGroupId", "spotGroup", "spotGroup", may_be_new=True),),
}


class Names:
    """The tenant's objects by id and by stable name, read once per target and read again once a kind is written."""

    def __init__(self, ports: ConfigurationPorts, tenant_id: str) -> None:
        self.ports, self.tenant_id = ports, tenant_id
        self._tables: dict[str, list[tuple[str, str]]] = {}  # target: (id, name)
        self._groups: dict[str, list[str]] = {}  # the ids of the groups of each display name
        self._subnets: dict[object, str | None] = {}  # each site's subnet, by the site's id

    def _table(self, target: str) -> list[tuple[str, str]]:
        if target not in self._tables:
            self._tables[target] = list(self._read(target))
        return self._tables[target]

    def _read(self, target: str) -> Iterator[tuple[str, str]]:
        ports, tenant_id = self.ports, self.tenant_id
        if target == "site":
            yield from ((s.id, s.display_name) for s in ports.sites.list_all_sites(tenant_id))
        elif target == "imageSet":
            token: str | None = None
            while True:
                sets, token = ports.image_sets.list_image_sets(tenant_id, top=100, skip_token=token)
                yield from ((s.id, s.display_name) for s in sets)
                if not token:
                    return
        else:
            kind = next(k for k in REGISTRY if k.kind == target)
            yield from ((obj.id, kind.name(obj)) for obj in kind.list_all(ports, tenant_id))

    def site_subnet(self, site_id: object) -> str | None:
        if site_id not in self._subnets:
            site = self.ports.sites.find_site(self.tenant_id, str(site_id))
            self._subnets[site_id] = site.subnet_id if site is not None else None
        return self._subnets[site_id]

    def forget(self, target: str) -> None:
        self._tables.pop(target, None)

    def name_of(self, target: str, object_id: str) -> str:
        if target == "group":
            group = self.ports.directory.get_group(self.tenant_id, object_id)
            return group.display_name if group is not None else object_id
        return next((name for oid, name in self._table(target) if oid == object_id), object_id)

    def ids_of(self, target: str, name: str) -> list[str]:
        if target == "group":  # a look-up by name: the directory is not listed whole
            if name not in self._groups:
                found = self.ports.directory.find_groups(self.tenant_id, name, 10)
                self._groups[name] = [g.id for g in found if g.display_name == name]
            return self._groups[name]
        return [oid for oid, known in self._table(target) if known == name]


def each_holder(body: Body, reference: Reference) -> list[Body]:
    if reference.within is None:
        return [body] if reference.when(body) else []
    held = body.get(reference.within)
    return [item for item in held if isinstance(item, dict)] if isinstance(held, list) else []


def with_names(kind: str, body: Body, names: Names) -> Body:
    """`body` (ids as stored) with each reference as the document writes it: by name, under its named field."""
    body = json.loads(json.dumps(body))  # a copy to rename in
    if kind == "connection" and body.get("subnetId") and body.get("subnetId") == names.site_subnet(body.get("siteId")):
        del body["subnetId"]  # the site's subnet is the default, and names the customer's own subscription
    for reference in REFERENCES.get(kind, ()):
        for holder in each_holder(body, reference):
            if reference.field in holder:
                value = holder.pop(reference.field)
                ids = value if isinstance(value, list) else [value]
                named = [names.name_of(reference.target, str(i)) for i in ids]
                holder[reference.named] = named if isinstance(value, list) else named[0]
    return body


@dataclass
class Resolved:
    body: Body  # ids as stored; a reference to an object the document makes holds its name until it is made
    pending: bool = False
    problems: list[ErrorDetail] = field(default_factory=list)


def with_ids(kind: str, body: Body, names: Names, made: dict[str, set[str]]) -> Resolved:
    """`body` with each named reference replaced by its id in this tenant: a name the tenant does not have (an object
    of another tenant, say) is a problem at its field, unless the document makes it first and may name it new."""
    result = Resolved(json.loads(json.dumps(body)))
    for reference in REFERENCES.get(kind, ()):
        holders = each_holder(result.body, reference)
        for index, holder in enumerate(holders):
            within = f"{reference.within}[{index}]." if reference.within else ""
            at = within + reference.named
            if reference.field in holder:
                message = f"Name it by `{reference.named}`, not by id."
                result.problems.append(ErrorDetail("nameExpected", message, within + reference.field))
                continue
            if reference.named not in holder:
                continue
            value = holder.pop(reference.named)
            wanted = value if isinstance(value, list) else [value]
            ids = []
            for position, name in enumerate(wanted):
                where = f"{at}[{position}]" if isinstance(value, list) else at
                found = names.ids_of(reference.target, name) if isinstance(name, str) else []
                if len(found) == 1:
                    ids.append(found[0])
                elif isinstance(name, str) and name in made.get(reference.target, set()) and reference.may_be_new:
                    ids.append(name)  # made earlier in this document
                    result.pending = True
                elif isinstance(name, str) and name in made.get(reference.target, set()):
                    ids.append(name)
                    message = f"'{name}' is made by this document: name it once it is ready (apply this again then)."
                    result.problems.append(ErrorDetail("notReadyYet", message, where))
                else:
                    ids.append(str(name))  # in its place, so the model checks the rest of the body
                    code, message = (
                        ("ambiguousName", f"More than one {reference.target} is named '{name}'.")
                        if len(found) > 1
                        else ("referenceNotFound", f"This tenant has no {reference.target} named '{name}'.")
                    )
                    result.problems.append(ErrorDetail(code, message, where))
            holder[reference.field] = ids if isinstance(value, list) else ids[0]
    return result


def renamed_fields(kind: str, raw: Body) -> dict[str, str]:
    """The id fields this object of the document names by name instead (an image id stays one for a gallery image)."""
    return {r.field: r.named for r in REFERENCES.get(kind, ()) if r.within is not None or r.named in raw}
