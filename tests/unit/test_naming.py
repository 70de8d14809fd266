"""Naming-template grammar and expansion."""

from __future__ import annotations

import pytest

from shared.services.configuration.naming import DEFAULT_TEMPLATE, expand_template, parse_template


@pytest.mark.parametrize(
    "text", [DEFAULT_TEMPLATE, "%RAND:5%", "CPC-%RAND:10%", "ABCDEFGHIJ%RAND:5%", "%USERNAME:3%%RAND:12%"]
)
def test_valid_templates(text: str) -> None:
    template, problems = parse_template(text)
    assert problems == []
    assert template is not None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("CPC-%USERNAME:5%", "must contain %RAND:Y%"),
        ("CPC-%RAND:4%", "too short"),
        ("CPC_%RAND:5%", "letters, digits and hyphens"),
        ("CLOUDPC-%USERNAME:8%-%RAND:5%", "expands to 22 characters"),
        ("ABCDEFGHIJK%RAND:5%", "11 fixed characters"),
        ("%RAND%", "needs a length"),
        ("%HOST:3%%RAND:5%", "not a macro"),
        ("CPC%-%RAND:5%", "% sign"),
        ("%RAND:5%%RAND:5%", "only once"),
        ("AB%RAND:16%", "expands to 18"),
    ],
)
def test_invalid_templates_name_the_rule(text: str, fragment: str) -> None:
    template, problems = parse_template(text)
    assert template is None
    assert any(fragment in p.message for p in problems), [p.message for p in problems]
    assert all(p.target == "cloudPcNamingTemplate" for p in problems)


def test_expansion_is_repeatable_and_fits_the_rules() -> None:
    template, _ = parse_template(DEFAULT_TEMPLATE)
    assert template is not None
    first = expand_template(template, "adele.vance@contoso.com", "seed-1")
    assert first == expand_template(template, "adele.vance@contoso.com", "seed-1")
    assert first != expand_template(template, "adele.vance@contoso.com", "seed-2")
    assert first.startswith("CPC-ADELE-")
    assert len(first) == 15
    assert first.replace("-", "").isalnum()
