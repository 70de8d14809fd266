"""One thread at a time in `ast.parse`, for the host's many threads.

CPython 3.11, the app's runtime, counts the AST constructor's recursion depth in state shared by the whole
interpreter, so two threads parsing at once can fail with "SystemError: AST constructor recursion depth mismatch"
(python/cpython#106905). Parsing happens where nobody expects it: the traceback module parses a source line to draw
its carets, so two threads logging an exception is enough. A lock around `ast.parse` costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.RLock()


def install() -> None:
    """Wrap `ast.parse` in one process-wide lock (once)."""
    if getattr(ast.parse, "_serialized", False):
        return
    parse = ast.parse

    def serialized_parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return parse(*args, **kwargs)

    serialized_parse._serialized = True  # type: ignore[attr-defined]
    ast.parse = serialized_parse
