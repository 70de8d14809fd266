"""Every "not yet" an Azure or Graph adapter answers says why (architecture rule 17): each `Progress` of shared/cloud
that is not plainly done names its `reason`, and one Azure holds (a throttle, an outage, a service not answering)
names the code it `held` the call with too, so the timeline gets its heldByAzure line."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOUD = ROOT / "shared" / "cloud"
# words that say Azure held the call: such a "not yet" must carry its code in `held` as well
HOLD_WORDS = ("throttl", "429", "said not now", "not answer", "reserved", "principalnotfound")


def _not_yet_calls() -> list[tuple[str, ast.Call, str]]:
    """Every Progress(...) call in shared/cloud whose `done` is not the constant True: (where, call, its source)."""
    found = []
    for path in sorted(CLOUD.rglob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name != "Progress":
                continue
            done = next((k.value for k in node.keywords if k.arg == "done"), node.args[0] if node.args else None)
            if isinstance(done, ast.Constant) and done.value is True:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append((where, node, ast.get_source_segment(source, node) or ""))
    return found


def test_the_adapters_answer_not_yet_somewhere() -> None:
    assert len(_not_yet_calls()) >= 15  # the check below looks at something


def test_every_not_yet_of_an_adapter_says_why() -> None:
    silent = [where for where, call, _ in _not_yet_calls() if not any(k.arg == "reason" for k in call.keywords)]
    assert silent == [], "a Progress that is not done must say why (reason=...)"


def test_every_not_yet_that_azure_held_names_its_code() -> None:
    unheld = []
    for where, call, text in _not_yet_calls():
        reason = next((k.value for k in call.keywords if k.arg == "reason"), None)
        said = ast.unparse(reason).lower() if reason is not None else ""
        if any(word in said for word in HOLD_WORDS) and not any(k.arg == "held" for k in call.keywords):
            unheld.append(f"{where}: {text}")
    assert unheld == [], "Azure held these calls: say so in held=<code>, for the timeline's heldByAzure line"
