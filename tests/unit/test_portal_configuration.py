"""Where the portal signs in, derived from the API's own trust settings unless set, and the pages' security policy."""

from __future__ import annotations

from shared.settings import Settings
from triggers.http_portal import content_security_policy, portal_configuration

ISSUER = "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0"


def test_the_portal_signs_in_where_the_api_trusts_tokens_from() -> None:
    settings = Settings(
        auth_issuers=f"{ISSUER}, https://other/v2.0", auth_audience="api://app-id", app_client_id="app-id"
    )
    found = portal_configuration(settings)
    assert (found.authority, found.client_id, found.scope) == (ISSUER, "app-id", "api://app-id/access_as_user")


def test_a_v2_audience_is_asked_for_by_its_application_id_uri() -> None:
    # Entra's v2.0 tokens carry the bare client id as `aud`; the scope still names the API by api://<client id>
    found = portal_configuration(
        Settings(auth_issuers=ISSUER, auth_audience="app-id, api://app-id", app_client_id="app-id")
    )
    assert found.scope == "api://app-id/access_as_user"


def test_a_portal_registration_of_its_own_wins() -> None:
    settings = Settings(
        auth_issuers=ISSUER,
        auth_audience="api://app-id",
        app_client_id="app-id",
        portal_client_id="spa-id",
        portal_authority="https://login.example/tenant/v2.0/",
        portal_scope="api://app-id/portal",
    )
    found = portal_configuration(settings)
    assert (found.authority, found.client_id, found.scope) == (
        "https://login.example/tenant/v2.0",
        "spa-id",
        "api://app-id/portal",
    )


def test_pages_may_talk_only_to_the_api_and_the_authority() -> None:
    policy = content_security_policy(ISSUER, docs=False)
    assert "connect-src 'self' https://login.microsoftonline.com;" in policy
    assert "style-src 'self';" in policy  # the portal styles by stylesheet (and the CSSOM) only
    assert "'unsafe-inline'" in content_security_policy(ISSUER, docs=True)  # Swagger UI styles inline
