"""A service function names the ports it uses, a Protocol the composition root's bundle satisfies, never the bundle.

The configuration services, the Cloud PC engine's, onboarding, and the backends' three facets (configuration, Cloud PC
work, access) are held to it here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = {"AdminPorts", "EnginePorts", "OnboardingPorts"}
NARROWED = [
    "shared/ports/backend_facets.py",
    "shared/services/access/azure_scopes.py",
    "shared/services/access/onboarding.py",
    "shared/services/access/sites.py",
    "shared/services/access/tenants.py",
    "shared/services/backends/azure_backend.py",
    "shared/services/backends/azure_cloud_pcs.py",
    "shared/services/backends/azure_configuration.py",
    "shared/services/backends/windows365_backend.py",
    "shared/services/backends/windows365_cloud_pcs.py",
    "shared/services/backends/windows365_configuration.py",
    "shared/services/backends/windows365_connection_checks.py",
    "shared/services/cloud_pcs/build_settings.py",
    "shared/services/cloud_pcs/bulk_actions.py",
    "shared/services/cloud_pcs/cloud_pc_actions.py",
    "shared/services/cloud_pcs/vm_actions.py",
    "shared/services/cloud_pcs/desktop_brokering.py",
    "shared/services/cloud_pcs/explanation.py",
    "shared/services/cloud_pcs/due_sweep.py",
    "shared/services/cloud_pcs/lifecycle.py",
    "shared/services/cloud_pcs/pending_starts.py",
    "shared/services/cloud_pcs/provisioning.py",
    "shared/services/cloud_pcs/provisioning_attempts.py",
    "shared/services/cloud_pcs/provisioning_steps.py",
    "shared/services/cloud_pcs/reconcile.py",
    "shared/services/cloud_pcs/restore_points.py",
    "shared/services/cloud_pcs/timeline.py",
    "shared/services/backends/user_settings.py",
    "shared/services/backends/windows365_audit.py",
    "shared/services/backends/windows365_mirror.py",
    "shared/services/configuration/connections.py",
    "shared/services/configuration/device_images.py",
    "shared/services/configuration/health_check_runs.py",
    "shared/services/configuration/policies.py",
    "shared/services/spot_pc/image_sets.py",
    "shared/services/spot_pc/spot_groups.py",
]


def _names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):  # a quoted annotation
        return _names(ast.parse(annotation.value, mode="eval").body)
    return {node.id for node in ast.walk(annotation) if isinstance(node, ast.Name)} | {
        node.attr for node in ast.walk(annotation) if isinstance(node, ast.Attribute)
    }


def _bundles_named(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            annotations = [argument.annotation for argument in every if argument is not None] + [node.returns]
            found += [f"{node.name}: {name}" for a in annotations for name in sorted(_names(a) & BUNDLES)]
    return found


@pytest.mark.parametrize("module", NARROWED)
def test_no_function_takes_the_whole_bundle(module: str) -> None:
    assert _bundles_named(ROOT / module) == [], "name the ports the function uses in a Protocol of the module's"


def test_the_check_sees_a_function_that_takes_the_bundle(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text("def plain(ports: AdminPorts) -> None: ...\ndef quoted(*, ports: 'AdminPorts | None'): ...")
    assert _bundles_named(module) == ["plain: AdminPorts", "quoted: AdminPorts"]
