"""Every name the engine gives a step, a phase or a timeline line has an admin's words in the portal's map
(portal/src/lib/timeline.js STEP_WORDS): a new step cannot reach a page as an engine's name."""

from __future__ import annotations

import ast
import re

from shared.services.backends import windows365_audit
from shared.services.cloud_pcs import provisioning_steps, timeline, vm_actions
from shared.services.cloud_pcs.cloud_pc_transitions import TRANSITIONS
from shared.services.spot_pc import host_power, image_builds, spot_group_deployments
from tests.conftest import PROJECT_ROOT

PORTAL_MAP = PROJECT_ROOT / "portal" / "src" / "lib" / "timeline.js"
# the calls whose argument at this place (or keyword) names a timeline line or a failure's step
NAMING_CALLS = {"timeline_event": 3, "lifecycle_event": 3, "record": 2}


def portal_names() -> set[str]:
    text = PORTAL_MAP.read_text(encoding="utf-8")
    block = text.split("// step-words:begin", 1)[1].split("// step-words:end", 1)[0]
    return set(re.findall(r"(?:^|[\s{,])'?([A-Za-z0-9]+:?)'?:\s*'", block, re.MULTILINE))


def named_in_code() -> set[str]:
    """String literals the services pass as a line's name or as a failure's `step=`."""
    found: set[object] = set()
    for path in (PROJECT_ROOT / "shared" / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            named = [keyword.value for keyword in node.keywords if keyword.arg == "step"]
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            place = NAMING_CALLS.get(callee)
            if place is not None and len(node.args) > place:
                named.append(node.args[place])
            found.update(value.value for value in named if isinstance(value, ast.Constant))
    return {name for name in found if isinstance(name, str)}


def engine_names() -> set[str]:
    version = image_builds.ImageSetVersion.model_construct(customization_scripts=[], base_version="1.0.0")  # type: ignore[call-arg]
    return {
        *provisioning_steps.ORDER,
        *timeline.ATTEMPT_MILESTONES,
        *timeline.RUN_RESULTS,
        *(t.about.name for t in TRANSITIONS.values() if t.about is not None),
        *vm_actions.DONE_LINE.values(),
        windows365_audit.TIMELINE_NAME,
        *(step for step in image_builds.phases(version) if not step.startswith(image_builds.SCRIPT)),
        image_builds.SCRIPT,
        image_builds.DELETE_VERSION,
        "deleteImageDefinition",
        "forget",
        *(step for steps in spot_group_deployments.HOST_STEPS.values() for step in steps),
        "ensureHostPool",
        "settle",
        "deleteHostPool",
        *host_power.PHASES,
        *named_in_code(),
    }


def test_every_engine_name_has_an_admins_words_in_the_portal() -> None:
    missing = sorted(engine_names() - portal_names())
    assert not missing, f"add these to STEP_WORDS in {PORTAL_MAP.name}: {missing}"


def test_the_map_names_no_step_the_engine_does_not_have() -> None:
    assert not sorted(portal_names() - engine_names())
