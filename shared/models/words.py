"""A count or a wait as an admin reads it: the noun in the singular for one, whole seconds or minutes."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 user`, `2 users`, `10,000 users` (thousands grouped as the portal groups them); `plural` where adding an s
    is wrong."""
    return f"{count} {noun}" if count == 1 else f"{count:,} {plural or noun + 's'}"


def waited(seconds: float) -> str:
    """A wait in the unit an admin reads it in, rounded: `1 s`, `45 s`, `2 min`, `1 h 5 min`."""
    whole = max(1, round(seconds))
    if whole < 90:
        return f"{whole} s"
    minutes = round(whole / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
