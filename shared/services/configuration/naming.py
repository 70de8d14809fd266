"""Cloud PC naming templates: `%USERNAME:X%` and `%RAND:Y%` macros, checked and expanded."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from shared.errors import ErrorDetail
from shared.models.policies import MAX_LENGTH, MAX_LITERAL, MIN_LENGTH, MIN_RAND

DEFAULT_TEMPLATE = "CPC-%USERNAME:5%-%RAND:5%"
MACRO = re.compile(r"%([A-Za-z]+)(?::(\d+))?%")
LITERAL = re.compile(r"^[A-Za-z0-9-]*$")
RAND_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: names get read aloud to help desks


@dataclass(frozen=True)
class Template:
    parts: tuple[tuple[str, int] | str, ...]  # literal text, or (macro, width)

    @property
    def length(self) -> int:
        return sum(len(p) if isinstance(p, str) else p[1] for p in self.parts)


def parse_template(text: str, target: str = "cloudPcNamingTemplate") -> tuple[Template | None, list[ErrorDetail]]:
    """The template, or every rule it breaks (one detail each)."""
    problems: list[str] = []
    parts: list[tuple[str, int] | str] = []
    position = 0
    for match in MACRO.finditer(text):
        parts.append(text[position : match.start()])
        name, width = match.group(1), match.group(2)
        if name not in ("USERNAME", "RAND"):
            problems.append(f"%{name}% is not a macro; use %USERNAME:X% or %RAND:Y%")
        elif width is None or int(width) < 1:
            problems.append(f"%{name}% needs a length, as in %{name}:5%")
        else:
            parts.append((name, int(width)))
        position = match.end()
    parts.append(text[position:])
    literals = [p for p in parts if isinstance(p, str)]
    literal_text = "".join(literals)
    if "%" in literal_text:
        problems.append("a % sign must open a macro such as %RAND:5%")
    elif not LITERAL.match(literal_text):
        problems.append("may only contain letters, digits and hyphens besides the macros")
    if len(literal_text) > MAX_LITERAL:
        problems.append(f"has {len(literal_text)} fixed characters; at most {MAX_LITERAL} are allowed")
    rands = [p[1] for p in parts if isinstance(p, tuple) and p[0] == "RAND"]
    if not rands:
        problems.append(f"must contain %RAND:Y% with Y of at least {MIN_RAND}, so that names are unique")
    elif len(rands) > 1:
        problems.append("may contain %RAND:Y% only once")
    elif rands[0] < MIN_RAND:
        problems.append(f"%RAND:{rands[0]}% is too short; Y must be at least {MIN_RAND}")
    if sum(1 for p in parts if isinstance(p, tuple) and p[0] == "USERNAME") > 1:
        problems.append("may contain %USERNAME:X% only once")
    template = Template(tuple(p for p in parts if p != ""))
    if not MIN_LENGTH <= template.length <= MAX_LENGTH:
        problems.append(
            f"expands to {template.length} characters; names must be {MIN_LENGTH} to {MAX_LENGTH} characters"
        )
    if problems:
        return None, [ErrorDetail("invalidNamingTemplate", f"{target}: {p}.", target) for p in problems]
    return template, []


def expand_template(template: Template, user_name: str, seed: str) -> str:
    """The device name for a user; `seed` makes the random part repeatable (idempotent retries)."""
    clean_user = re.sub(r"[^A-Za-z0-9]", "", user_name.split("@")[0]).upper()
    digest = hashlib.sha256(seed.encode()).digest()
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part.upper())
        elif part[0] == "USERNAME":
            out.append(clean_user[: part[1]])
        else:
            out.append("".join(RAND_ALPHABET[digest[i % len(digest)] % len(RAND_ALPHABET)] for i in range(part[1])))
    return "".join(out)
