"""The services folder shows the domain: one package per domain, each imported only through the modules its face
(`__init__.__all__`) names, and the packages layered (no two import each other, round about or directly)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "shared" / "services"
PACKAGES = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
FOLDERS = ("shared", "triggers", "activities", "orchestrators", "devhost")
APP = [ROOT / "function_app.py", *(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))]


def _package_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return parts[2] if parts[:2] == ("shared", "services") and len(parts) == 4 else None


def _imports(path: Path) -> list[tuple[str, str]]:
    """The (package, module) pairs of shared/services a file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shared.services."):
            parts = node.module.split(".")
            modules = [parts[3]] if len(parts) > 3 else [alias.name for alias in node.names]
            found += [(parts[2], module) for module in modules]
    return found


def test_every_module_lives_in_a_domain_package() -> None:
    assert PACKAGES == ["access", "backends", "cloud_pcs", "configuration", "costs", "engine", "monitoring", "spot_pc"]
    assert [p.name for p in SERVICES.glob("*.py")] == ["__init__.py"]


def test_the_rest_of_the_app_imports_a_package_only_through_its_face() -> None:
    faces = {name: set(importlib.import_module(f"shared.services.{name}").__all__) for name in PACKAGES}
    for name, face in faces.items():
        assert face <= {p.stem for p in (SERVICES / name).glob("*.py")}, f"{name}'s face names a module it lacks"
    behind = [
        f"{path.relative_to(ROOT)} imports shared.services.{package}.{module}"
        for path in APP
        for package, module in _imports(path)
        if package != _package_of(path) and module not in faces[package]
    ]
    assert behind == [], "import it through the package's face, or name it there"


def test_the_packages_are_layered_without_a_circle() -> None:
    arrows: dict[str, set[str]] = {name: set() for name in PACKAGES}
    for path in SERVICES.rglob("*.py"):
        own = _package_of(path)
        if own is not None:
            arrows[own] |= {package for package, _ in _imports(path) if package != own}
    assert arrows["engine"] == set(), "the engine is the bottom layer"

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"a circle: {' -> '.join((*path, name))}"
        for other in arrows[name]:
            visit(other, (*path, name))

    for name in PACKAGES:
        visit(name, ())


def test_triggers_activities_and_orchestrators_reach_storage_and_the_cloud_only_through_services() -> None:
    """They are thin adapters: the adapters over storage and the cloud are composed by shared/bootstrap.py alone."""
    adapters = ("shared.storage", "shared.cloud")
    reached = [
        f"{path.relative_to(ROOT)} imports {node.module}"
        for folder in ("triggers", "activities", "orchestrators")
        for path in (ROOT / folder).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(adapters)
    ]
    assert reached == []


def test_the_models_and_ports_import_nothing_above_them() -> None:
    """Models and ports are the floor every layer stands on: they name no adapter (storage, cloud) and no service, so
    an arrow inside shared/ never runs back up."""
    above = ("shared.storage", "shared.cloud", "shared.services", "shared.bootstrap")
    floor = [ROOT / "shared" / "models", ROOT / "shared" / "ports", ROOT / "shared" / "catalog"]
    reached = [
        f"{path.relative_to(ROOT)} imports {node.module}"
        for folder in floor
        for path in folder.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(above)
    ]
    assert reached == []
