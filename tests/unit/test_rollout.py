"""The rolling image update's rule: the canary first and alone, then batches; only running hosts are rebuilt; a
failed canary rolled back to the image it had, a failed batch after it ending the update, a cancel ending it."""

from __future__ import annotations

from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.services.spot_pc.rollout import BatchVerdict, after_batch, plan_rollout, replaceable


def host(index: int, status: str = "running") -> SessionHost:
    return SessionHost(name=f"sh-{index}", index=index, status=status, image_version="1.0.0")


def test_one_host_is_the_canary_and_there_is_nothing_after_it() -> None:
    plan = plan_rollout([host(0)], canary_count=1, batch_size=3)
    assert [h.index for h in plan.canary] == [0] and plan.batches == []


def test_a_canary_larger_than_the_group_is_every_host() -> None:
    plan = plan_rollout(["a", "b"], canary_count=5, batch_size=1)
    assert plan.canary == ["a", "b"] and plan.batches == []


def test_the_rest_go_batch_size_at_a_time_the_last_batch_shorter() -> None:
    plan = plan_rollout(list("abcdefg"), canary_count=2, batch_size=2)
    assert plan.canary == ["a", "b"]
    assert plan.batches == [["c", "d"], ["e", "f"], ["g"]]


def test_no_canary_and_a_batch_size_below_one_still_move_one_host_at_a_time() -> None:
    plan = plan_rollout(list("abc"), canary_count=0, batch_size=0)
    assert plan.canary == [] and plan.batches == [["a"], ["b"], ["c"]]


def test_an_empty_group_has_an_empty_plan() -> None:
    assert plan_rollout([], canary_count=1, batch_size=1) == plan_rollout([], canary_count=0, batch_size=4)


def test_failed_and_unfinished_hosts_are_not_rebuilt_and_the_canary_is_the_first_running_one() -> None:
    hosts = [host(0, "failed"), host(1), host(2, "creating"), host(3), host(4, "removing"), host(5)]
    running = replaceable(hosts)
    assert [h.index for h in running] == [1, 3, 5]
    plan = plan_rollout(running, canary_count=1, batch_size=5)
    assert [h.index for h in plan.canary] == [1] and [[h.index for h in b] for b in plan.batches] == [[3, 5]]


UPDATE = SpotGroupRun(tenant_id="t", spot_group_id="g", work="deploy", replace=[0, 1, 2], previous=("1.0.0", "img-1"))


def host_run(index: int) -> SpotGroupRun:
    return UPDATE.model_copy(
        update={
            "stage": "host",
            "host": index,
            "host_work": "replace",
            "image_version": "2.0.0",
            "image_version_id": "img-2",
        }
    )


def test_a_canary_that_succeeded_or_a_batch_goes_on() -> None:
    canary = [host_run(0), host_run(1)]
    assert after_batch(UPDATE, canary, ["succeeded", "succeeded"], canary=True) == BatchVerdict()
    assert after_batch(UPDATE, [host_run(2)], ["succeeded"], canary=False) == BatchVerdict()


def test_a_canary_host_that_failed_takes_the_whole_canary_back_to_the_previous_image_at_once() -> None:
    canary = [host_run(0), host_run(1)]
    verdict = after_batch(UPDATE, canary, ["succeeded", "failed"], canary=True)
    assert verdict.ends == "rolledBack"
    assert [(r.host, r.image_version, r.image_version_id, r.maintenance_window) for r in verdict.back] == [
        (0, "1.0.0", "img-1", None),
        (1, "1.0.0", "img-1", None),
    ]


def test_a_batch_that_failed_after_the_canary_ends_the_update_failed_and_nothing_goes_back() -> None:
    assert after_batch(UPDATE, [host_run(2)], ["failed"], canary=False) == BatchVerdict("failed")


def test_a_cancel_ends_the_update_where_it_is_even_beside_a_failure() -> None:
    verdict = after_batch(UPDATE, [host_run(0), host_run(1)], ["failed", "cancelled"], canary=True)
    assert verdict == BatchVerdict("cancelled")
