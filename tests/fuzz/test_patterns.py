"""Each validator's pattern as the OpenAPI document states it judges generated values as the validator does.

Property-based (Hypothesis generates values from each pattern, then changes one character), so it lives in the
tier of generated inputs; `make fuzz` gives it FUZZ_EXAMPLES examples per pattern when that is more."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from shared.models.base import InputModel
from shared.models.connections import FQDN, OU, UPN, DomainName, DomainUserName, OrganizationalUnit
from shared.models.images import SOURCE_IMAGE_ID, VERSION, ImageVersion, SourceImageId
from shared.models.json_schema import ecma_pattern, trimmed_length_pattern
from shared.models.policies import GROUP_ID, GroupId
from shared.models.sites import RESOURCE_GROUP_RULE, SUBNET_ID, VNET_ID, ResourceGroupName, SubnetId, VirtualNetworkId
from shared.models.spot_sessions import SESSION_ID, SessionId
from tests.fuzz.harness import FUZZ_EXAMPLES
from tests.utils.validation import accepted

# the fuzz tier's devhost runs in threads of this process and draws from the global `random` (retry jitter) while
# Hypothesis generates; Hypothesis takes that for a strategy using `random`, which none of these does
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning"
)
EXAMPLES = settings(
    max_examples=max(150, FUZZ_EXAMPLES), deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


PATTERNED = [
    (ResourceGroupName, RESOURCE_GROUP_RULE),
    (VirtualNetworkId, VNET_ID),
    (SubnetId, SUBNET_ID),
    (SourceImageId, SOURCE_IMAGE_ID),
    (ImageVersion, VERSION),
    (DomainName, FQDN),
    (DomainUserName, UPN),
    (OrganizationalUnit, OU),
    (GroupId, GROUP_ID),
    (SessionId, SESSION_ID),
]
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@pytest.mark.parametrize(("kind", "regex"), PATTERNED)
def test_each_pattern_is_the_validators_regex(kind: Any, regex: re.Pattern[str]) -> None:
    assert TypeAdapter(kind).json_schema()["pattern"] == ecma_pattern(regex)


@pytest.mark.parametrize(("kind", "regex"), PATTERNED)
def test_what_a_pattern_matches_is_accepted_and_one_changed_character_is_judged_alike(
    kind: Any, regex: re.Pattern[str]
) -> None:
    pattern = re.compile(ecma_pattern(regex))

    @EXAMPLES
    @given(st.from_regex(pattern, fullmatch=True, alphabet=ASCII), st.integers(min_value=0), ASCII)
    def check(value: str, where: int, char: str) -> None:
        assert accepted(kind, value), value
        changed = value[: where % (len(value) + 1)] + char + value[where % (len(value) + 1) + 1 :]
        assert bool(pattern.search(changed)) == accepted(kind, changed), changed

    check()


class Trimmed(InputModel):
    """A request body's string, as the app's models trim it."""

    text: str


@pytest.mark.parametrize("least", [1, 2, 5])
def test_the_trimmed_length_pattern_is_what_a_trimmed_length_check_takes(least: int) -> None:
    pattern = re.compile(trimmed_length_pattern(least))

    @EXAMPLES
    @given(st.text(st.sampled_from(" \t\n\u3000\u00a0\u2028\x1dab")))
    def check(value: str) -> None:
        assert bool(pattern.search(value)) == (len(Trimmed(text=value).text) >= least), repr(value)

    check()
