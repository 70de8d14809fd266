"""Client-side pacing of VM creates per subscription and region: a line of turns once a create was held."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from shared.cloud.azure.arm_clients import BUCKET, INLINE_WAIT_S, NEW_WORK_RESERVE, REFILL_PER_S, RESERVE
from shared.ports.compute import Placement

STALE_TURN_S = 600.0  # a line no caller has come to for this long is gone: Azure's bucket has refilled meanwhile
PUNCTUAL_S = 0.01  # a caller this close to its turn has it
FIRST_SPACING = 0.25  # of the first Retry-After: where learning the spacing starts
WIDEN, NARROW = 1.25, 0.99  # the spacing after a refusal at a turn, after a create let through at its turn
MIN_SPACING_S = 0.02
# the widest spacing is this much more than a Retry-After: a bucket refills one token a refill interval after
# the last was taken, so a caller a few milliseconds less late than the one before it would find none yet
TURN_MARGIN_S = 0.05
# A new Cloud PC's VM brings five ARM writes (itself, its join extension, its post-provisioning Run Command, which
# installs the AVD agent too, its sign-in role and its session host's assignment): once the write bucket's room is
# spent, turns are given about as close as ARM refills those writes, so the line's callers come back when the budget
# can take them, not to be held by it (each hold a durable timer, two episodes and a call more; pacing a write closer
# than the count cost more calls and no time, docs/benchmarks.md). The room is what the budget lets new work spend:
# the bucket less the new-work reserve and the budget's own, so a line begun with the bucket full uses it.
WRITES_PER_VM = 5
WRITE_PACE_S = WRITES_PER_VM / REFILL_PER_S
WRITE_ROOM_S = (BUCKET["writes"] - NEW_WORK_RESERVE - RESERVE) / REFILL_PER_S


class Turns:
    """Client-side pacing of VM creates per subscription and region, once Azure (or the write budget) has held one.

    Azure's 429 says when the next create may go, not whose it is: every caller told "in 1 s" would come back
    at once, and all but one be throttled again. So while a line exists every caller is given a turn of its own,
    a moment the spacing after the one before it and never while a 429's Retry-After runs (a 429 is waited out,
    never retried early), and sends its create only once its turn has come. A caller whose turn has come is
    given a moment to send of its own, in the order they came, the spacing after the one before, and never sends
    within the spacing of the create sent before it: callers late for their turns (a busy host) go one by one, not
    as a herd, and none is passed over by those that came after it. Turns are given as close as the line can take
    them, so late callers push every caller after them: once they fill the line for longer than a call sleeps
    (INLINE_WAIT_S), a further late caller is given a new turn at the end of the line instead, and the callers on
    time keep theirs rather than each be handed back a call later. A caller refused by Azure at its turn is given
    a new turn at the end of the line, after the wait it was told; one held by the app's write budget keeps its
    place, and comes back when the budget said. A line no one has come to for STALE_TURN_S is forgotten.

    The spacing is learned, since Compute refills its buckets several tokens a second while Retry-After comes in
    whole seconds: it starts at FIRST_SPACING of the first Retry-After, widens by WIDEN when a caller let go after
    the last widening is refused at its turn, and narrows by NARROW with each create that goes through at its turn,
    never wider than the longest Retry-After: it settles just above the interval at which creates can go, with a
    refusal in every few dozen creates. Turns are also given no closer than ARM's write budget carries new VMs
    through (WRITE_PACE_S, after WRITE_ROOM_S of them at once): a turn is given once and cannot be moved, so it
    must be one the budget will keep. The line is the process's own: on several instances at most one caller per
    instance meets Azure at a turn.
    """

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, caller: str) -> float:
        """0 when `caller` may send its create now; else how long until its turn."""
        key = key.lower()
        with self._lock:
            now = self._clock()
            line = self._lines.get(key)
            if line is None or now - line.used > STALE_TURN_S:
                self._lines.pop(key, None)
                return 0.0  # no line: go ahead
            line.used = now
            turn = line.turns.get(caller)
            if turn is None:
                turn = line.turns[caller] = line.next_turn(now)
            if turn - now < PUNCTUAL_S and caller not in line.sending:  # its turn has come: a moment to send of its
                moment = line.moment(now)  # own, in order (callers
                if moment - now > INLINE_WAIT_S:  # late for their turns go one by one, none passed over), unless
                    turn = line.turns[caller] = line.next_turn(now)  # those before it fill the line for longer than
                    return turn - now  # a call sleeps: then a new turn at the end, and the turns given keep theirs
                turn = line.turns[caller] = line.reserved = moment
                line.sending.add(caller)
            if line.sent + line.spacing - turn >= PUNCTUAL_S:  # never within the spacing of the create sent before:
                turn = line.turns[caller] = line.reserved = max(line.sent, line.reserved) + line.spacing  # pushed, a
                line.sending.add(caller)  # moment of its own after those given, or the callers pushed alike would
            if turn - now >= PUNCTUAL_S:  # come back together, again and again (a herd of short waits)
                return turn - now
            del line.turns[caller]
            line.sending.discard(caller)
            line.paced[caller] = line.sent = now
            return 0.0

    def throttled(self, key: str, caller: str, retry_after_s: float, *, by_azure: bool = True) -> float:
        """Azure (or the write budget) refused `caller`'s create; how long until the caller's new turn. Azure's
        refusal is waited out by the whole line, teaches the spacing, and sends the caller to the end of the line;
        the write budget's hold says how much room ARM has left, not how fast Compute takes creates: the caller
        keeps its place and comes back after the wait."""
        key = key.lower()
        with self._lock:
            now = self._clock()
            line = self._lines.get(key)
            if line is None:
                line = self._lines[key] = _Line(spacing=retry_after_s * FIRST_SPACING, budget_at=now)
            line.used = now
            let_go = line.paced.pop(caller, None)
            if not by_azure:  # its moment to send is the budget's now, one of its own: it goes then, before those
                moment = line.moment(now + retry_after_s)  # that came
                line.turns[caller] = line.reserved = moment  # after, and callers held alike do not come back together
                line.sending.add(caller)  # only to be pushed apart, past a call's sleep, and handed back once more
                return moment - now
            line.sending.discard(caller)
            line.widest = max(line.widest, retry_after_s + TURN_MARGIN_S)
            if let_go is not None and let_go > line.widened:  # refused at its turn: turns too close (once: those
                line.spacing = min(line.spacing * WIDEN, line.widest)  # let go before it were closer still)
                line.widened = now
            line.paused_until = max(line.paused_until, now + retry_after_s)
            turn = line.turns[caller] = line.next_turn(now)
            return turn - now

    def done(self, key: str, caller: str) -> None:
        with self._lock:
            line = self._lines.get(key.lower())
            if line is None:
                return
            line.turns.pop(caller, None)
            line.sending.discard(caller)
            if line.paced.pop(caller, None) is not None:  # through at its turn: the turns may come a little closer
                line.spacing = max(line.spacing * NARROW, MIN_SPACING_S)


@dataclass
class _Line:
    """One subscription and region's line of VM creates (Turns)."""

    spacing: float  # the time between two turns
    budget_at: float  # when ARM's write budget has refilled the writes of the new VMs given turns so far
    widest: float = 0.0  # the widest spacing: the longest Retry-After the line was told, and a margin
    last: float = float("-inf")  # the latest turn given
    sent: float = float("-inf")  # when the latest caller was let go
    reserved: float = float("-inf")  # the latest moment to send given to a caller whose turn had come
    paused_until: float = 0.0  # a 429's Retry-After, waited out by every caller
    widened: float = float("-inf")  # when the spacing last widened
    used: float = 0.0
    turns: dict[str, float] = field(default_factory=dict)  # caller -> its turn
    paced: dict[str, float] = field(default_factory=dict)  # caller let go at its turn -> when, until Azure answered
    sending: set[str] = field(default_factory=set)  # callers whose turn has come, each with its moment to send

    def moment(self, at: float) -> float:
        """A moment to send, from `at` on: the spacing after the moment given last and after the create sent last."""
        return max(at, self.reserved + self.spacing, self.sent + self.spacing)

    def next_turn(self, now: float) -> float:
        """A new turn at the end of the line: the spacing after the last turn and the last moment given, and within
        what the write budget refills (its room spent first: a turn up to WRITE_ROOM_S before the budget has refilled
        the turns before it)."""
        self.last = max(
            now,
            self.last + self.spacing,
            self.reserved + self.spacing,
            self.paused_until,
            self.budget_at - WRITE_ROOM_S,
        )
        self.budget_at = max(self.budget_at, self.last - WRITE_ROOM_S) + WRITE_PACE_S
        return self.last


def vm_line(placement: Placement) -> str:
    """Azure throttles VM creates per subscription and region: one line of turns for each."""
    return f"{placement.subscription_id}/{placement.region_name}"
