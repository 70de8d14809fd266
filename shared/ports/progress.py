"""How a long-running cloud call answers: Progress, done or not yet and when to ask again."""

from __future__ import annotations

from dataclasses import dataclass

# Every provisioning call is idempotent, keyed by a deterministic resource name, and answers with its
# Progress: done, or not yet (a long-running operation or throttling) and when to ask again. The
# orchestrator waits on a durable timer between asks, so no activity slot sits idle while Azure works.
# A call that started a long-running operation returns the operation to poll (its status URL); the run
# state carries it, and the next call passes it back as `operation`, so the adapter polls instead of
# starting again.

MIN_WAIT_S = 0.5  # the shortest wait between two asks, whatever Azure said (shared/services/engine/phased.py)


@dataclass(frozen=True)
class Progress:
    done: bool
    retry_after_s: float = 0.0
    resource_id: str | None = None  # the ARM/Graph id of what the call created, once done
    operation: str | None = None  # not done: what to pass back as `operation` on the next call
    # not done because Azure said not now (its code: a throttle, a busy resource, an outage, a service not
    # answering), not because the operation is still running: the wait is held, spends no attempt, and the timeline
    # says why
    held: str | None = None
    # not done: why, in words (what held the call, naming the service, or what runs on in Azure); every "not yet"
    # of an adapter says it (tests/unit/test_not_yet_reasons.py), and a held one's is its timeline line
    reason: str | None = None
    # a VM made: its system-assigned identity's object id (the PUT's `identity.principalId`), the `oid` of its tokens
    principal_id: str | None = None
