"""The host's guard around `ast.parse`: installed on import of devhost, once, and parsing as before."""

from __future__ import annotations

import ast
import threading

import devhost  # noqa: F401  (installs the guard)
from devhost import ast_guard


def test_parse_is_serialized_once_and_still_parses() -> None:
    guarded = ast.parse
    ast_guard.install()
    assert ast.parse is guarded and getattr(guarded, "_serialized", False)
    assert isinstance(ast.parse("a + b").body[0], ast.Expr)


def test_threads_parse_side_by_side() -> None:
    source = "x = " + " + ".join(f"f({i})" for i in range(300))
    errors: list[BaseException] = []

    def parse_many() -> None:
        try:
            for _ in range(50):
                ast.parse(source)
        except BaseException as error:  # whatever a thread raised fails the test
            errors.append(error)

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
