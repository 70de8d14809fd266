"""What the OpenAPI document says about the models' types: JSON Schema keywords, and validators' rules as patterns.

The document's schemas are what schemathesis generates "valid" requests from, so each keyword states exactly what a
validator in `shared/models/base.py` checks, in a regex both JSON Schema (ECMA 262) and Python's `re` read alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

# control, format (zero-width, bidirectional overrides), line and paragraph separators, private use, surrogates:
# characters that hide in a name or make it read as something else
HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}


# (documentation only: the validators in base.py decide)


class JsonSchemaKeywords:
    """JSON Schema keywords added to a type's schema; a callable value is computed when the schema is made.

    With `name`, the type becomes a named schema (a `$ref` to `#/components/schemas/<name>`) instead of being
    repeated inline wherever it is used: for the large character classes of names.
    """

    def __init__(self, name: str | None = None, **keywords: Any) -> None:
        self.name = name
        self.keywords = keywords

    def __repr__(self) -> str:
        return f"JsonSchemaKeywords({self.name!r}, {sorted(self.keywords)})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # the keywords go with this schema itself (not with the annotation): a named type used inside another
        # (PolicyName is a DisplayName) keeps them on its own named schema
        schema = dict(handler(source))
        metadata = dict(schema.get("metadata") or {})
        metadata["pydantic_js_functions"] = [*metadata.get("pydantic_js_functions", []), self._add_keywords]
        schema["metadata"] = metadata
        if self.name:
            schema["ref"] = self.name
        return cast(CoreSchema, schema)

    def _add_keywords(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # beside a $ref (PolicyName: a DisplayName, and more) the keywords apply too, as JSON Schema 2020-12 says
        return {
            **handler(schema),
            **{key: value() if callable(value) else value for key, value in self.keywords.items()},
        }


def _not_null(schema: dict[str, Any]) -> None:
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])
    schema.pop("default", None)


def omittable(**field: Any) -> Any:
    """A merge-patch field that may be left out (unchanged) but not set to null: the resource needs a value.

    The type stays `X | None` (left out reads as None), and a null is refused with 400 by the update's own
    checks; this only keeps the document from offering null: the JSON schema loses its null branch and its
    `default: null`.
    """
    return Field(default=None, json_schema_extra=_not_null, **field)


def code_point_ranges(keep: Callable[[int], bool]) -> list[tuple[int, int]]:
    """The runs of code points (surrogates included) for which `keep` holds, as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for code in range(0x110000):
        if keep(code):
            if start is None:
                start = code
        elif start is not None:
            runs.append((start, code - 1))
            start = None
    if start is not None:
        runs.append((start, 0x10FFFF))
    return runs


def _class_char(code: int) -> str:
    if 0x21 <= code <= 0x7E:
        return "\\" + chr(code) if chr(code) in "\\]^-[" else chr(code)
    if code > 0xFFFF:  # no escape for these means the same to ECMA and Python: the character itself
        return chr(code)
    return f"\\u{code:04x}"


def char_class(runs: list[tuple[int, int]]) -> str:
    """A regex character class of these runs (no surrogates: no UTF-8 text holds them, no Rust regex names them)."""
    parts = []
    for first, last in runs:
        if first <= 0xDFFF and last >= 0xD800:
            raise ValueError("surrogates cannot be named in a pattern both JSON Schema and Python read")
        parts.append(_class_char(first) if first == last else f"{_class_char(first)}-{_class_char(last)}")
    return "[" + "".join(parts) + "]"


def _category(code: int) -> str:
    return unicodedata.category(chr(code))


def _hidden(code: int) -> bool:
    return _category(code) in HIDDEN_CATEGORIES and not 0xD800 <= code <= 0xDFFF


# Hypothesis draws from a character class by listing its ranges one code point at a time, which takes seconds
# for the hundreds of thousands in the private-use planes or among the letters; what a negative lookahead names
# it never lists (it draws, and schemathesis drops the draws the pattern refuses). So the large runs go there.
LISTED = 512


@cache
def allowed_text_char() -> str:
    """One character a name or description may hold: none of HIDDEN_CATEGORIES (CONTROL_CHARS are all Cc).

    Surrogates (Cs) cannot be named in a pattern (see char_class): a lone surrogate, which no UTF-8 text holds,
    is the one difference between this and the check.
    """
    hidden = code_point_ranges(_hidden)
    small = [(first, last) for first, last in hidden if last - first < LISTED]
    large = [(first, last) for first, last in hidden if last - first >= LISTED]
    return f"(?:(?!{char_class(large)})[^{char_class(small)[1:]})"


