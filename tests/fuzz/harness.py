"""The fuzzing tier's knobs, and its tally: requests sent, statuses answered, failures found (deduplicated)."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

DEFAULT_EXAMPLES = 10  # `make test`'s budget; the coverage phase walks every keyword of the document whatever it is
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
FUZZ_SEED = os.environ.get("FUZZ_SEED") or None
FUZZ_FAIL_FAST = os.environ.get("FUZZ_FAIL_FAST", "") not in ("", "0")
FUZZ_REPORT = os.environ.get("FUZZ_REPORT") or None
# Each fuzzing file is one test item (every operation's cases are its subtests), so pytest's per-test cap bounds all
# of it at once: the coverage phase's fixed walk (about 3 minutes alone on a 2-core machine) and the fuzzing phase's
# examples, each allowed several times what it takes alone, as the other tiers' workers load the machine several times
# over (a busy machine is not a failure). A request that hangs is caught on its own, by REQUEST_TIMEOUT_S, and named.
WALK_TIMEOUT_S = 1800
SECONDS_PER_EXAMPLE = 60
FUZZ_TIMEOUT_S = int(os.environ.get("FUZZ_TIMEOUT") or WALK_TIMEOUT_S + SECONDS_PER_EXAMPLE * FUZZ_EXAMPLES)
REQUEST_TIMEOUT_S = 120.0
SHOWN_CHARS = 600  # of a request or a response body, in the terminal summary (the JSON report keeps them whole)

# Operations whose bodies only recombine the rules of schemas another operation's coverage phase walks: they are
# fuzzed (random cases), not walked keyword by keyword, which alone was a quarter of the tier's requests.
FUZZED_NOT_WALKED = {
    # a template's fields are the policy's, Spot Group's, alert rule's, reclaim rule's and setting's own fields,
    # each made optional: createProvisioningPolicy, createSpotGroup and the rest walk the same rules
    "createTemplate": "the fields of the configuration it templates",
    # a trial is a schedule (setSpotGroupSchedule walks it) with a load curve
    "replaySpotGroupSchedule": "a schedule with a load curve",
}

# Query parameters only the server can produce: schema-valid cases leave them out (negative ones still send them).
# skipToken is a continuation the server signs (HMAC): the document gives its shape, but no value made up from
# that shape is one the server issued, so every "valid" one would be refused (400 invalidSkipToken).
SERVER_ISSUED_QUERY = ("skipToken",)

# Refusals of schema-valid data that are the API's intended answer, by error code, and why the document cannot
# rule the data out: a 400 whose every error detail has one of these codes is not counted as a rejected
# positive case.
UNSTATABLE_RULES = {
    # a body names another object (siteId, imageId, onPremisesConnectionId) by id: whether it exists is state,
    # not shape, and ids the fuzzer makes up name nothing
    "referenceNotFound": "names an object that does not exist",
    # a site's subnetId must lie under its virtualNetworkId: JSON Schema cannot relate two values' text
    "subnetNotInVirtualNetwork": "a subnet outside the site's virtual network",
    # a version's scripts are stored as one JSON text: its length, escapes included, is no JSON Schema keyword
    "scriptsTooLong": "customization scripts longer together than one stored property holds",
    # a rollout's maintenance window must hold its notice and drain timeout: JSON Schema cannot add two values
    "windowShorterThanDrain": "a maintenance window shorter than notifyMinutesBefore + drainTimeoutMinutes",
    # a Spot Group's scaling must fit its licenses: JSON Schema cannot divide licenseCount by maxSessionsPerHost
    "aboveLicenses": "maxHosts above the licenses at the sessions per host",
    "baseAboveCeiling": "baseHosts above maxHosts or the licenses at the sessions per host",
    # a field only the other backend takes (powerRules on windows365, ...): a tenant's backend is state, not shape
    "notTakenByBackend": "a field the tenant's backend does not take",
    # Windows 365 (the emulator's Graph) refused it for the tenant's state, e.g. a tenant not yet linked to Entra
    "refusedByWindows365": "Windows 365 refused it for the tenant's state",
    # an alert rule's threshold and a webhook's secret depend on its kind and, in a PATCH, on the stored rule
    "thresholdRequired": "a rule of a kind that counts against a threshold, without one",
    "thresholdNotAllowed": "a threshold on a rule of a kind that takes none",
    "secretRequired": "a new webhook without its signing secret (an update keeps the stored one)",
    # where a URL's host resolves, and which mailboxes a tenant has, are DNS's and the directory's state
    "hostNotFound": "a webhook host that does not resolve",
    "privateAddress": "a webhook host that resolves to a private, loopback or link-local address",
    "mailboxNotFound": "a mailbox the tenant does not have",
    # which sign-in names exist is the directories' state, as which mailboxes do
    "userNotFound": "a sign-in name neither the organization's directory nor the tenant's has",
    "mailboxNotEnabled": "a sender without an Exchange Online mailbox",
    "sendAsDenied": "a sender an application access policy keeps the app from",
    # a reclaim rule that e-mails its users names the mailbox it sends from: one field's need of another
    "mailboxRequired": "a reclaim rule e-mailing users without its sender mailbox",
    # the organization's rules take a tenant rule's body (one schema, one form): e-mail is a tenant's mailbox alone
    "channelNotForOrganization": "an e-mail channel on an organization rule",
    # a template's parameters relate to its fields: each names a field `fields` leaves out, and the fields it sets
    # with those left to tenants make the kind's body (JSON Schema cannot relate an array's items to an object's keys)
    "fieldNotSet": "a field the kind needs, neither in a template's fields nor one of its parameters",
    "parameterHasValue": "a template parameter its fields also set",
    "duplicateParameter": "a template parameter named twice",
    # which of a kind's values hold a credential is the kind's rule (a Teams channel's address, a webhook's secret);
    # a template's fields take each field's own schema, so the document offers them, and the template refuses them
    "credentialInTemplate": "a credential in a template's fields or a tenant's parameters",
    "notPooled": "a schedule in a template of a personal Spot Group",
    # a schedule's days, dates and phases relate across items: once each, in one set, phases in order of the day
    "duplicateDay": "a day listed twice in a weekday set",
    "dayInTwoSets": "a day in two weekday sets",
    "duplicateDate": "a date listed twice among a schedule's exceptions",
    "phasesOverlap": "a schedule's phase starting before the one it follows",
    # a view or bulk action across tenants names tenants: which ones the caller holds a role on is state, not shape
    "tenantNotInReach": "names a tenant the caller holds no role on",
    # whether a string is a live Azure token of a customer's administrator, and which subscriptions it sees, are
    # Entra's and Azure's state, not shape
    "adminSignInRefused": "an administrator's Azure token that Azure refuses",
    "subscriptionNotVisible": "a subscription the administrator's sign-in does not see",
    # a usage range's from and to are two dates: JSON Schema cannot order them or count the days between
    "rangeReversed": "a range whose from is after its to",
    "rangeTooLong": "a range of more days than a report covers",
}

# Graph's validation handshake: with this query parameter the webhooks echo it (200 text/plain) and read no body,
# as Graph sends none. The document requires the body Graph's notifications carry, so a negative case that only
# breaks the body (leaves it out, say) is answered 200 beside a token: the handshake, not accepted bad data.
HANDSHAKE_PARAMETER = "validationToken"


def error_codes(body: Any) -> list[str]:
    """The error codes of a contract error body: each detail's, or the error's own when it has none."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []
    items = error.get("details") or [error]
    return [str(item.get("code")) for item in items if isinstance(item, dict)]


