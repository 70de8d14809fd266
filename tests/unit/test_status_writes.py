"""Only each aggregate's state machine writes its status: a module that knows the model writes no `status`.

The scan is of the source, so a new way of writing a status (a key, a keyword, a merged field, an assignment)
is found wherever it is added; the last test proves the scan finds each form.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "shared" / "services"
# aggregate: (the model's name as code writes it, the one module that may write its status)
AGGREGATES = {
    "Cloud PC": (r"\bCloudPc\b", SERVICES / "cloud_pc_transitions.py"),
    "Spot Group": (r"\bSpotGroup\b", SERVICES / "spot_pc_transitions.py"),
    "session host": (r"\bSessionHost\b", SERVICES / "spot_pc_transitions.py"),
    "image update": (r"\bImageUpdate\b", SERVICES / "spot_pc_transitions.py"),
    "image set version": (r"\bImageSetVersion\b", SERVICES / "spot_pc_transitions.py"),
    "image set": (r"\bImageSet\b", SERVICES / "spot_pc_transitions.py"),
    "device image": (r"\bDeviceImage\b", SERVICES / "device_image_transitions.py"),
    "bulk action": (r"\bBulkAction\b", SERVICES / "bulk_action_transitions.py"),
    "bulk action item": (r"\bBulkActionItem\b", SERVICES / "bulk_action_transitions.py"),
}
BUILDERS = {"model_copy", "model_validate", "model_construct", "merge_cloud_pc"}  # and the models' own names
# the models whose status is an outcome made once with the record (a check's, a result's, a view's), never moved:
# each with why it needs no state machine
RESULTS = {
    "HealthCheck": "a health check's outcome, recorded once per run",
    "TroubleshootCheck": "one troubleshooting check's outcome",
    "TroubleshootResult": "a troubleshooting run's outcome",
    "OnboardingItem": "what the onboarding report found, read afresh each time",
    "HeldCloudPc": "a view of a Cloud PC in the explanation, its status copied from the Cloud PC",
    "GalleryImage": "a gallery image's support, as the catalogue or Windows 365 gives it",
    "RestorePoint": "a restore point as Windows 365 reports it",
}


def _called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def status_writes(path: Path, model: str) -> list[int]:
    """Lines that set a `status` through the model's builders (a key, a keyword, a merged field) or assign one."""
    tree = ast.parse(path.read_text(), str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in BUILDERS | {model}:
            lines += [k.lineno for k in node.keywords if k.arg == "status"]
            for inner in ast.walk(node):
                if isinstance(inner, ast.Dict):
                    lines += [k.lineno for k in inner.keys if isinstance(k, ast.Constant) and k.value == "status"]
                elif isinstance(inner, ast.List | ast.Tuple | ast.Set):
                    lines += [e.lineno for e in inner.elts if isinstance(e, ast.Constant) and e.value == "status"]
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            lines += [t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "status"]
    return sorted(set(lines))


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_only_the_state_machine_assigns_the_status(aggregate: str) -> None:
    pattern, home = AGGREGATES[aggregate]
    model = pattern.strip("\\b")
    offenders = []
    for package in ("shared", "triggers", "activities", "orchestrators"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text()
            if path == home or not re.search(pattern, source):
                continue
            offenders += [f"{path.relative_to(ROOT)}:{line}" for line in status_writes(path, model)]
    assert offenders == []


def test_the_scan_finds_a_status_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(c):\n    c.model_copy(update={'status': 'failed'})\n    c.status = 'x'\n"
        "    CloudPc.model_construct(status='y')\n    r.merge_cloud_pc(c, ['status'])\n    Api(status=202)\n"
        "    SpotGroup(name='a', status='ready')\n"
    )
    assert status_writes(sample, "SpotGroup") == [2, 3, 4, 5, 7]


def test_every_model_with_a_status_is_an_aggregate_with_its_state_machine_or_a_result() -> None:
    """Found by the field: a new model with a `status` is refused until it has a state machine (AGGREGATES) or is
    named a result; device images and bulk actions once set theirs outside any table, unseen."""
    import importlib
    import inspect
    import pkgutil

    from pydantic import BaseModel

    import shared.models

    with_status = set()
    for info in pkgutil.iter_modules(shared.models.__path__):
        module = importlib.import_module(f"shared.models.{info.name}")
        with_status |= {name for name, obj in vars(module).items() if inspect.isclass(obj)
                        and issubclass(obj, BaseModel) and obj.__module__ == module.__name__
                        and "status" in obj.model_fields}  # fmt: skip
    aggregates = {pattern.strip("\\b") for pattern, _ in AGGREGATES.values()}
    assert with_status - aggregates - RESULTS.keys() == set(), "a status with no state machine and no reason"
    assert aggregates | RESULTS.keys() <= with_status  # nothing listed that has no status
