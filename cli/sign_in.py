"""The bearer token the command line calls the API with: one given ready, the Azure CLI's, or a device-code sign-in
with MSAL, each for the scope the API's portal configuration names."""

from __future__ import annotations

from collections.abc import Callable

import click
import msal
import requests
from azure.identity import AzureCliCredential

TIMEOUT = (10, 60)  # connect, read (seconds)


def _portal_configuration(api: str) -> dict[str, str]:
    """Where the API's users sign in, and the scope its tokens are for (anonymous: read before signing in)."""
    reply = requests.get(f"{api}/portal/configuration", timeout=TIMEOUT)
    reply.raise_for_status()
    found: dict[str, str] = reply.json()
    return found


def _resource_scope(scope: str) -> str:
    """The API's `.default` scope: the Azure CLI asks for a resource's, not for one delegated permission of it."""
    return scope.rsplit("/", 1)[0] + "/.default"


def azure_cli_token(api: str) -> str:
    scope = _resource_scope(_portal_configuration(api)["scope"])
    return AzureCliCredential().get_token(scope).token


def device_code_token(api: str) -> str:
    """A device-code sign-in (the app registration must allow public client flows); the prompt goes to stderr."""
    found = _portal_configuration(api)
    app = msal.PublicClientApplication(found["clientId"], authority=found["authority"])
    flow = app.initiate_device_flow(scopes=[found["scope"]])
    if "user_code" not in flow:
        raise click.ClickException(f"The device-code sign-in did not start: {flow.get('error_description', flow)}")
    click.echo(flow["message"], err=True)
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise click.ClickException(f"The sign-in failed: {result.get('error_description', result.get('error'))}")
    return str(result["access_token"])


SIGN_INS: dict[str, Callable[[str], str]] = {"azure-cli": azure_cli_token, "device-code": device_code_token}
