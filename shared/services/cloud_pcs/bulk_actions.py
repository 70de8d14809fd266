"""Bulk actions: one action on many Cloud PCs, each item applied as the single action is, with a result per item.

A bulk action is saved with all its items pending and run from a queue message; items are applied a
chunk at a time and each result is saved as it comes, so progress shows while it runs, and a run that
crashes resumes from the items without a result. An item a crashed run had applied is found applied
(its request id is on the Cloud PC), never refused for the state it put the Cloud PC in. The work an item
leaves is started before its result is saved, so no item is on record succeeded with its work never started.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from shared.errors import DomainError, ErrorDetail, NotFound, ValidationFailed
from shared.models.cloud_pc_actions import (
    ActionError,
    BulkAction,
    BulkActionCreate,
    BulkActionItem,
    BulkActionName,
    BulkActionReview,
)
from shared.models.cloud_pc_work import Performed
from shared.ports.cloud_errors import CloudError
from shared.ports.queues import BulkActionQueue
from shared.ports.stores import BulkActionStore
from shared.services.cloud_pcs import cloud_pc_actions
from shared.services.cloud_pcs.bulk_action_transitions import BULK_ACTIONS, BULK_ITEMS
from shared.services.engine.item_counts import counts_of, status_of
from shared.services.engine.phased import HOLD_WAIT_S, held_wait

CHUNK = 10  # items applied at once: enough to be quick, few enough to leave the host's workers to others


def request_id_of(bulk_id: str) -> str:
    return f"bulk-{bulk_id}"


def check_target(action: BulkActionName, target_service_plan_id: str | None) -> None:
    """The target plan given exactly when the action is a resize."""
    if action == "resize" and not target_service_plan_id:
        raise ValidationFailed.of(ErrorDetail("required", "A resize needs targetServicePlanId.", "targetServicePlanId"))
    if action != "resize" and target_service_plan_id:
        raise ValidationFailed.of(
            ErrorDetail("notAllowed", "targetServicePlanId is only for resize.", "targetServicePlanId")
        )


def checked_request(request: BulkActionCreate) -> list[str]:
    """The distinct Cloud PC ids, in order; the target plan given exactly when the action is a resize."""
    check_target(request.action, request.target_service_plan_id)
    return list(dict.fromkeys(request.cloud_pc_ids))


def start(
    ports: cloud_pc_actions.CloudPcActionPorts,
    bulks: BulkActionStore,
    queue: BulkActionQueue,
    tenant_id: str,
    request: BulkActionCreate,
    new_id: Callable[[], str],
) -> BulkAction:
    """Save the bulk action with every item pending and queue its run; it as it stands (every item pending)."""
    ids = checked_request(request)
    bulk = bulks.create_bulk_action(
        new_bulk_action(tenant_id, request, new_id, ports), [BulkActionItem(cloud_pc_id=i) for i in ids]
    )
    queue.enqueue_bulk_action(tenant_id, bulk.id)
    return summarized(bulk, [BulkActionItem(cloud_pc_id=i) for i in ids])


def review(ports: cloud_pc_actions.CloudPcActionPorts, tenant_id: str, request: BulkActionCreate) -> BulkActionReview:
    """What `validateOnly` answers: for each Cloud PC, whether the action would be refused and why."""
    items = []
    for cloud_pc_id in checked_request(request):
        try:
            cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
            cloud_pc_actions.check(ports, cloud_pc, request.action, request.target_service_plan_id)
            items.append(BulkActionItem(cloud_pc_id=cloud_pc_id))  # would be taken
        except DomainError as refused:
            items.append(_failed(cloud_pc_id, refused))
    return BulkActionReview(action=request.action, counts=counts_of(items), results=items)


def summarized(bulk: BulkAction, items: list[BulkActionItem]) -> BulkAction:
    """The bulk action with its counts, its status from them, and (for one bulk action) its results."""
    counts = counts_of(items)
    return BULK_ACTIONS.move(bulk, "summarize", status_of(counts), counts=counts, results=items)


def _failed(cloud_pc_id: str, error: Exception) -> BulkActionItem:
    code, message = cloud_pc_actions.refusal(error)
    refused = ActionError(code=code, message=message)
    return BULK_ITEMS.move(BulkActionItem(cloud_pc_id=cloud_pc_id), "fail", error=refused)


class Applied(NamedTuple):
    item: BulkActionItem  # its result, or still running while Azure holds it
    performed: Performed | None = None  # the work to start, when it succeeded
    held_for_s: float | None = None  # Azure held it: how long it waits by the one rule (phased.held_wait)


def apply_item(ports: cloud_pc_actions.CloudPcActionPorts, bulk: BulkAction, item: BulkActionItem) -> Applied:
    """One item, exactly as the single action."""
    try:
        performed = cloud_pc_actions.perform(
            ports,
            bulk.tenant_id,
            item.cloud_pc_id,
            bulk.action,
            request_id=request_id_of(bulk.id),
            target_service_plan_id=bulk.target_service_plan_id,
        )
    except NotFound as gone:
        if item.status == "running" and bulk.action == "endGracePeriod":
            # a run that crashed had ended it: the deprovisioned Cloud PC is gone, as the action meant
            return Applied(BULK_ITEMS.move(item, "succeed"))
        return Applied(_failed(item.cloud_pc_id, gone))
    except CloudError as exc:
        if exc.transient:  # Azure said not now (a throttle, an outage): the item stays running, tried again later
            return Applied(item, held_for_s=held_wait(exc))
        return Applied(_failed(item.cloud_pc_id, exc))
    except Exception as refused:  # each item answers for itself; the others go on
        return Applied(_failed(item.cloud_pc_id, refused))
    return Applied(BULK_ITEMS.move(item, "succeed", error=None), performed)


def chunks_to_run(items: list[BulkActionItem]) -> list[list[BulkActionItem]]:
    """The items without a result, CHUNK at a time, each marked running (saved so before it is applied, a
    crash leaves it to be found applied)."""
    todo = [BULK_ITEMS.move(i, "start") for i in items if BULK_ITEMS.allows("start", i.status)]
    return [todo[first : first + CHUNK] for first in range(0, len(todo), CHUNK)]


@dataclass(frozen=True)
class BulkRun:
    """What one run of a bulk action left: its summary (saved), and when to run it again (None: it is finished)."""

    summary: BulkAction
    again_in_s: float | None


def run(
    ports: cloud_pc_actions.CloudPcActionPorts,
    bulks: BulkActionStore,
    tenant_id: str,
    bulk_id: str,
    start: Callable[[list[Performed]], None],
) -> BulkRun:
    """The items without a result, a chunk at a time: saved running, applied side by side, the work they leave
    given to `start`, their results saved; then the summary. Items Azure held (throttled, or not answering) make it
    run again as the longest of their waits, by the phased driver's one rule for a hold. The bulk action stays a
    queue-driven loop: each item's own work is the single action's orchestration, followed to its end there."""
    bulk = bulks.get_bulk_action(tenant_id, bulk_id)
    holds: list[float] = []
    with ThreadPoolExecutor(max_workers=CHUNK) as pool:
        for chunk in chunks_to_run(bulks.list_items(tenant_id, bulk_id)):
            for item in chunk:
                bulks.save_item(tenant_id, bulk_id, item)
            # each item in a copy of the caller's context, so its calls to Azure are traced under the run
            applying = [pool.submit(contextvars.copy_context().run, apply_item, ports, bulk, item) for item in chunk]
            results = [applied.result() for applied in applying]
            start([r.performed for r in results if r.performed is not None])
            for result in results:
                bulks.save_item(tenant_id, bulk_id, result.item)
                if result.held_for_s is not None:
                    holds.append(result.held_for_s)
    summary = summarized(bulk, bulks.list_items(tenant_id, bulk_id))
    bulks.update_bulk_action(summary.model_copy(update={"last_modified_date_time": ports.clock()}))
    return BulkRun(summary, max(holds, default=HOLD_WAIT_S) if summary.counts.running else None)


def new_bulk_action(
    tenant_id: str, request: BulkActionCreate, new_id: Callable[[], str], ports: cloud_pc_actions.CloudPcActionPorts
) -> BulkAction:
    now = ports.clock()
    return BulkAction(
        id=new_id(),
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        action=request.action,
        target_service_plan_id=request.target_service_plan_id,
    )
