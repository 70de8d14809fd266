"""Group-based licensing: a group's licenses, what its members inherit, and each user's licenseAssignmentStates.

A user's licenses are kept as `licenseAssignmentStates` (one per SKU and source: `assignedByGroup` null for a direct
assignment, else the group's id) and `assignedLicenses` follows from them, as Graph shows it: every SKU the user
holds, directly or inherited. The rules, from Microsoft's pages:
- a group's licenses reach its direct user members only; members of a nested group inherit nothing (ADVANCED,
  "Limitations and known issues");
- a SKU held directly and through groups, or through several groups, is one license and one consumed unit, its
  enabled plans the union of the assignments' (ADVANCED, "Multiple groups and multiple licenses"), so a plan stays
  disabled only where every assignment disables it;
- a license inherited from a group cannot be removed from the user, only at the group; a direct one can be removed
  beside it and the inherited one stays (ADVANCED, "Direct licenses coexist with group licenses"; users.py);
- a group license that finds no free unit is not an error of the group's request: it is recorded on the user as state
  `Error` with error `CountViolation` (RESOLVE, STATES), and the SKU stays out of `assignedLicenses`;
- only security groups carry licenses (ADVANCED), and a group with licenses cannot be deleted (ADVANCED, "Deleting a
  group with an assigned license"); groups.py refuses both.
Graph applies group licenses in the background, minutes to hours later; the emulator applies them within the request
that changed the group or its members. A state is re-evaluated whenever the user's licenses or groups change.

Store kind: `graph.groupLicenses` `{tid}/{groupId}` -> `{assignedLicenses: [{skuId, disabledPlans}]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from azure_emulator.graph import skus
from azure_emulator.graph.common import bad_request, now_iso
from azure_emulator.store import Store

ADVANCED = "https://learn.microsoft.com/entra/identity/users/licensing-group-advanced"
RESOLVE = "https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems"
STATES = "https://learn.microsoft.com/graph/api/resources/licenseassignmentstate"
GROUP_LICENSES = "graph.groupLicenses"
# STATES documents a null `error` for a license assigned without a problem; Graph's answers carry the string "None"
# (seen in clients' recorded responses, not confirmed on a Microsoft page). Clients must accept both.
NO_ERROR = "None"


def requested_changes(body: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """An assignLicense body, a user's or a group's, as Graph checks it: the licenses to add by skuId (the last of a
    repeated one wins), and the skuIds to remove."""
    adds, removes = (body.get("addLicenses"), body.get("removeLicenses")) if isinstance(body, dict) else (None, None)
    if not isinstance(adds, list) or not isinstance(removes, list):
        raise bad_request("Both addLicenses and removeLicenses are required (either may be an empty list).")
    added = {
        str(item.get("skuId", "")).lower(): {
            "skuId": str(item.get("skuId", "")).lower(),
            "disabledPlans": list(item.get("disabledPlans") or []),
        }
        for item in adds
        if isinstance(item, dict)
    }
    remove_ids = [str(sku).lower() for sku in removes]
    for sku_id in [*added, *remove_ids]:
        if sku_id not in skus.SKUS_BY_ID:
            raise bad_request(f"License {sku_id} does not correspond to a valid company License.")
    if set(added) & set(remove_ids):
        raise bad_request("The same license cannot be added and removed in one request.")
    return added, remove_ids


def group_licenses(store: Store, tid: str, group_id: str) -> list[dict[str, Any]]:
    entry = store.get(GROUP_LICENSES, f"{tid}/{group_id}")
    return list(entry["assignedLicenses"]) if entry else []


def set_group_licenses(store: Store, tid: str, group_id: str, licenses: list[dict[str, Any]]) -> None:
    if licenses:
        store.put(GROUP_LICENSES, f"{tid}/{group_id}", {"assignedLicenses": licenses})
    else:
        store.delete(GROUP_LICENSES, f"{tid}/{group_id}")


def states_of(user: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's licenseAssignmentStates; a user saved before groups carried licenses holds direct ones only."""
    if "licenseAssignmentStates" in user:
        return list(user["licenseAssignmentStates"])
    since = user.get("createdDateTime")
    return [
        _state(lic["skuId"], None, list(lic.get("disabledPlans") or []), "Active", NO_ERROR, since)
        for lic in user.get("assignedLicenses", [])
    ]


