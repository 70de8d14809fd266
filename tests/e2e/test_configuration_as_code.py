"""Configuration as code over HTTP on devhost: a tenant's configuration exported by name, applied to a fresh tenant
of another Entra tenant and subscription, and exported again the same; an unchanged document plans nothing and applies
as nothing; a name of another tenant's object is a 400 at its field with nothing saved, a stale version a 412; and
the `cloudpc config` command line does the same against the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import cli.main as cli
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

RECLAIM = {"enabled": True, "unusedDays": 45, "noticeDays": 10}


def configured(api: ApiClient) -> Tenant:
    """A tenant set up through the wizards: a connection on its site's network, a policy assigned to two groups, an
    alert rule and a reclaim rule."""
    tenant = Tenant(api)
    tenant.group("engineers", [])
    tenant.group("designers", [])
    hosted = {"displayName": "Hosted", "siteId": tenant.site["id"], "connectionType": "azureADJoin"}
    api.created(f"{tenant.path}/connections", hosted)
    tenant.assign(tenant.policy(), "engineers", "designers")
    rule = {"displayName": "Failures", "kind": "provisioningFailed", "severity": "critical"}
    api.created(f"{tenant.path}/alertRules", rule)
    etag = api.get(tenant.path).json()["etag"]
    assert api.patch(tenant.path, {"reclaim": RECLAIM}, headers={"If-Match": etag}).status_code == 200
    return tenant


def exported(api: ApiClient, tenant: Tenant) -> tuple[dict[str, Any], str]:
    reply = api.get(f"{tenant.path}/configuration")
    assert reply.status_code == 200, reply.text
    document: dict[str, Any] = reply.json()
    assert reply.headers["ETag"] == f'"{document["version"]}"'
    return document, reply.headers["ETag"]


def test_an_export_applied_to_a_fresh_tenant_exports_the_same_and_plans_nothing_more(api: ApiClient) -> None:
    source = configured(api)
    document, _ = exported(api, source)
    text = str(document)
    for own_id in (source.id, source.site["id"], source.gid("engineers"), source.arm.subscription_id):
        assert own_id not in text  # every reference by name: nothing of the source tenant's ids
    [policy] = document["provisioningPolicies"]
    assert policy["assignments"] == [{"group": "engineers"}, {"group": "designers"}]
    assert document["connections"] == [
        {"displayName": "Hosted", "site": "West Europe", "connectionType": "azureADJoin"}
    ]
    assert document["reclaimSettings"] | RECLAIM == document["reclaimSettings"]

    fresh = Tenant(api)
    fresh.group("engineers", [])
    fresh.group("designers", [])
    _, etag = exported(api, fresh)
    plan = api.post(f"{fresh.path}/configuration:plan", document).json()
    assert (plan["creates"], plan["updates"], plan["problems"]) == (3, 1, [])  # the reclaim rule is always there
    applied = api.post(f"{fresh.path}/configuration:apply", document, headers={"If-Match": etag})
    assert applied.status_code == 200, applied.text

    again, etag = exported(api, fresh)
    assert again == document  # the version too: it hashes the content, which names no tenant's ids
    [made] = api.get(f"{fresh.path}/provisioningPolicies").json()["value"]
    assert [a["groupId"] for a in made["assignments"]] == [fresh.gid("engineers"), fresh.gid("designers")]

    unchanged = api.post(f"{fresh.path}/configuration:plan", again).json()
    assert (unchanged["creates"], unchanged["updates"], unchanged["problems"]) == (0, 0, [])
    twice = api.post(f"{fresh.path}/configuration:apply", again, headers={"If-Match": etag})
    assert twice.status_code == 200, twice.text
    assert (twice.json()["creates"], twice.json()["updates"]) == (0, 0)
    assert exported(api, fresh)[0] == document


def test_another_tenants_names_bad_fields_and_a_stale_version_are_refused_and_nothing_is_saved(
    api: ApiClient,
) -> None:
    source = configured(api)
    source.group("only-here", [])
    document, stale = exported(api, source)
    document["provisioningPolicies"][0]["assignments"] = [{"group": "only-here"}]
    document["alertRules"][0]["severity"] = "dire"
    fresh = Tenant(api)
    fresh.group("engineers", [])
    before, etag = exported(api, fresh)

    refused = api.post(f"{fresh.path}/configuration:apply", document, headers={"If-Match": etag})
    assert refused.status_code == 400, refused.text
    targets = {d["target"] for d in refused.json()["error"]["details"]}
    assert targets == {"provisioningPolicies[0].assignments[0].group", "alertRules[0].severity"}
    assert exported(api, fresh)[0] == before

    stale_version = api.post(f"{fresh.path}/configuration:apply", before, headers={"If-Match": stale})
    assert stale_version.status_code == 412 and stale_version.json()["error"]["code"] == "preconditionFailed"
    missing = api.post(f"{fresh.path}/configuration:apply", before)
    assert missing.status_code == 400 and missing.json()["error"]["target"] == "If-Match"


def test_the_command_line_exports_plans_and_applies_against_the_app(
    api: ApiClient, admin_token: str, tmp_path: Path
) -> None:
    source = configured(api)
    fresh = Tenant(api)
    fresh.group("engineers", [])
    fresh.group("designers", [])
    cloudpc = CliRunner()
    base = ["--api", api.base_url, "--token", admin_token, "config"]
    document = tmp_path / "contoso.json"

    exported = cloudpc.invoke(cli.cloudpc, [*base, "export", source.id, "--output", str(document)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(document.read_text()) == api.get(f"{source.path}/configuration").json()

    planned = cloudpc.invoke(cli.cloudpc, [*base, "plan", fresh.id, str(document)])
    assert planned.exit_code == cli.CHANGES, planned.output
    assert "+ provisioningPolicy 'Finance Cloud PCs'" in planned.output
    assert "3 to create, 1 to change" in planned.output

    # the document's version is the source's: the fresh tenant's current one is the If-Match here
    fresh_version = api.get(f"{fresh.path}/configuration").json()["version"]
    stale = cloudpc.invoke(cli.cloudpc, [*base, "apply", fresh.id, str(document)])
    assert stale.exit_code == 1 and "412 preconditionFailed" in stale.output
    applied = cloudpc.invoke(cli.cloudpc, [*base, "apply", fresh.id, str(document), "--if-match", fresh_version])
    assert applied.exit_code == 0, applied.output

    again = tmp_path / "fabrikam.json"
    assert cloudpc.invoke(cli.cloudpc, [*base, "export", fresh.id, "-o", str(again)]).exit_code == 0
    assert json.loads(again.read_text()) == json.loads(document.read_text())
    unchanged = cloudpc.invoke(cli.cloudpc, [*base, "plan", fresh.id, str(again)])
    assert unchanged.exit_code == cli.NO_CHANGES, unchanged.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"alertRules": [{"displayName": "X", "kind": "nope"}]}))
    refused = cloudpc.invoke(cli.cloudpc, [*base, "plan", fresh.id, str(bad)])
    assert refused.exit_code == cli.PROBLEMS and "alertRules[0].kind" in refused.output
