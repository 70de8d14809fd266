"""The app's custom role as the emulator reads it: its actions are the providers', its condition (ABAC) lets it give
only the roles the app gives, and a condition the emulator cannot read grants nothing."""

from __future__ import annotations

import json

from azure_emulator.app import build_context
from azure_emulator.arm import rbac
from azure_emulator.arm.conditions import evaluate
from shared.catalog.app_access import ASSIGNED_ROLES, AZURE_ACTIONS, assignment_condition

ROLE = "microsoft.authorization/roleassignments:roledefinitionid"
WRITE, DELETE = "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def test_the_apps_condition_lets_its_role_give_only_the_roles_the_app_gives() -> None:
    condition = assignment_condition()
    for given in ASSIGNED_ROLES:
        assert evaluate(condition, WRITE, {"request": {ROLE: [given]}})
        assert evaluate(condition, DELETE, {"resource": {ROLE: [given]}})
    assert not evaluate(condition, WRITE, {"request": {ROLE: [OWNER]}})
    assert not evaluate(condition, DELETE, {"resource": {ROLE: [OWNER]}})
    assert evaluate(condition, "Microsoft.Compute/virtualMachines/write", {})  # nothing else is limited


def test_a_built_in_roles_own_condition_limits_it() -> None:
    roles = rbac.built_in_roles().values()
    [role] = [r for r in roles if r["properties"]["roleName"].startswith("Virtual Machine Data Access")]
    blocks = [{**block, "conditions": [block["condition"]]} for block in role["properties"]["permissions"]]
    sign_in = "fb879df8-f326-4884-b1cf-06f3ad86be52"
    assert rbac.grants(blocks, WRITE, {"request": {ROLE: [sign_in]}})
    assert not rbac.grants(blocks, WRITE, {"request": {ROLE: [OWNER]}})


def test_a_condition_it_cannot_read_grants_nothing() -> None:
    assert not evaluate(
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'",
        "Microsoft.Storage/storageAccounts/read",
        {},
    )
    assert not evaluate("((!(ActionMatches{'x'})) OR", "y", {})
    assert not evaluate(json.dumps({"not": "a condition"}), "y", {})


def test_every_action_the_app_asks_for_is_one_the_providers_have() -> None:
    # a typo in the onboarding list would make `az role definition create` fail with InvalidActionOrNotAction
    build_context(None)  # registers the routes, and with them the providers' actions
    known = rbac.known_actions()
    assert [a.action for a in AZURE_ACTIONS if a.action.lower() not in known] == []