@cache
def invisible_text_class() -> str:
    """The characters, besides the hidden ones, that `_something_visible` does not count: marks, spaces and
    unassigned code points (it wants a letter, digit, punctuation mark or symbol)."""
    return char_class(
        code_point_ranges(
            lambda code: not _hidden(code) and not 0xD800 <= code <= 0xDFFF and _category(code)[0] not in "LNPS"
        )
    )


def text_pattern() -> str:
    """Description's character rule as a pattern: allowed characters only."""
    return f"^{allowed_text_char()}*$"


def name_pattern() -> str:
    """DisplayName's character rules as a pattern: allowed characters only, one of them visible.

    Surrounding spaces are trimmed before the length is checked, so spaces alone are refused as too short; the
    visible character the pattern asks for rules them out too.
    """
    allowed = allowed_text_char()
    return f"^{allowed}*(?!{invisible_text_class()}){allowed}{allowed}*$"


def without_chars_pattern(chars: str) -> str:
    """A pattern refusing exactly these (ASCII or BMP) characters."""
    return "^[^" + "".join(_class_char(ord(char)) for char in sorted(chars)) + "]*$"


def ecma_pattern(regex: re.Pattern[str]) -> str:
    """A validator's regex as a JSON Schema pattern that ECMA 262 and Python's `re` read alike.

    Named groups become plain groups; IGNORECASE becomes both cases of each literal letter (a character class is
    copied as it is, so under IGNORECASE it must already name both cases); `\\s` becomes the characters Python
    counts as whitespace. `\\w` and `\\d` become their ASCII meaning, which is what ECMA gives them: Python's also
    take non-ASCII letters and digits, which the document does not offer (the server still accepts them).
    """
    source, ignore_case = regex.pattern, bool(regex.flags & re.IGNORECASE)
    out: list[str] = []
    in_class, i = False, 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            escape = source[i : i + 2]
            meaning = _python_whitespace() if escape == "\\s" else {"\\w": "A-Za-z0-9_", "\\d": "0-9"}.get(escape)
            if meaning is None:
                out.append(escape)
            else:
                out.append(meaning if in_class else f"[{meaning}]")
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if source[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if source[i + 1 : i + 2] == "]":  # a leading ] is a literal one
                out.append("\\]")
                i += 1
        elif source.startswith("(?P<", i):
            i = source.index(">", i) + 1
            out.append("(")
            continue
        elif ignore_case and char.isascii() and char.isalpha():
            out.append(f"[{char.upper()}{char.lower()}]")
        else:
            out.append(char)
        i += 1
    return "".join(out)


@cache
def _python_whitespace() -> str:
    """What `\\s` matches in a Python str pattern, as the inside of a character class."""
    return char_class(code_point_ranges(lambda code: not 0xD800 <= code <= 0xDFFF and chr(code).isspace()))[1:-1]


@cache
def _trimmed_whitespace() -> str:
    """What pydantic trims from a string (`str_strip_whitespace`): Unicode's White_Space, which is Python's `isspace`
    without the four information separators U+001C to U+001F."""
    return char_class(
        code_point_ranges(
            lambda code: not 0xD800 <= code <= 0xDFFF and chr(code).isspace() and not 0x1C <= code <= 0x1F
        )
    )[1:-1]


def trimmed_length_pattern(least: int) -> str:
    """A string at least `least` characters long once pydantic trims its surrounding whitespace: its first and last
    characters that are not such whitespace are that far apart. Unanchored: found anywhere, as JSON Schema's
    `pattern` is."""
    solid = f"[^{_trimmed_whitespace()}]"
    return solid if least == 1 else f"{solid}[\\s\\S]{{{least - 2},}}{solid}"


class AppJsonSchema(GenerateJsonSchema):
    """The document's JSON Schema generator: what pydantic checks after trimming, the document says too.

    Request bodies trim surrounding whitespace before a length is checked (InputModel's `str_strip_whitespace`, or
    a type's own `strip_whitespace`), so spaces alone are too short however many there are: a string with a minimum
    length gets the pattern saying so (a type with a pattern of its own already rules them out)."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        json_schema = super().str_schema(schema)
        least = int(schema.get("min_length") or 0)
        trimmed = schema.get("strip_whitespace", self._config.str_strip_whitespace)
        if least and trimmed and "pattern" not in json_schema:
            json_schema["pattern"] = trimmed_length_pattern(least)
        return json_schema


def status_subsets(statuses: tuple[str, ...], **subsets: frozenset[str]) -> dict[str, Any]:
    """A status field's named subsets, in the document as `x-subsets` (in the statuses' order) for a client to share."""
    return {
        "x-subsets": {name: [status for status in statuses if status in subset] for name, subset in subsets.items()}
    }
