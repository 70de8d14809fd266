"""The backend is one port: outside its two adapters and the one chooser (shared/services/backends), no service,
trigger, activity or orchestrator asks which backend a tenant has; it asks the backend
(shared/ports/cloud_pc_backend.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("shared/services", "triggers", "activities", "orchestrators")
ADAPTERS = ROOT / "shared" / "services" / "backends"
NAMES = {"azure", "windows365"}
MARKS = {"windows365_id", "windows365"}  # a record Windows 365 holds, or the Windows 365 port, tested for None or truth


def _asks_which(node: ast.AST) -> str | None:
    """Why `node` branches on the backend, if it does."""
    if isinstance(node, ast.Attribute) and node.attr == "by_windows365":
        return "by_windows365"
    if isinstance(node, ast.Compare):
        named = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if named & NAMES:
            return f"compares with {sorted(named & NAMES)}"
        if any(isinstance(op, ast.Is | ast.IsNot) for op in node.ops) and (mark := _marked(node.left)):
            return f"tests {mark} for None"
    return None


def _truth_tested(test: ast.expr) -> list[ast.expr]:
    """The expressions a condition takes as true or false: itself, the operands of `and`/`or`, what `not` negates."""
    if isinstance(test, ast.BoolOp):
        return [part for value in test.values for part in _truth_tested(value)]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _truth_tested(test.operand)
    return [test]


def _marked(node: ast.expr) -> str | None:
    mark = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return mark if mark in MARKS else None


def branches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    tests = [n.test for n in ast.walk(tree) if isinstance(n, ast.If | ast.IfExp | ast.While)]
    tests += [cond for n in ast.walk(tree) if isinstance(n, ast.comprehension) for cond in n.ifs]
    found = {(getattr(n, "lineno", 0), why) for test in tests for n in ast.walk(test) if (why := _asks_which(n))}
    found |= {
        (part.lineno, f"tests {mark} for truth")
        for test in tests
        for part in _truth_tested(test)
        if (mark := _marked(part))
    }
    found |= {(getattr(n, "lineno", 0), "by_windows365") for n in ast.walk(tree) if _asks_which(n) == "by_windows365"}
    name = path.relative_to(ROOT) if ROOT in path.parents else path.name
    return [f"{name}:{line}: {why}" for line, why in sorted(found)]


def test_no_service_trigger_activity_or_orchestrator_asks_which_backend_a_tenant_has() -> None:
    found = [
        branch
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if ADAPTERS not in path.parents
        for branch in branches(path)
    ]
    assert found == [], "ask the tenant's backend (ports.backends) instead:\n" + "\n".join(found)


def test_the_check_finds_each_way_of_asking(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "if tenant.by_windows365: pass\n"
        "x = 1 if run.backend == 'windows365' else 2\n"
        "y = [c for c in cs if c.windows365_id is not None]\n"
        "while windows365 is None: pass\n"
        "if updated.cloud_pc_backend == current.cloud_pc_backend: pass\n"  # whether it changes: not which it is
        "if ready and not cloud_pc.windows365_id: pass\n"
    )
    assert [line.split(": ", 1)[1] for line in branches(sample)] == [
        "by_windows365",
        "compares with ['windows365']",
        "tests windows365_id for None",
        "tests windows365 for None",
        "tests windows365_id for truth",
    ]
