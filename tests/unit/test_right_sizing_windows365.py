"""Right-sizing on windows365 from Windows 365's own recommendation report: Graph's usage categories as the app's
classes, its recommended plan as the catalogue's where the catalogue has it (not offered as a resize, with why, where
its disk is smaller), the hourly aggregation its figures lag by, the record's own evidence of disuse first, and the
backend facet that reads the report for a page of Cloud PCs (the azure one reads none)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.ports.windows365 import Windows365Recommendation
from shared.services.backends.azure_cloud_pcs import AzureCloudPcWork
from shared.services.backends.windows365_cloud_pcs import Windows365CloudPcWork
from shared.services.monitoring.right_sizing import ALREADY_HAS_IT, WINDOWS365_AGGREGATION, classify
from tests.fakes.cloud import FakeWindows365, Script
from tests.unit.test_right_sizing import DAY, NOW, PLAN, cloud_pc, usage

FOUR_CORES_128GB = "2de9c682-ca3f-4f2b-b360-dfc4775db133"  # CPC_E_4C_16GB_128GB, the page's own example
EIGHT_CORES_256GB = "69dc175c-dcff-4757-8389-d19e76acb45d"  # CPC_E_8C_32GB_256GB: PLAN's disk, a size up
WIDE_TWO_CORES = "w365-enterprise-2vcpu-8gb-256gb"  # the page's example's Cloud PC
UNKNOWN_PLAN = "7f5d3c2e-0000-4000-8000-000000000000"


def verdict(category: str, plan_id: str | None = None, name: str | None = None) -> Windows365Recommendation:
    return Windows365Recommendation("w365-1", category, plan_id, name)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (
            verdict("Undersized", EIGHT_CORES_256GB.upper(), "Cloud PC Enterprise 8vCPU/32GB/256GB"),
            ("undersized", "w365-enterprise-8vcpu-32gb-256gb"),
        ),
        (verdict("Oversized", UNKNOWN_PLAN, "Cloud PC Enterprise 3vCPU/12GB/256GB"), ("oversized", UNKNOWN_PLAN)),
        (verdict("Rightsized"), ("rightSized", None)),
        (verdict("Underutilized"), ("underused", None)),
        (
            verdict("Overheated", FOUR_CORES_128GB),
            ("notEnoughData", None),
        ),  # a category added after the app was written
    ],
)
def test_graph_s_category_and_plan_become_the_app_s(
    graph: Windows365Recommendation, expected: tuple[str, str | None]
) -> None:
    found = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=graph)
    assert (found.classification, found.recommended_service_plan_id) == expected
    assert (found.evidence.metrics_source, found.evidence.usage_category) == ("windows365Report", graph.usage_category)


def test_the_reason_and_evidence_keep_graph_s_words() -> None:
    graph = verdict("Oversized", UNKNOWN_PLAN, "Cloud PC Enterprise 3vCPU/12GB/256GB")
    found = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=graph)
    assert found.reason == (
        "Windows 365's recommendation report classes it Oversized, and recommends Cloud PC Enterprise 3vCPU/12GB/256GB."
    )
    assert found.evidence.recommended_plan_name == "Cloud PC Enterprise 3vCPU/12GB/256GB"


def test_a_recommended_plan_with_a_smaller_disk_is_named_with_why_and_not_offered_as_a_resize() -> None:
    graph = verdict("Undersized", FOUR_CORES_128GB, "Cloud PC Enterprise 4vCPU/16GB/128GB")
    found = classify(
        cloud_pc(service_plan_id=WIDE_TWO_CORES), SERVICE_PLANS_BY_ID[WIDE_TWO_CORES], NOW, recommendation=graph
    )
    assert (found.classification, found.recommended_service_plan_id) == ("undersized", None)
    assert found.not_resizable_reason == (
        "The recommended Windows 365 Enterprise 4 vCPU, 16 GB, 128 GB has a smaller disk (128 GB) than this Cloud PC's "
        "256 GB; resize cannot shrink a disk: reprovision to change it."
    )
    assert found.evidence.recommended_plan_name == "Cloud PC Enterprise 4vCPU/16GB/128GB"  # still named
    same_disk = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=verdict("Oversized", UNKNOWN_PLAN))
    assert same_disk.not_resizable_reason is None


def test_a_plan_the_cloud_pc_already_has_is_not_offered_the_report_predating_its_resize() -> None:
    graph = verdict("Undersized", EIGHT_CORES_256GB)  # aggregated before its resize to that very plan
    eight = "w365-enterprise-8vcpu-32gb-256gb"
    found = classify(cloud_pc(service_plan_id=eight), SERVICE_PLANS_BY_ID[eight], NOW, recommendation=graph)
    assert found.recommended_service_plan_id is None
    assert found.not_resizable_reason == ALREADY_HAS_IT


def test_windows_365_s_figures_are_shown_as_aggregated_within_the_hour_before_they_were_read() -> None:
    found = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=verdict("Rightsized"))
    assert found.evidence.report_aggregated_after == NOW - WINDOWS365_AGGREGATION
    measured = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, usage=usage(5, 12))
    assert measured.evidence.report_aggregated_after is None  # Azure Monitor's own figures: no report


def test_the_record_s_disuse_comes_first_and_graph_s_verdict_before_any_metrics() -> None:
    undersized = verdict("Undersized", FOUR_CORES_128GB)
    never = cloud_pc(last_connected_date_time=None, provisioned_date_time=NOW - 20 * DAY)
    assert classify(never, SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=undersized).classification == "neverUsed"
    idle = cloud_pc(last_connected_date_time=NOW - 15 * DAY)
    assert classify(idle, SERVICE_PLANS_BY_ID[PLAN], NOW, recommendation=undersized).classification == "underused"
    roomy = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, usage=usage(5, 12), recommendation=undersized)
    assert roomy.classification == "undersized"


def test_the_windows365_facet_reads_the_report_for_the_page_by_the_app_s_ids() -> None:
    fake = FakeWindows365(Script())
    fake.recommendations = {
        "W365-A": Windows365Recommendation("W365-A", "Oversized"),
        "w365-gone": Windows365Recommendation("w365-gone", "Rightsized"),
    }
    pcs = [cloud_pc(id="a", windows365_id="W365-A"), cloud_pc(id="b", windows365_id="w365-b")]
    found = Windows365CloudPcWork().size_recommendations(SimpleNamespace(windows365=fake), "t", pcs)
    assert {pc_id: row.usage_category for pc_id, row in found.items()} == {"a": "Oversized"}
    assert fake.script.calls["list_recommendations"] == 1  # one request for the page


def test_the_azure_facet_reads_no_report() -> None:
    fake = FakeWindows365(Script())
    assert AzureCloudPcWork().size_recommendations(SimpleNamespace(windows365=fake), "t", [cloud_pc()]) == {}
    assert fake.script.calls["list_recommendations"] == 0
