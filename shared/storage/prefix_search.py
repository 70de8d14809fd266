"""Prefix search over string columns of a Table: key ranges that narrow it on the server, and the exact rule.

Table Storage can compare strings but not fold their case, and a second, lower-cased copy of every searched
column is a copy to keep in step. So the search is two parts that never disagree on what matches:
- `starts_with` is the rule: a value matches when it begins with the text, each character matching itself or its
  upper- or lower-case form ("adele" finds "Adele Vance" and "ADELE-PC").
- `key_ranges` are [low, high) string ranges that together hold every value the rule accepts, and usually little
  else, so storage returns few rows for the rule to judge. They are only ever a superset: a looser range costs
  reads, never results.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_COMPARISONS = 15  # Table Storage refuses a $filter with more discrete comparisons than this
# Storage orders strings by UTF-16 code unit and Python by code point; the two agree below the surrogates, and
# one less keeps the character after a bound's last one there too
ORDERED_BELOW = 0xD7FF


def variants(char: str) -> list[str]:
    """The character and its upper- and lower-case forms (those that are one character), in code-point order."""
    return sorted({form for form in (char, char.lower(), char.upper()) if len(form) == 1})


def starts_with(value: str | None, text: str) -> bool:
    """Whether `value` begins with `text`, each character matching itself or its other case."""
    if value is None or len(value) < len(text):
        return False
    return all(found in variants(wanted) for found, wanted in zip(value, text, strict=False))


def _narrowing(text: str) -> str:
    """The leading characters a key range can stand for: printable, below where the two orders part."""
    for index, char in enumerate(text):
        if not all(form.isprintable() and ord(form) < ORDERED_BELOW for form in variants(char)):
            return text[:index]
    return text


def key_ranges(text: str, columns: int, comparisons_left: int) -> list[tuple[str, str]]:
    """[low, high) ranges, for each of `columns` columns, that hold every value `text` matches.

    One range per case of the first character (`adele` -> `ADELE`..`Adelf`, `aDELE`..`adelf`) when the filter
    can spend the comparisons on them, else one range spanning both; none when the text begins with a character
    a range cannot stand for (the rule alone then judges the rows the other filters leave).
    """
    narrowed = _narrowing(text)
    if not narrowed or 2 * columns > comparisons_left:
        return []
    rest_low = "".join(variants(char)[0] for char in narrowed[1:])
    rest_high = "".join(variants(char)[-1] for char in narrowed[1:])
    firsts = variants(narrowed[0])
    if 2 * len(firsts) * columns > comparisons_left:
        return [(firsts[0] + rest_low, _after(firsts[-1] + rest_high))]
    return [(first + rest_low, _after(first + rest_high)) for first in firsts]


def _after(prefix: str) -> str:
    """The least string above every string that begins with `prefix` (whose characters are below ORDERED_BELOW)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def range_filter(columns: Sequence[str], ranges: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """`( c ge @s0 and c lt @e0 ) or ...` for every column and range, and its parameters (the SDK finds a
    parameter only between spaces, and quotes its value)."""
    clauses = [f"( {column} ge @s{n} and {column} lt @e{n} )" for column in columns for n in range(len(ranges))]
    parameters: dict[str, str] = {}
    for n, (low, high) in enumerate(ranges):
        parameters |= {f"s{n}": low, f"e{n}": high}
    return " or ".join(clauses), parameters
