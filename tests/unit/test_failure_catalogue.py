"""The failure catalogue covers every code the emulator can answer with or be armed to fail with, and the API shows
its words beside the provider's message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from azure_emulator.controls import Fault, fault_message
from shared.models.cloud_pcs import StatusDetail
from shared.models.failures import CATALOGUE, StepDetail, words_for
from shared.models.images import DeviceImage
from shared.services.configuration.health_checks import RECOMMENDED_ACTIONS
from shared.storage.entity_codec import EntityCodec

ROOT = Path(__file__).resolve().parents[2]
# ApiError(409, <code>, ...) and the codes the emulator gives a fault armed without one
ANSWERED = re.compile(r"ApiError\(\s*\d+,\s*\"(\w+)\"")
# controls.fault(<operation>, 1, <code>), fault(<operation>, count=2, error_code=<code>) and {"errorCode": <code>}
ARMED = re.compile(r"fault\(\s*\"\w[\w.]*\",\s*(?:count=)?\d+,\s*(?:error_code=)?\"(\w+)\"|\"errorCode\": \"(\w+)\"")
# Entra ID's sign-in errors are OAuth's, answered to the token request, never shown as a work's failure
OAUTH = {"invalid_scope", "invalid_request", "invalid_client", "invalid_grant", "temporarily_unavailable"}


def _codes(pattern: re.Pattern[str], *folders: str) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                found.update(group for group in match.groups() if group)
    return found


def test_every_code_the_emulator_answers_or_is_armed_with_has_a_sentence_and_an_action() -> None:
    answered = _codes(ANSWERED, "azure_emulator")
    armed = _codes(ARMED, "tests", "bench")
    defaults = {Fault(1, status=status).code for status in (400, 403, 404, 409, 429, 500, 503)}
    assert len(answered) > 40 and len(armed) > 10  # the scans found what they look for
    health_checks = {code for code in armed if code in RECOMMENDED_ACTIONS}  # explained by their own table
    missing = sorted(code for code in answered | armed | defaults if words_for(code) is None)
    assert [code for code in missing if code not in health_checks | OAUTH] == []


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_entry_is_a_sentence_and_an_action_in_an_admins_words(code: str) -> None:
    words = CATALOGUE[code]
    for text in words:
        assert text[0].isupper() and text.endswith(".") and "Injected" not in text
        assert not re.search(r"\b(exception|traceback|stack)\b", text, re.IGNORECASE)


def test_an_armed_failure_reads_as_a_provider_message_naming_its_code() -> None:
    assert fault_message("createVm", "AllocationFailed") == "The operation createVm failed with AllocationFailed."
    assert (Fault(1).code, Fault(1, status=429).code, Fault(1, status=503).code) == (
        "BadRequest",
        "TooManyRequests",
        "InternalServerError",
    )


def test_the_api_shows_the_words_beside_the_code_and_message_and_a_code_unknown_to_it_alone() -> None:
    shown = StatusDetail(code="allocationfailed", message="Allocation failed.").model_dump(mode="json")
    assert shown["summary"] == CATALOGUE["allocationfailed"].summary
    assert shown["recommendedAction"] == CATALOGUE["allocationfailed"].action
    unknown = StepDetail(code="SomethingNew", step="createVm", message="Azure's own words.").model_dump(mode="json")
    assert (unknown["summary"], unknown["recommendedAction"], unknown["message"]) == (None, None, "Azure's own words.")
    # a stored detail read back ignores the words it was saved with: the catalogue of today is what shows
    again = StatusDetail.model_validate(shown | {"summary": "stale"})
    assert again.summary == CATALOGUE["allocationfailed"].summary


def test_a_failed_image_upload_carries_its_code_details_and_words() -> None:
    image = DeviceImage.model_validate(
        {
            "id": "i1",
            "tenantId": "t",
            "displayName": "Golden",
            "siteId": "s",
            "version": "1.0.0",
            "sourceImageResourceId": "/subscriptions/x",
            "status": "failed",
            "errorCode": "sourceImageNotGeneralized",
            "createdDateTime": "2026-01-01T00:00:00Z",
            "lastModifiedDateTime": "2026-01-01T00:00:00Z",
        }
    )
    failure = image.model_dump(mode="json")["failure"]
    assert failure["code"] == "sourceImageNotGeneralized" and "generalized" in failure["summary"]
    assert DeviceImage.model_validate(image.model_dump(mode="json") | {"errorCode": None}).failure is None


def test_the_words_are_derived_on_the_way_out_and_never_stored() -> None:
    image = DeviceImage.model_validate(
        {
            "id": "i1",
            "tenantId": "t",
            "displayName": "Golden",
            "siteId": "s",
            "version": "1.0.0",
            "sourceImageResourceId": "/subscriptions/x",
            "status": "failed",
            "errorCode": "sourceImageInvalid",
            "createdDateTime": "2026-01-01T00:00:00Z",
            "lastModifiedDateTime": "2026-01-01T00:00:00Z",
        }
    )
    entity = EntityCodec(DeviceImage).to_entity(image, "t", "i1")
    assert "failure" not in entity and entity["errorCode"] == "sourceImageInvalid"
    assert EntityCodec(DeviceImage).from_entity(entity).failure == image.failure
