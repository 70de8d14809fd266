"""Phased work on the activity side: one driver takes a run's phases until an outcome or a wait.

The orchestrator side is orchestrators/phases.py; the runs are PhasedRun contracts and each call answers a
PhasedStep (shared/models/orchestrations.py). A piece of work supplies its phases and one function that takes a
phase; the driver owns the loop, the clock, the time limit, the one minimum wait and the bookkeeping between calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from shared.models.orchestrations import PhasedRun, PhasedStep
from shared.ports.cloud_errors import CloudError
from shared.ports.progress import MIN_WAIT_S, Progress

HOLD_WAIT_S = 5.0  # a throttle or an outage that did not say when to come back: Azure's usual polling interval
TIMED_OUT = "timedOut"  # the code of a phase whose Azure operation ran past the time limit
DONE = Progress(done=True)  # a phase that finished at once (nothing to wait for in Azure)
Run = TypeVar("Run", bound=PhasedRun)
Phase = TypeVar("Phase")
# what taking a phase answers: its progress (with the run it leaves, where it changed the run), or the call's answer
Taken = Progress | tuple[Run, Progress] | PhasedStep[Run]


def held_wait(exc: CloudError) -> float:
    """How long work Azure held back with `exc` (a throttle, an outage) waits: as Azure asked, else HOLD_WAIT_S;
    never under MIN_WAIT_S. The one rule for every wait on a hold, phased or not (a bulk action's queue message)."""
    return max(exc.retry_after_s or HOLD_WAIT_S, MIN_WAIT_S)


def drive(
    run: Run,
    phases: Sequence[Phase],
    take: Callable[[Run, Phase], Taken[Run]],
    *,
    clock: Callable[[], datetime],
    limit: timedelta | Callable[[Phase], timedelta],
    on_fail: Callable[[Run, Phase, CloudError], PhasedStep[Run] | Run],
    on_done: Callable[[Run, Phase, Progress], Run] | None = None,
    finish: Callable[[Run], PhasedStep[Run]] | None = None,
    name: Callable[[Phase], str] = str,
) -> PhasedStep[Run]:
    """Take `phases` from `run.phase` on until one is not done yet (answered with when to ask again), one answers
    the call itself, or none is left (`finish`, by default succeeded).

    A phase that fails (CloudError, or still not done past `limit`, the same for every phase or each its own) goes
    to `on_fail`: it answers the call, or gives the run to go on with (a build goes on to its clean-up). `on_done`
    records what a finished phase made before the next one starts.

    A throttle or an outage (a transient CloudError, or a Progress Azure `held`) is no failure: the phase waits as
    Azure asked, within the same time limit, and the run's `held` names what holds it until a call gets through.
    """
    while run.phase < len(phases):
        phase, now = phases[run.phase], clock()
        started = run.started_at or now
        allowed = limit(phase) if callable(limit) else limit
        try:
            if run.started_at is not None and now - started > allowed:  # it waited, and waited too long
                raise CloudError(name(phase), TIMED_OUT, f"{name(phase)} did not finish within {allowed}")
            taken = take(run, phase)
        except CloudError as exc:
            if exc.transient:
                taken = Progress(
                    done=False, retry_after_s=held_wait(exc), operation=run.operation, held=exc.code, reason=exc.reason
                )
            else:
                handled = on_fail(run, phase, exc)
                if isinstance(handled, PhasedStep):
                    return handled
                run = handled
                continue
        if isinstance(taken, PhasedStep):
            return taken
        if isinstance(taken, tuple):
            run, taken = taken
        if not taken.done:
            wait = max(taken.retry_after_s, MIN_WAIT_S)
            held_reason = taken.reason if taken.held is not None else None
            later = run.model_copy(
                update={
                    "operation": taken.operation,
                    "started_at": started,
                    "held": taken.held,
                    "held_reason": held_reason,
                }
            )
            # the wait counts from Azure's answer, not from before the call: a poll timed from before would come
            # back as much too early as the call took, find the operation still running and cost another call
            return PhasedStep(run=later, wait_seconds=wait, resume_at=clock() + timedelta(seconds=wait))
        run = next_phase(on_done(run, phase, taken) if on_done is not None else run)
    return finish(run) if finish is not None else PhasedStep(outcome="succeeded", run=run)


def next_phase(run: Run) -> Run:
    return run.model_copy(
        update={"phase": run.phase + 1, "operation": None, "started_at": None, "held": None, "held_reason": None}
    )
