"""The organization's configuration as code over HTTP on devhost: its alert rules and templates exported by name, an
unchanged document planning nothing; a changed template field applied as the template's next version, a new template
and a new organization alert rule made, and applying again changing nothing; bad input a 400 at each field with
nothing saved, a stale version a 412, a tenant's administrator refused; and `cloudpc config --organization` doing the
same from the command line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import cli.main as cli
from tests.conftest import Tokens
from tests.e2e.test_templates import POLICY, SPOT_GROUP
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant


def exported(api: ApiClient) -> tuple[dict[str, Any], str]:
    reply = api.get("/configuration")
    assert reply.status_code == 200, reply.text
    document: dict[str, Any] = reply.json()
    assert reply.headers["ETag"] == f'"{document["version"]}"'
    return document, reply.headers["ETag"]


def named(document: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    return next(item for item in document[section] if item["displayName"] == name)


def own(document: dict[str, Any], *names: str) -> dict[str, Any]:
    """The document with only the objects named: other tests share the organization, and an object a document
    leaves out is left as it is (two of theirs may even share a name, which a plan refuses as ambiguous)."""
    return {
        **document,
        **{section: [item for item in document[section] if item["displayName"] in names] for section in SECTIONS},
    }


SECTIONS = ("alertRules", "templates")


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The document's sections with each object under its name: the order a document is given in is not its export's."""
    return {
        section: {item["displayName"]: item for item in document[section]} for section in ("alertRules", "templates")
    }


def policy_template(api: ApiClient, name: str) -> dict[str, Any]:
    body = {"displayName": name, "kind": "provisioningPolicy", "fields": POLICY, "parameters": ["assignments"]}
    return api.created("/templates", body)


