"""Prefix search: the ranges storage filters on always hold what the rule finds, within the comparison limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.storage.prefix_search import MAX_COMPARISONS, key_ranges, range_filter, starts_with, variants
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, cloud_pc


def utf16(text: str) -> bytes:
    """A string's sort key as Table Storage orders strings: by UTF-16 code unit."""
    return text.encode("utf-16-be")


def test_ranges_split_on_the_first_characters_case_while_the_filter_can_afford_it() -> None:
    assert key_ranges("adele", 3, MAX_COMPARISONS - 1) == [("ADELE", "Adelf"), ("aDELE", "adelf")]
    assert key_ranges("adele", 3, 11) == [("ADELE", "adelf")]  # 3 columns x 2 ranges x 2 comparisons is 12
    assert key_ranges("9-ab", 3, 14) == [("9-AB", "9-ac")]  # no case: one range
    assert key_ranges("ab\x00cd", 3, 14) == [("AB", "Ac"), ("aB", "ac")]  # as far as a range can stand for
    assert key_ranges("\x00", 3, 14) == key_ranges("\U0001f600", 3, 14) == []  # the rule alone judges
    assert key_ranges("a", 3, 5) == []  # not even one range per column fits


def test_the_filter_names_each_range_once_for_every_column() -> None:
    query, parameters = range_filter(["upn", "name"], [("A", "B"), ("a", "b")])
    assert query == (
        "( upn ge @s0 and upn lt @e0 ) or ( upn ge @s1 and upn lt @e1 ) or "
        "( name ge @s0 and name lt @e0 ) or ( name ge @s1 and name lt @e1 )"
    )
    assert parameters == {"s0": "A", "e0": "B", "s1": "a", "e1": "b"}


def test_the_rule_is_a_prefix_in_any_case_and_nothing_looser() -> None:
    assert starts_with("Adele Vance", "aDELE v")
    assert starts_with("ZOË", "zoë")
    assert not starts_with("Bada", "ada")
    assert not starts_with("Ad", "ade")
    assert not starts_with(None, "a")
    assert starts_with("anything", "")


@st.composite
def text_and_match(draw: st.DrawFn) -> tuple[str, str]:
    """A search text and a value the rule finds with it: each character in one of its cases, then anything."""
    text = draw(st.text(min_size=1, max_size=12))
    cased = "".join(draw(st.sampled_from(variants(char))) for char in text)
    return text, cased + draw(st.text(max_size=6))


@given(text_and_match(), st.integers(min_value=0, max_value=MAX_COMPARISONS - 1))
def test_every_value_the_rule_finds_lies_in_a_range(case: tuple[str, str], comparisons_left: int) -> None:
    text, value = case
    assert starts_with(value, text)
    ranges = key_ranges(text, 3, comparisons_left)
    assert 2 * 3 * len(ranges) <= comparisons_left
    if ranges:
        assert any(utf16(low) <= utf16(value) < utf16(high) for low, high in ranges), ranges


def test_the_fake_searches_as_the_repository_does_and_pages() -> None:
    fakes = Fakes()
    for user, status in [("adele", "provisioned"), ("Ada", "failed"), ("bada", "provisioned")]:
        cloud_pc(fakes, user, status=status)
    items, token = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, search="AD", top=1)
    assert [c.user_id for c in items] == ["Ada"] and token is not None
    rest, token = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, search="AD", top=1, skip_token=token)
    assert [c.user_id for c in rest] == ["adele"] and token is None
    failed, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {"status": "failed"}, search="ad")
    assert [c.user_id for c in failed] == ["Ada"]
