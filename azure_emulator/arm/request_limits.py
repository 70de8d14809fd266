"""ARM's own request limits, before any resource provider sees a request: token buckets of reads, writes and deletes.

Microsoft's figures (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling,
"Regional throttling and token bucket algorithm"): per subscription, per security principal and per kind of
operation, reads 250 tokens refilled at 25 a second, writes and deletes 200 refilled at 10; beside them a global
bucket per subscription and kind, 15 times the principal's, that every principal draws on; requests outside any
subscription draw on the tenant's buckets, of the same sizes. The buckets are per region of Azure Resource Manager:
the emulator is one region. Every answer says what is left (`x-ms-ratelimit-remaining-subscription-reads` and so
on, the page's "Remaining requests"); an empty bucket answers 429 with Retry-After, and the request is not made.

A test changes the principal's figures with `PUT /emulator/throttles/armReads` (armWrites, armDeletes); the global
bucket follows at 15 times.
"""

from __future__ import annotations

import math

from azure_emulator.server import ApiError, Context, Request

# (bucket size, refill per second) of one principal in one subscription, or in the tenant
LIMITS = {"reads": (250.0, 25.0), "writes": (200.0, 10.0), "deletes": (200.0, 10.0)}
GLOBAL_FACTOR = 15  # the subscription's global bucket, across principals, against one principal's
CONTROL = {"reads": "armReads", "writes": "armWrites", "deletes": "armDeletes"}


def kind_of(method: str) -> str:
    """ARM counts a GET (or HEAD) as a read, a DELETE as a delete, and every other method as a write."""
    method = method.upper()
    return "reads" if method in ("GET", "HEAD") else "deletes" if method == "DELETE" else "writes"


def subscription_of(request: Request) -> str | None:
    parts = [p for p in request.path.removeprefix("/arm").split("/") if p]
    return parts[1].lower() if len(parts) >= 2 and parts[0].lower() == "subscriptions" else None


def admit(ctx: Context, request: Request) -> dict[str, str]:
    """Take the request's tokens, and answer the headers that say what is left; 429 with Retry-After when a bucket
    is empty (nothing is taken then)."""
    claims = request.claims or {}
    principal = str(claims.get("oid") or claims.get("appid") or "anonymous").lower()
    kind = kind_of(request.method)
    size, refill = LIMITS[kind]
    name = CONTROL[kind]
    per_minute, burst = ctx.controls.throttles.get(name, (refill * 60.0, size))  # a test's figures, else Azure's
    subscription = subscription_of(request)
    if subscription is None:
        scope = f"tenant-{kind}"
        buckets = [(name, f"tenant/{request.tenant}/{principal}", (per_minute, burst))]
    else:
        scope = f"subscription-{kind}"
        whole = (per_minute * GLOBAL_FACTOR, burst * GLOBAL_FACTOR)
        buckets = [(name, f"{subscription}/{principal}", (per_minute, burst)), (f"{name}Global", subscription, whole)]
    wait, remaining = ctx.controls.take_together(buckets)
    headers = {f"x-ms-ratelimit-remaining-{scope}": str(remaining[0])}
    if len(remaining) > 1:
        headers[f"x-ms-ratelimit-remaining-subscription-global-{kind}"] = str(remaining[1])
    if wait > 0:
        ctx.controls.throttled_for(scope if remaining[0] < 1 else f"subscription-global-{kind}")
        raise ApiError(
            429,
            "TooManyRequests",
            f"The request is throttled: the {scope.replace('-', ' ')} limit is reached. Retry after the time the "
            "Retry-After header gives.",
            {**headers, "Retry-After": str(max(1, math.ceil(wait)))},
        )
    return headers
