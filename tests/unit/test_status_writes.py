"""Only the state machines write a status: the one mechanism (shared/services/engine/state_machines.py) moves every
aggregate, each by its own table; the other writes of a `status` anywhere in the app build a result named below.

The scan finds a write by the field it sets (a key, a keyword, a merged field, an assignment), not by the model's
name in the text, so a new way of writing a status is found wherever it is added; a test proves it finds each form.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "shared" / "services"
MECHANISM = SERVICES / "engine" / "state_machines.py"
# aggregate model: the module of its state machine (its table of moves, over the mechanism)
AGGREGATES = {
    "CloudPc": "cloud_pcs/cloud_pc_transitions.py",
    "SpotGroup": "spot_pc/spot_pc_transitions.py",
    "SessionHost": "spot_pc/spot_pc_transitions.py",
    "ImageUpdate": "spot_pc/spot_pc_transitions.py",
    "ImageSetVersion": "spot_pc/spot_pc_transitions.py",
    "ImageSet": "spot_pc/spot_pc_transitions.py",
    "DeviceImage": "configuration/device_image_transitions.py",
    "BulkAction": "cloud_pcs/bulk_action_transitions.py",
    "BulkActionItem": "cloud_pcs/bulk_action_transitions.py",
    "TemplateRollout": "configuration/rollout_transitions.py",
    "RolloutItem": "configuration/rollout_transitions.py",
    "Alert": "monitoring/alert_transitions.py",
    "ChannelDelivery": "monitoring/alert_transitions.py",
}
BUILDERS = {"model_copy", "model_validate", "model_construct", "merge_cloud_pc"}
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
    "SessionActionResult": "one session's part of a bulk session action, answered at once and never stored",
    "SessionBulkAction": "a bulk session action's outcome, answered at once and never stored",
    "AlertNotice": "what a channel is told of an alert, its status copied from the alert",
    "RoleInvitation": "an invitation's answer, its status Graph's at that moment, never stored",
    "TenantAlert": "an alert listed among other tenants' alerts, its status copied from the alert",
    "TenantCloudPc": "a Cloud PC listed across tenants, its status copied from the Cloud PC",
    "TenantSessionHost": "a session host listed across tenants, its status copied from the host",
    "TenantBulkAction": "one tenant's part of a bulk action across tenants, answered at once and never stored",
    "CrossTenantBulkActionCreate": "a request: the status of the Cloud PCs it acts on",
}
SCANNED = ("shared/services", "shared/storage", "activities", "orchestrators", "triggers")
# a `status` that is no model's: each with why
NOT_A_MODEL = {
    "triggers/http_responses.py": "an HTTP error's status code",
    "triggers/http_meta.py": "the liveness report of GET /health",
}
HTTP_ROUTES = {"get", "post", "patch", "put", "delete"}  # a route's `status=` is its HTTP status code
# a `status=` that writes nothing: each with why
READS = {"list_alerts": "the status a list is filtered on", "list_alerts_of": "the status a list is filtered on"}


def _called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def status_writes(path: Path) -> list[tuple[int, str]]:
    """Where a `status` is set (a key or a listed field in a builder's call, a keyword of any call, an assignment),
    each with what sets it: the call's name, or `=`."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _called(node)
            found += [(k.lineno, called) for k in node.keywords if k.arg == "status"]
            if called in BUILDERS:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Dict):
                        keys = [k for k in inner.keys if isinstance(k, ast.Constant) and k.value == "status"]
                    elif isinstance(inner, ast.List | ast.Tuple | ast.Set):
                        keys = [e for e in inner.elts if isinstance(e, ast.Constant) and e.value == "status"]
                    else:
                        continue
                    found += [(key.lineno, called) for key in keys]
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [(t.lineno, "=") for t in targets if isinstance(t, ast.Attribute) and t.attr == "status"]
    return sorted(set(found))


def test_every_aggregate_has_its_state_machine() -> None:
    for model, home in AGGREGATES.items():
        assert model in (SERVICES / home).read_text(), f"{home} moves no {model}"


def test_only_the_state_machines_write_a_status() -> None:
    offenders = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if path == MECHANISM or where in NOT_A_MODEL:
                continue
            for line, called in status_writes(path):
                routed = where.startswith("triggers/") and called in HTTP_ROUTES
                if called not in RESULTS and called not in READS and not routed:
                    offenders.append(f"{where}:{line} ({called})")
    assert offenders == [], "move it through its state machine, or name the model a result"


def test_the_scan_finds_a_status_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(c):\n    c.model_copy(update={'status': 'failed'})\n    c.status = 'x'\n"
        "    CloudPc.model_construct(status='y')\n    r.merge_cloud_pc(c, ['status'])\n    Api(stat=202)\n"
        "    SpotGroup(name='a', status='ready')\n"
    )
    lines = [line for line, _ in status_writes(sample)]
    assert lines == [2, 3, 4, 5, 7]


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
        with_status |= {
            name
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and issubclass(obj, BaseModel)
            and obj.__module__ == module.__name__
            and "status" in obj.model_fields
        }
    aggregates = set(AGGREGATES)
    assert with_status - aggregates - RESULTS.keys() == set(), "a status with no state machine and no reason"
    assert aggregates | RESULTS.keys() <= with_status  # nothing listed that has no status