def test_the_organizations_document_applies_a_template_change_as_its_next_version_and_again_changes_nothing(
    api: ApiClient,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    policy = policy_template(api, f"Standard policy {suffix}")
    whole, etag = exported(api)
    names = (policy["displayName"], f"Task workers {suffix}", f"Failures everywhere {suffix}")
    document = own(whole, *names)
    assert named(document, "templates", policy["displayName"]) == {
        "displayName": policy["displayName"],
        "kind": "provisioningPolicy",
        "fields": POLICY,
        "parameters": ["assignments"],
    }  # no id, no version number, no date
    unchanged = api.post("/configuration:plan", document).json()
    assert (unchanged["creates"], unchanged["updates"], unchanged["problems"]) == (0, 0, [])

    named(document, "templates", policy["displayName"])["fields"]["cloudPcNamingTemplate"] = "NEW-%RAND:6%"
    group = {
        "displayName": f"Task workers {suffix}",
        "kind": "spotGroup",
        "fields": SPOT_GROUP,
        "parameters": ["siteId", "groupIds", "imageSetId"],
    }
    rule = {
        "displayName": f"Failures everywhere {suffix}",
        "description": "",
        "kind": "provisioningFailed",
        "severity": "critical",
        "enabled": False,  # an organization's rule watches every tenant: those of the tests sharing this app too
        "channels": [],
    }
    document["templates"].append(group)
    document["alertRules"].append(rule)
    planned = api.post("/configuration:plan", document).json()
    assert (planned["creates"], planned["updates"], planned["problems"]) == (2, 1, [])
    [update] = [o for o in planned["objects"] if o["action"] == "update"]
    assert update["changes"] == [
        {
            "field": "fields.cloudPcNamingTemplate",
            "current": POLICY["cloudPcNamingTemplate"],
            "desired": "NEW-%RAND:6%",
        }
    ]

    applied = api.post("/configuration:apply", document, headers={"If-Match": etag})
    assert applied.status_code == 200, applied.text
    assert (applied.json()["creates"], applied.json()["updates"]) == (2, 1)
    changed = api.get(f"/templates/{policy['id']}").json()
    assert (changed["version"], changed["fields"]["cloudPcNamingTemplate"]) == (2, "NEW-%RAND:6%")
    first = api.get(f"/templates/{policy['id']}/versions/1").json()
    assert first["fields"]["cloudPcNamingTemplate"] == POLICY["cloudPcNamingTemplate"]
    assert api.get(f"/templates/{policy['id']}/rollouts").json()["value"] == []  # never rolled out
    rules = api.get("/alertRules").json()["value"]
    assert [r["tenantId"] for r in rules if r["displayName"] == rule["displayName"]] == ["~organization"]

    again, etag = exported(api)
    assert applied.headers["ETag"] == etag
    assert by_name(own(again, *names)) == by_name(document)
    nothing = api.post("/configuration:plan", own(again, *names)).json()
    assert (nothing["creates"], nothing["updates"], nothing["problems"]) == (0, 0, [])
    twice = api.post("/configuration:apply", own(again, *names), headers={"If-Match": etag})
    assert twice.status_code == 200, twice.text
    assert (twice.json()["creates"], twice.json()["updates"]) == (0, 0)
    assert exported(api) == (again, etag)
    assert api.get(f"/templates/{policy['id']}").json()["version"] == 2


def test_bad_input_a_stale_version_and_a_tenants_administrator_are_refused_and_nothing_is_saved(
    api: ApiClient, tokens: Tokens
) -> None:
    suffix = uuid.uuid4().hex[:6]
    policy_template(api, f"Kept as it is {suffix}")
    before, etag = exported(api)
    document = json.loads(json.dumps(before))
    broken = {"displayName": f"Broken {suffix}", "kind": "spotGroup", "fields": {**SPOT_GROUP, "vmSize": 12}}
    unfilled = {**broken, "displayName": f"Unfilled {suffix}", "fields": SPOT_GROUP, "parameters": ["siteId", "nope"]}
    mail = {"kind": "email", "mailbox": "it@contoso.com", "to": ["a@contoso.com"]}
    by_mail = {"displayName": f"By mail {suffix}", "kind": "provisioningFailed", "channels": [mail]}
    document["templates"] = [named(before, "templates", f"Kept as it is {suffix}"), broken, unfilled]
    document["alertRules"] = [by_mail]

    refused = api.post("/configuration:apply", document, headers={"If-Match": etag})
    assert refused.status_code == 400, refused.text
    targets = {d["target"] for d in refused.json()["error"]["details"]}
    assert {"templates[1].fields.vmSize", "templates[2].parameters[1]", "alertRules[0].channels[0].kind"} <= targets
    problems = api.post("/configuration:plan", document).json()["problems"]
    assert {p["target"] for p in problems} == targets
    assert exported(api) == (before, etag)

    policy_template(api, f"Made since {suffix}")
    kept = own(before, f"Kept as it is {suffix}")
    stale = api.post("/configuration:apply", kept, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "preconditionFailed", stale.text
    missing = api.post("/configuration:apply", kept)
    assert missing.status_code == 400 and missing.json()["error"]["target"] == "If-Match", missing.text

    tenant = Tenant(api, onboard=False)
    admin = tokens.principal_id("tadeo")
    granted = api.post(f"{tenant.path}/roleAssignments", {"principalId": admin, "role": "administrator"})
    assert granted.status_code == 201, granted.text
    tenant_admin = ApiClient(api.base_url, tokens("tadeo"))
    assert tenant_admin.get(f"{tenant.path}/configuration").status_code == 200  # the tenant's own, yes
    for reply in (
        tenant_admin.get("/configuration"),
        tenant_admin.post("/configuration:plan", before),
        tenant_admin.post("/configuration:apply", before, headers={"If-Match": exported(api)[1]}),
    ):
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden", reply.text


def test_the_command_line_exports_plans_and_applies_the_organizations_document(
    api: ApiClient, admin_token: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    policy = policy_template(api, f"Command line {suffix}")
    cloudpc = CliRunner()
    base = ["--api", api.base_url, "--token", admin_token, "config"]
    path = tmp_path / "organization.json"

    done = cloudpc.invoke(cli.cloudpc, [*base, "export", "--organization", "--output", str(path)])
    assert done.exit_code == 0, done.output
    assert json.loads(path.read_text()) == api.get("/configuration").json()
    path.write_text(json.dumps(own(json.loads(path.read_text()), policy["displayName"])))
    unchanged = cloudpc.invoke(cli.cloudpc, [*base, "plan", "--organization", str(path)])
    assert unchanged.exit_code == cli.NO_CHANGES, unchanged.output

    document = json.loads(path.read_text())
    named(document, "templates", policy["displayName"])["description"] = "The standard desktop"
    path.write_text(json.dumps(document))
    planned = cloudpc.invoke(cli.cloudpc, [*base, "plan", "--organization", str(path)])
    assert planned.exit_code == cli.CHANGES, planned.output
    assert f"~ template '{policy['displayName']}'" in planned.output and "0 to create, 1 to change" in planned.output
    applied = cloudpc.invoke(cli.cloudpc, [*base, "apply", "--organization", str(path)])
    assert applied.exit_code == 0, applied.output
    assert api.get(f"/templates/{policy['id']}").json()["description"] == "The standard desktop"

    both = cloudpc.invoke(cli.cloudpc, [*base, "plan", "some-tenant", str(path), "--organization"])
    assert both.exit_code == 2 and "Name one TENANT, or pass --organization" in both.output
