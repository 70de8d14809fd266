"""A refused request body says what is wrong in plain words, naming the field: never pydantic's phrasing."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pydantic import ValidationError

from shared.models.alerts import AlertRuleCreate
from shared.models.policies import ProvisioningPolicyCreate
from shared.models.user_settings import UserSettingCreate
from shared.models.validation import validation_details


def _messages(model: type, body: Mapping[str, object]) -> dict[str | None, str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)  # type: ignore[attr-defined]
    return {detail.target: detail.message for detail in validation_details(refused.value)}


def test_an_empty_name_is_said_to_be_empty_and_a_long_one_too_long() -> None:
    assert _messages(UserSettingCreate, {"displayName": "  "}) == {"displayName": "displayName: must not be empty"}
    too_long = _messages(UserSettingCreate, {"displayName": "x" * 300})
    assert too_long == {"displayName": "displayName: must be at most 256 characters"}


def test_a_list_with_too_few_items_says_how_many_it_needs() -> None:
    body = {"displayName": "Finance", "imageType": "gallery", "imageId": "x", "domainJoinConfigurations": []}
    assert _messages(ProvisioningPolicyCreate, body)["domainJoinConfigurations"] == (
        "domainJoinConfigurations: needs at least 1 item"
    )


def test_a_field_of_a_union_member_is_named_by_the_callers_path_without_the_members_tag() -> None:
    channel = {"kind": "webhook", "url": "https://hooks.example.com/x", "secret": "short"}
    found = _messages(AlertRuleCreate, {"displayName": "Failures", "kind": "provisioningFailed", "channels": [channel]})
    assert list(found) == ["channels[0].secret"]
    assert list(_messages(AlertRuleCreate, {"displayName": "x", "kind": "provisioningFailed", "channels": [{}]})) == [
        "channels[0]"
    ]


def test_true_and_false_are_no_whole_numbers() -> None:
    body = {"displayName": "Few licenses", "kind": "licensesLow", "threshold": False}
    assert _messages(AlertRuleCreate, body) == {"threshold": "threshold: must be a whole number"}
    assert AlertRuleCreate.model_validate({**body, "threshold": 618.0}).threshold == 618  # JSON Schema's integer