def direct_licenses(user: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """skuId -> `{skuId, disabledPlans}` of the licenses assigned to the user itself."""
    return {
        s["skuId"]: {"skuId": s["skuId"], "disabledPlans": list(s["disabledPlans"])}
        for s in states_of(user)
        if s["assignedByGroup"] is None
    }


def inheriting_groups(user: dict[str, Any], sku_id: str) -> list[str]:
    return [s["assignedByGroup"] for s in states_of(user) if s["skuId"] == sku_id and s["assignedByGroup"]]


def relicense(
    store: Store, tid: str, user: dict[str, Any], direct: dict[str, dict[str, Any]], group_ids: Iterable[str]
) -> bool:
    """Set the user's states and assignedLicenses from its direct licenses and its direct groups' licenses, and keep
    the consumed units; in the caller's transaction, which saves the user. True when what Graph shows changed.

    The caller has checked the direct licenses (assignLicense refuses one without a free unit); an inherited SKU
    the user does not hold yet takes a free unit or is recorded as a CountViolation.
    """
    before = {(s["skuId"], s["assignedByGroup"]): s for s in states_of(user)}
    held_before = {lic["skuId"] for lic in user.get("assignedLicenses", [])}
    held = set(direct)
    states = [_kept(before, sku_id, None, lic["disabledPlans"], "Active", NO_ERROR) for sku_id, lic in direct.items()]
    for group_id in dict.fromkeys(group_ids):
        for lic in group_licenses(store, tid, group_id):
            sku_id = lic["skuId"]
            if sku_id not in held and (sku_id in held_before or skus.free_units(store, tid, sku_id) >= 1):
                held.add(sku_id)
            state, error = ("Active", NO_ERROR) if sku_id in held else ("Error", "CountViolation")
            states.append(_kept(before, sku_id, group_id, lic["disabledPlans"], state, error))
    shown_before = (user.get("assignedLicenses", []), list(before.values()))
    user["licenseAssignmentStates"] = states
    user["assignedLicenses"] = _assigned(states)
    skus.count_usage(store, tid, sorted(held - held_before), sorted(held_before - held))
    return shown_before != (user["assignedLicenses"], states)


def _state(
    sku_id: str, group_id: str | None, disabled: list[str], state: str, error: str, when: str | None
) -> dict[str, Any]:
    return {
        "assignedByGroup": group_id,
        "disabledPlans": disabled,
        "error": error,
        "lastUpdatedDateTime": when,
        "skuId": sku_id,
        "state": state,
    }


def _kept(
    before: dict[tuple[str, str | None], dict[str, Any]],
    sku_id: str,
    group_id: str | None,
    disabled: list[str],
    state: str,
    error: str,
) -> dict[str, Any]:
    """The state as it was when nothing about it changed, so lastUpdatedDateTime tells when it last did."""
    old = before.get((sku_id, group_id))
    if old is not None and (old["disabledPlans"], old["state"], old["error"]) == (disabled, state, error):
        return old
    return _state(sku_id, group_id, list(disabled), state, error, now_iso())


def _assigned(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One assignedLicense per SKU held; a plan disabled only where every active assignment of the SKU disables it."""
    disabled: dict[str, list[str]] = {}
    for s in states:
        if s["state"] == "Error":
            continue
        if s["skuId"] not in disabled:
            disabled[s["skuId"]] = list(s["disabledPlans"])
        else:
            disabled[s["skuId"]] = [p for p in disabled[s["skuId"]] if p in s["disabledPlans"]]
    return [{"skuId": sku_id, "disabledPlans": plans} for sku_id, plans in disabled.items()]