def unstatable_refusal(status: int, body: Any) -> str | None:
    """The codes of a 400 that refuses only what the schema cannot state (UNSTATABLE_RULES), else None."""
    codes = sorted(set(error_codes(body))) if status == 400 else []
    return "+".join(codes) if codes and all(code in UNSTATABLE_RULES for code in codes) else None


@dataclass
class FuzzFailure:
    """One deduplicated failure: the operation, the kind of failure, and the shortest request that showed it."""

    operation: str
    check: str
    title: str
    status: int | None
    message: str
    request: str
    response: str
    seen: int = 1
    causes: list[str] = field(default_factory=list)  # the error codes and targets the app answered with, all hits


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} chars)"


@dataclass
class FuzzStats:
    """What the tier sent and found; shared by every operation's test."""

    requests: int = 0
    server_errors: int = 0
    expected: Counter[str] = field(default_factory=Counter)  # failures taken as the API's intended answer, by why
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str, int | None], FuzzFailure] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answered(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors += 1

    def failed(self, found: FuzzFailure) -> None:
        key = (found.operation, found.check, found.title, found.status)
        with self._lock:
            known = self.failures.get(key)
            if known is None:
                self.failures[key] = found
                return
            known.seen += 1
            known.causes = sorted({*known.causes, *found.causes})
            if len(found.request) < len(known.request):  # keep the smallest request that shows it
                found.seen, found.causes = known.seen, known.causes
                self.failures[key] = found

    def intended(self, why: str) -> None:
        with self._lock:
            self.expected[why] += 1

    def counts(self) -> str:
        kinds = Counter(failure.check for failure in self.failures.values())
        by_kind = ", ".join(f"{name}: {count}" for name, count in sorted(kinds.items()))
        intended = ", ".join(f"{why}: {count}" for why, count in sorted(self.expected.items()))
        return (
            f"fuzz: {self.requests} requests, {self.server_errors} server errors (5xx), "
            f"{len(self.failures)} distinct failures"
            + (f" ({by_kind})" if by_kind else "")
            + (f"; taken as intended: {intended}" if intended else "")
        )

    def report(self) -> list[str]:
        lines = [
            self.counts(),
            "fuzz: statuses " + ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items())),
        ]
        for failure in sorted(self.failures.values(), key=lambda f: (f.operation, f.check, f.title, f.status or 0)):
            head = f"- {failure.operation} [{failure.check}] {failure.title}"
            lines.append(f"{head} -> {failure.status} (x{failure.seen})")
            lines.append(f"    {_cut(failure.message)}")
            if failure.causes:
                lines.append(f"    causes:   {_cut(', '.join(failure.causes))}")
            lines.append(f"    request:  {_cut(failure.request)}")
            lines.append(f"    response: {_cut(failure.response)}")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "serverErrors": self.server_errors,
            "takenAsIntended": dict(sorted(self.expected.items())),
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
            "failures": [asdict(failure) for failure in self.failures.values()],
        }


STATS = FuzzStats()


class CountingSession(requests.Session):
    """Every request of the tier, the checks' own follow-up requests included, is counted here, and each waits at
    most REQUEST_TIMEOUT_S for its answer where it is sent with no time limit of its own."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = REQUEST_TIMEOUT_S
        response = super().send(request, **kwargs)
        STATS.answered(response.status_code)
        return response
