"""A service function names the ports it uses, a Protocol the composition root's bundle satisfies, never the bundle.

Every service module is held to it (found by walking shared/services, not listed), and so are the ports' own
facets: no function takes a bundle, a parameter of ports is typed with a Protocol, a module's Protocol asks for no
port the module never reads, and no service imports the modules that define the bundles (shared/bootstrap.py
composes them; the triggers and activities pass them on)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE_MODULES = ("shared.ports.bundles", "shared.ports.admin_ports", "shared.ports.engine_ports")


def _module_path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _classes(path: Path) -> list[ast.ClassDef]:
    return [node for node in ast.walk(_tree(path)) if isinstance(node, ast.ClassDef)]


def _names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):  # a quoted annotation
        return _names(ast.parse(annotation.value, mode="eval").body)
    return {node.id for node in ast.walk(annotation) if isinstance(node, ast.Name)} | {
        node.attr for node in ast.walk(annotation) if isinstance(node, ast.Attribute)
    }


BUNDLES = {node.name for module in BUNDLE_MODULES for node in _classes(_module_path(module))}
PROTOCOLS = {
    node.name
    for path in (ROOT / "shared").rglob("*.py")
    for node in _classes(path)
    if any("Protocol" in _names(base) for base in node.bases)
}
SERVICES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "shared/services").rglob("*.py"))
PORT_FACETS = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "shared/ports").glob("*.py")
    if path.stem not in {module.rsplit(".", 1)[1] for module in BUNDLE_MODULES}
)


def _parameters(path: Path) -> list[tuple[str, ast.arg]]:
    """Every function's parameters (and its return, as an unnamed one), with the function's name."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            found += [(node.name, argument) for argument in every if argument is not None]
            found += [(node.name, ast.arg(arg="", annotation=node.returns))]
    return found


def _bundles_named(path: Path) -> list[str]:
    return [
        f"{function}: {name}"
        for function, argument in _parameters(path)
        for name in sorted(_names(argument.annotation) & BUNDLES)
    ]


def _takes_ports(argument: ast.arg) -> bool:
    return argument.arg == "ports" or any(name.endswith("Ports") for name in _names(argument.annotation))


def _ports_not_a_protocol(path: Path) -> list[str]:
    """The parameters of ports whose annotation names no Protocol (a bundle, a dataclass, or nothing at all)."""
    return [
        f"{function}({argument.arg})"
        for function, argument in _parameters(path)
        if argument.arg and _takes_ports(argument) and not _names(argument.annotation) & PROTOCOLS
    ]


def _ports_never_read(path: Path) -> list[str]:
    """The ports a service module's own Protocols declare that nothing in the module reads: a Protocol asks for what
    its functions use (a port only a callee reads comes by naming the callee's Protocol as a base)."""
    tree = _tree(path)
    read = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return [
        f"{node.name}.{member.name}"
        for node in tree.body
        if isinstance(node, ast.ClassDef) and any(_names(base) & {"Protocol", *PROTOCOLS} for base in node.bases)
        for member in node.body
        if isinstance(member, ast.FunctionDef)
        and any(_names(decorator) == {"property"} for decorator in member.decorator_list)
        and member.name not in read
    ]


def _bundle_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith(BUNDLE_MODULES)]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            named = {f"{node.module}.{alias.name}" for alias in node.names}
            if node.module in BUNDLE_MODULES or named & set(BUNDLE_MODULES):
                found.append(node.module)
            found += sorted(alias.name for alias in node.names if alias.name in BUNDLES)
    return found


TAKING_PORTS = [module for module in SERVICES if any(_takes_ports(a) for _, a in _parameters(ROOT / module))]


@pytest.mark.parametrize("module", SERVICES)
def test_no_service_imports_a_bundle(module: str) -> None:
    assert _bundle_imports(ROOT / module) == [], "bundles are composed in shared/bootstrap.py, not imported by services"


@pytest.mark.parametrize("module", TAKING_PORTS + PORT_FACETS)
def test_no_function_takes_the_whole_bundle(module: str) -> None:
    assert _bundles_named(ROOT / module) == [], "name the ports the function uses in a Protocol of the module's"


@pytest.mark.parametrize("module", TAKING_PORTS)
def test_ports_are_a_protocol(module: str) -> None:
    assert _ports_not_a_protocol(ROOT / module) == [], "type the ports with the Protocol of what the function uses"


@pytest.mark.parametrize("module", TAKING_PORTS)
def test_a_protocol_asks_only_for_what_its_module_reads(module: str) -> None:
    assert _ports_never_read(ROOT / module) == [], "drop the port, or name the Protocol of the callee that reads it"


def test_every_service_that_takes_ports_is_found() -> None:
    # the walk, not a list, finds them: a module that takes none (pure rules, models of a run) is the only one left out
    assert len(SERVICES) > 90
    assert {"shared/services/access/tenants.py", "shared/services/spot_pc/spot_group_power.py"} <= set(TAKING_PORTS)
    assert {"AdminPorts", "EnginePorts", "OnboardingPorts", "SpotGroupPorts", "CostPorts"} <= BUNDLES
    assert BUNDLES.isdisjoint(PROTOCOLS)


def test_the_checks_see_a_bundle_taken_or_imported(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text(
        "from shared.ports.bundles import CostPorts\n"
        "from shared.ports import engine_ports\n"
        "import shared.ports.admin_ports\n"
        "from elsewhere import AdminPorts\n"
        "def plain(ports: AdminPorts) -> None: ...\n"
        "def quoted(*, ports: 'AdminPorts | None'): ...\n"
        "def untyped(ports): ...\n"
        "def narrow(ports: SpotGroupRecordPorts) -> None: ...\n"
    )
    assert _bundles_named(module) == ["plain: AdminPorts", "quoted: AdminPorts"]
    assert _ports_not_a_protocol(module) == ["plain(ports)", "quoted(ports)", "untyped(ports)"]
    assert _bundle_imports(module) == [
        "shared.ports.bundles",
        "CostPorts",
        "shared.ports",
        "shared.ports.admin_ports",
        "AdminPorts",
    ]


def test_the_check_sees_a_port_asked_for_and_never_read(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text(
        "class AskedPorts(Protocol):\n"
        "    @property\n"
        "    def clock(self) -> int: ...\n"
        "    @property\n"
        "    def unread(self) -> int: ...\n"
        "def stamped(ports: AskedPorts) -> int:\n"
        "    return ports.clock()\n"
    )
    assert _ports_never_read(module) == ["AskedPorts.unread"]
