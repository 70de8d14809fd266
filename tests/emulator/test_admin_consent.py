"""Admin consent in a browser, as Entra's endpoint does it: sign-in, the permissions asked, Accept or Cancel, and
back to a registered redirect URI only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from azure_emulator.consent import administrator_upn
from azure_emulator.launcher import EmulatorProcess
from tests.utils.graph_admin import GraphAdmin

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RETURN = "http://127.0.0.1:7071/api/portal/"
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class Consenting:
    emulator: EmulatorProcess
    session: requests.Session
    tenant: str
    app: str

    @property
    def url(self) -> str:
        return f"{self.emulator.base_url}/{self.tenant}/v2.0/adminconsent"

    @property
    def administrator(self) -> str:
        return administrator_upn(self.tenant)

    def open(self, redirect_uri: str = RETURN) -> requests.Response:
        query = {"client_id": self.app, "scope": GRAPH_SCOPE, "redirect_uri": redirect_uri, "state": "t-1"}
        return self.session.get(self.url, params=query, allow_redirects=False, timeout=30)

    def post(self, page: requests.Response, **fields: str) -> requests.Response:
        """The page's form sent back, as a browser sends it, with `fields` typed or clicked."""
        form = {name: unescape(value) for name, value in FIELD.findall(page.text)} | fields
        return self.session.post(self.url, data=form, allow_redirects=False, timeout=30)

    def consented(self) -> bool:
        found = self.session.get(f"{self.emulator.base_url}/emulator/tenants/{self.tenant}/apps/{self.app}", timeout=30)
        return bool(found.json()["consented"])


@pytest.fixture
def consenting(azure_emulator: EmulatorProcess) -> Iterator[Consenting]:
    app = str(uuid.uuid4())
    with azure_emulator.session() as session:
        asked = ["User.Read.All", "CloudPC.ReadWrite.All"]
        registration = {"displayName": "Cloud PC provisioning", "graphPermissions": asked, "redirectUris": [RETURN]}
        put = session.put(f"{azure_emulator.base_url}/emulator/applications/{app}", json=registration, timeout=30)
        assert put.status_code == 200, put.text
        yield Consenting(azure_emulator, session, str(uuid.uuid4()), app)


def back_to(reply: requests.Response) -> dict[str, list[str]]:
    assert reply.status_code == 302, reply.text
    location = reply.headers["Location"]
    assert location.startswith(RETURN + "?"), location
    return parse_qs(urlsplit(location).query)


def test_the_tenants_administrator_signs_in_sees_the_permissions_and_accepts(consenting: Consenting) -> None:
    sign_in = consenting.open()
    assert sign_in.status_code == 200 and sign_in.headers["Content-Type"].startswith("text/html")
    assert "Cloud PC provisioning" in sign_in.text and '<label for="upn">' in sign_in.text
    asked = consenting.post(sign_in, username=consenting.administrator)
    assert asked.status_code == 200, asked.text
    assert "Read all users&#x27; full profiles" in asked.text and "Read and write Cloud PCs" in asked.text
    assert not consenting.consented()  # nothing is granted before Accept

    returned = back_to(consenting.post(asked, decision="accept"))
    assert returned == {
        "admin_consent": ["True"],
        "tenant": [consenting.tenant],
        "scope": [GRAPH_SCOPE],
        "state": ["t-1"],
    }
    assert consenting.consented()


def test_cancel_goes_back_with_access_denied_and_grants_nothing(consenting: Consenting) -> None:
    asked = consenting.post(consenting.open(), username=consenting.administrator)
    returned = back_to(consenting.post(asked, decision="cancel"))
    assert returned["error"] == ["access_denied"] and returned["state"] == ["t-1"]
    assert returned["error_description"][0].startswith("AADSTS65004: User declined to consent")
    assert not consenting.consented()


def test_an_unregistered_redirect_uri_gets_entras_error_page_and_no_redirect(consenting: Consenting) -> None:
    for page in (consenting.open("https://attacker.example/"), consenting.open(RETURN + "other")):
        assert page.status_code == 400 and "Location" not in page.headers
        assert "AADSTS50011" in page.text
    # a form posted straight back with another address is refused the same, even by the administrator
    forged = consenting.post(
        consenting.open(),
        redirect_uri="https://attacker.example/",
        username=consenting.administrator,
        decision="accept",
    )
    assert forged.status_code == 400 and "AADSTS50011" in forged.text
    assert not consenting.consented()


def test_only_the_tenants_administrator_may_consent(consenting: Consenting) -> None:
    user = GraphAdmin(consenting.emulator, consenting.tenant).create_user("carol")
    assert user
    other_tenant = str(uuid.uuid4())
    refusals = {
        f"carol@{consenting.tenant[:8]}.onmicrosoft.example": "AADSTS90094",  # a user of the tenant, not an admin
        administrator_upn(other_tenant): "AADSTS50020",  # another tenant's administrator
        "nobody@example.com": "AADSTS50034",
    }
    for upn, code in refusals.items():
        refused = consenting.post(consenting.open(), username=upn)
        assert refused.status_code == 400 and code in refused.text, (upn, refused.text)
        assert 'aria-invalid="true"' in refused.text
        accepted_anyway = consenting.post(consenting.open(), username=upn, decision="accept")
        assert accepted_anyway.status_code == 400 and "Location" not in accepted_anyway.headers
    assert not consenting.consented()


def test_a_script_with_the_administrators_token_still_consents_at_once(consenting: Consenting) -> None:
    asked = {"tenantId": consenting.tenant, "audience": "https://graph.microsoft.com"}
    token = consenting.session.post(f"{consenting.emulator.base_url}/emulator/token", json=asked, timeout=30)
    consenting.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    assert back_to(consenting.open())["admin_consent"] == ["True"]
    assert consenting.consented()
