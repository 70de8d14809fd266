"""ARM's request limits in the emulator: token buckets per subscription and principal (and the subscription's global
one), said on every answer, and a 429 with Retry-After, the request not made, when a bucket is empty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls

REMAINING = "x-ms-ratelimit-remaining-subscription-{}"


@pytest.fixture
def controls(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> Iterator[Controls]:
    controls = Controls(azure_emulator, admin.tenant_id)
    yield controls
    for name in ("armWrites", "armReads", "armDeletes"):  # Azure's figures again for the next test
        controls.session.delete(f"{controls.base}/throttles/{name}", timeout=30)


def test_every_answer_says_what_its_kind_of_request_has_left(admin: ArmAdmin) -> None:
    group = admin.group_id("rg-limits")
    written = admin.call("PUT", group, {"location": "westeurope"})
    read = admin.call("GET", group)
    deleted = admin.call("DELETE", group)
    assert written.status_code in (200, 201) and read.status_code == 200 and deleted.status_code in (200, 202)
    assert int(written.headers[REMAINING.format("writes")]) == 199  # Azure's bucket of 200, one taken
    assert int(written.headers[REMAINING.format("global-writes")]) == 200 * 15 - 1
    assert int(read.headers[REMAINING.format("reads")]) <= 249 and REMAINING.format("writes") not in read.headers
    assert int(deleted.headers[REMAINING.format("deletes")]) == 199
    listed = admin.session.get(f"{admin.emulator.base_url}/arm/subscriptions?api-version=2022-12-01", timeout=30)
    assert int(listed.headers["x-ms-ratelimit-remaining-tenant-reads"]) <= 249  # outside any subscription


def test_an_empty_bucket_answers_429_with_retry_after_and_the_request_is_not_made(
    admin: ArmAdmin, controls: Controls
) -> None:
    controls.throttle("armWrites", per_minute=6, burst=2)  # one write every 10 s once two are spent
    admin.resource_group("rg-a")
    admin.resource_group("rg-b")
    refused = admin.call("PUT", admin.group_id("rg-c"), {"location": "westeurope"})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "TooManyRequests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers[REMAINING.format("writes")] == "0"
    counted = controls.session.get(f"{controls.base}/requests", timeout=30).json()["value"]
    assert any(row["api"] == "arm" and row["method"] == "PUT" and row["throttled"] >= 1 for row in counted), (
        "the request counts say how many of each were answered 429"
    )
    assert admin.call("GET", admin.group_id("rg-c")).status_code == 404  # reads have their own bucket
    other = ArmAdmin(admin.emulator, admin.tenant_id)  # another subscription: its own buckets
    assert other.call("PUT", other.group_id("rg-c"), {"location": "westeurope"}).status_code in (200, 201)
