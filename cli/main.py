"""`cloudpc config export|plan|apply`: a tenant's configuration document, or the organization's (`--organization`),
read, planned and applied over the API."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click
import requests

from cli.sign_in import SIGN_INS, TIMEOUT

NO_CHANGES, PROBLEMS, CHANGES = 0, 1, 2  # plan's exit codes, so a pipeline can tell "nothing to apply"


class Api:
    """The API at `base`, called with a bearer token got once, on first use."""

    def __init__(self, base: str, token: str | None, sign_in: str) -> None:
        self.base, self._token, self._sign_in = base.rstrip("/"), token, sign_in

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        if self._token is None:
            self._token = SIGN_INS[self._sign_in](self.base)
        sent = {"Authorization": f"Bearer {self._token}", **(headers or {})}
        reply = requests.request(method, f"{self.base}/{path}", json=body, headers=sent, timeout=TIMEOUT)
        if reply.status_code >= 400:
            raise click.ClickException(_error_text(reply))
        return reply.json()


def _error_text(reply: requests.Response) -> str:
    try:
        error = reply.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"{reply.status_code}: {reply.text[:500]}"
    lines = [f"{reply.status_code} {error.get('code')}: {error.get('message')}"]
    lines += [f"  {d.get('target')}: {d.get('message')}" for d in error.get("details") or [] if d.get("target")]
    return "\n".join(lines)


def _read(document: TextIO) -> dict[str, Any]:
    try:
        found = json.load(document)
    except ValueError as exc:
        raise click.ClickException(f"{document.name} is not JSON: {exc}") from exc
    if not isinstance(found, dict):
        raise click.ClickException(f"{document.name} is not a configuration document (a JSON object).")
    return found


def _configuration(tenant: tuple[str, ...], organization: bool) -> str:
    """The path of TENANT's configuration, or of the organization's: one of them, never both."""
    if organization == bool(tenant) or len(tenant) > 1:
        raise click.UsageError("Name one TENANT, or pass --organization instead.")
    return "configuration" if organization else f"tenants/{tenant[0]}/configuration"


# TENANT, or --organization instead: TENANT takes what is before the last argument (as `cp SRC... DST` does), so
# `plan --organization DOCUMENT` reads DOCUMENT as the document
tenant_argument = click.argument("tenant", nargs=-1, metavar="[TENANT]")
organization_option = click.option(
    "--organization", is_flag=True, help="The organization's configuration (its alert rules and templates)."
)


def _show_plan(plan: dict[str, Any]) -> None:
    marks = {"create": "+", "update": "~"}
    for item in plan["objects"]:
        if item["action"] in marks:
            click.echo(f"{marks[item['action']]} {item['kind']} {item['name']!r}")
            for change in item["changes"]:
                click.echo(f"    {change['field']}: {json.dumps(change['current'])} -> {json.dumps(change['desired'])}")
    for problem in plan["problems"]:
        click.echo(f"! {problem['target']}: {problem['message']}", err=True)
    click.echo(f"{plan['creates']} to create, {plan['updates']} to change, {plan['unchanged']} unchanged.")


@click.group()
@click.option("--api", envvar="CLOUDPC_API", required=True, help="The API's base URL, e.g. https://<app>/api.")
@click.option(
    "--token",
    envvar="CLOUDPC_TOKEN",
    help="A ready bearer token for the API (locally: `make token`); otherwise one is got by --sign-in.",
)
@click.option(
    "--sign-in",
    type=click.Choice(sorted(SIGN_INS)),
    default="azure-cli",
    show_default=True,
    help="How to get a token: the Azure CLI's signed-in account, or a device-code sign-in.",
)
@click.pass_context
def cloudpc(context: click.Context, api: str, token: str | None, sign_in: str) -> None:
    """The Cloud PC provisioning service from the command line."""
    context.obj = Api(api, token, sign_in)


@cloudpc.group()
def config() -> None:
    """A tenant's configuration, or the organization's, as one document: export it, plan it, apply it."""


@config.command()
@tenant_argument
@organization_option
@click.option("--output", "-o", type=click.File("w"), default="-", help="Where to write the document (stdout: -).")
@click.pass_obj
def export(api: Api, tenant: tuple[str, ...], organization: bool, output: TextIO) -> None:
    """Write TENANT's configuration document (or the organization's), its objects named by their stable names."""
    document = api.call("GET", _configuration(tenant, organization))
    json.dump(document, output, indent=2, ensure_ascii=False)
    output.write("\n")


@config.command()
@tenant_argument
@click.argument("document", type=click.File("r"))
@organization_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as the API answers it.")
@click.pass_obj
def plan(api: Api, tenant: tuple[str, ...], document: TextIO, organization: bool, as_json: bool) -> None:
    """Say what DOCUMENT would change in TENANT (or the organization); exits 0 when nothing, 2 when something, 1 on a
    problem."""
    found = api.call("POST", f"{_configuration(tenant, organization)}:plan", _read(document))
    if as_json:
        click.echo(json.dumps(found, indent=2))
    else:
        _show_plan(found)
    sys.exit(PROBLEMS if found["problems"] else CHANGES if found["creates"] or found["updates"] else NO_CHANGES)


@config.command()
@tenant_argument
@click.argument("document", type=click.File("r"))
@organization_option
@click.option(
    "--if-match",
    help="The configuration version DOCUMENT was planned against (default: the document's own `version`, "
    "that of its export).",
)
@click.pass_obj
def apply(api: Api, tenant: tuple[str, ...], document: TextIO, organization: bool, if_match: str | None) -> None:
    """Apply DOCUMENT to TENANT (or the organization): refused (nothing saved) if any object has a problem or the
    configuration changed since."""
    path = _configuration(tenant, organization)
    body = _read(document)
    version = str(if_match or body.get("version") or "").removeprefix("W/").strip('"')
    if not version:
        raise click.UsageError("DOCUMENT has no version: pass --if-match with the version it was planned against.")
    applied = api.call("POST", f"{path}:apply", body, {"If-Match": f'"{version}"'})
    _show_plan(applied)
