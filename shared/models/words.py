"""A count as an admin reads it: the noun in the singular for one."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 user`, `2 users`; `plural` where adding an s is wrong."""
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"
