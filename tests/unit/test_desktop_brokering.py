"""An azure Cloud PC brokered through Azure Virtual Desktop, on the fakes: its step, and nothing left behind."""

from __future__ import annotations

from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.cloud_pcs import cloud_pc_actions, lifecycle
from shared.services.cloud_pcs.desktop_brokering import desktop_slot, host_pool_name, session_host_name
from shared.services.cloud_pcs.provisioning import advance
from shared.services.cloud_pcs.provisioning_steps import vm_name
from tests.fakes import Fakes
from tests.fakes.cloud import FakeHostPool
from tests.fakes.seed import BIG_PLAN, PLAN, TENANT, cloud_pc, tenant
from tests.unit.test_advance import arranged, drive, lines
from tests.unit.test_cloud_pc_actions import run_to_the_end
from tests.unit.test_launch_info import BUILD


def pool_of(fakes: Fakes, pc: str) -> FakeHostPool:
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.build is not None
    return fakes.avd.pools[(TENANT, host_pool_name(stored.provisioning_policy_id, stored.build))]


def hosts(fakes: Fakes, pc: str) -> dict[str, SessionHostRecord]:
    return pool_of(fakes, pc).hosts


def test_a_provisioned_cloud_pc_is_a_session_host_of_its_policys_pool_assigned_to_its_user() -> None:
    ports, fakes, ann = arranged()
    bob = cloud_pc(fakes, "bob").id
    assert drive(ports, fakes, ann)[0] == drive(ports, fakes, bob)[0] == "provisioned"
    pool = pool_of(fakes, ann)
    assert pool is pool_of(fakes, bob)  # one pool per policy and site
    spec = pool.spec
    assert (spec.pool_type, spec.assignment, spec.max_sessions) == ("personal", "Direct", 1)
    assert (spec.friendly_name, spec.user_group_ids) == ("Finance", ("g-finance",))
    assert {vm: host.assigned_user_id for vm, host in pool.hosts.items()} == {
        vm_name(ann, 1, 1): "ann@contoso.com",
        vm_name(bob, 1, 1): "bob@contoso.com",
    }
    assert ("registerSessionHost", 1, "succeeded") in lines(fakes, ann)


def test_a_registration_that_fails_fails_the_attempt_with_avds_reason_and_leaves_no_session_host() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail(
        "register_session_host",
        times=None,
        code="SessionHostNotRegistered",
        message="The Azure Virtual Desktop agent did not register",
    )
    assert drive(ports, fakes, pc, max_attempts=2)[0] == "failed"
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status_detail is not None and stored.status_detail.code == "SessionHostNotRegistered"
    assert "did not register" in stored.status_detail.message
    registrations = [(a, o) for name, a, o in lines(fakes, pc) if name == "registerSessionHost"]
    assert registrations == [(1, "failed"), (2, "failed")]
    assert fakes.compute.vm_names(TENANT) == [] and hosts(fakes, pc) == {}


def test_an_assignment_that_fails_takes_the_registered_host_out_of_the_pool_before_the_next_attempt() -> None:
    ports, fakes, pc = arranged()
    fakes.script.fail("assign_session_host", times=1, code="SessionHostAssignmentFailed")
    assert drive(ports, fakes, pc) == ("provisioned", 2)
    (vm,) = fakes.compute.vm_names(TENANT)
    assert vm.endswith("-a2")
    assert {name: host.assigned_user_id for name, host in hosts(fakes, pc).items()} == {vm: "ann@contoso.com"}


def test_a_registration_under_way_is_polled_without_ensuring_the_pool_again() -> None:
    ports, fakes, pc = arranged()
    fakes.script.wait("register_session_host", times=2, retry_after_s=20)
    assert drive(ports, fakes, pc)[0] == "provisioned"
    polls = [operation for name, operation in fakes.script.log if name == "register_session_host"]
    assert polls[0] is None and polls[1] is not None and polls[2] is not None  # the adapter's own operation
    # once before the post-provisioning command, which installs the agent with the pool's token, and once by the step
    assert fakes.script.calls["ensure_host_pool"] == 2
    assert len(hosts(fakes, pc)) == 1


def test_a_policy_deleted_before_the_step_fails_it() -> None:
    ports, fakes, pc = arranged()
    fakes.script.wait("assign_user", times=1)
    first = advance(ports, TENANT, pc, 1, 1, None)
    fakes.policies.delete_policy(TENANT, "finance")
    fakes.clock.advance(seconds=first.wait_seconds)
    advanced = advance(ports, TENANT, pc, 1, 1, first.state)
    while advanced.outcome is None:  # the step fails; the attempt's removal follows
        fakes.clock.advance(seconds=advanced.wait_seconds)
        advanced = advance(ports, TENANT, pc, 1, 1, advanced.state)
    assert advanced.outcome == "failed"
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, pc)
    assert stored.status_detail is not None and stored.status_detail.code == "policyNotFound"


def test_end_of_grace_and_reprovision_take_the_session_host_out_with_the_vm_and_keep_the_pool() -> None:
    ports, fakes, ann = arranged()
    bob = cloud_pc(fakes, "bob").id
    assert drive(ports, fakes, ann)[0] == drive(ports, fakes, bob)[0] == "provisioned"
    pool = pool_of(fakes, ann)
    lifecycle.enter_grace(ports, fakes.cloud_pcs.get_cloud_pc(TENANT, ann), "The user is no longer in a group")
    lifecycle.end_grace_period(ports, TENANT, ann)
    assert [host.assigned_user_id for host in pool.hosts.values()] == ["bob@contoso.com"]
    lifecycle.new_run(ports, TENANT, bob, "reprovision")
    assert pool.hosts == {} and fakes.compute.vm_names(TENANT) == []
    assert fakes.avd.pools[(TENANT, pool.spec.host_pool)] is pool  # the pool stays for the policy's next Cloud PCs


def test_resize_and_a_restore_from_grace_keep_the_same_vm_registered_and_assigned() -> None:
    ports, fakes, ann = arranged()
    tenant(fakes)
    fakes.directory.add_user(TENANT, "ann", PLAN)
    assert drive(ports, fakes, ann)[0] == "provisioned"
    registered = dict(hosts(fakes, ann))
    assert [host.assigned_user_id for host in registered.values()] == ["ann@contoso.com"]
    # a resize deallocates, resizes and starts the same VM: its session host stays, and its user with it
    performed = cloud_pc_actions.perform(ports, TENANT, ann, "resize", request_id="r1", target_service_plan_id=BIG_PLAN)
    assert run_to_the_end(ports, performed).outcome == "succeeded"
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, ann).service_plan_id == BIG_PLAN
    assert hosts(fakes, ann) == registered
    # the grace period and a restore from it leave the VM, and so its registration, untouched
    in_grace = lifecycle.enter_grace(ports, fakes.cloud_pcs.get_cloud_pc(TENANT, ann), "The user lost the license")
    lifecycle.restore_from_grace(ports, in_grace)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, ann).status == "provisioned"
    assert hosts(fakes, ann) == registered


def test_a_cloud_pcs_session_host_is_named_as_avd_names_it_after_the_vms_host_name() -> None:
    assert session_host_name("CPC-ANN-1A2B3", BUILD) == "CPC-ANN-1A2B3", "Entra-joined: the computer name"
    hybrid = BUILD.model_copy(update={"domain_join_type": "hybridAzureADJoin", "ad_domain_name": "corp.contoso.com"})
    assert session_host_name("CPC-ANN-1A2B3", hybrid) == "CPC-ANN-1A2B3.corp.contoso.com", "hybrid-joined: its FQDN"


def test_a_users_second_cloud_pc_of_a_policy_goes_in_the_policys_second_pool_and_keeps_it() -> None:
    ports, fakes, ann = arranged()
    second = cloud_pc(fakes, "ann", id="cpc-ann-2", plan=BIG_PLAN).id
    assert drive(ports, fakes, ann)[0] == drive(ports, fakes, second)[0] == "provisioned"
    first_pool, second_pool = pool_of(fakes, ann), pool_of(fakes, second)
    assert first_pool is not second_pool, "AVD takes one personal desktop of a user in a pool"
    assert first_pool.spec.host_pool.startswith("cpc-finance-") and second_pool.spec.host_pool.startswith("cpc2-")
    assert [h.assigned_user_id for h in second_pool.hosts.values()] == ["ann@contoso.com"]
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, second)
    assert desktop_slot(stored, fakes.cloud_pcs.list_users_cloud_pcs(TENANT, "ann")) == 2, "a reprovision keeps it"


def test_cloud_pcs_not_built_yet_take_distinct_slots_by_rank_and_a_freed_slot_is_taken_again() -> None:
    fakes = Fakes()
    first, second = cloud_pc(fakes, "bob", id="b1"), cloud_pc(fakes, "bob", id="b2", plan=BIG_PLAN)
    both = [first, second]
    assert (desktop_slot(first, both), desktop_slot(second, both)) == (1, 2), "side by side, without a lock"
    built = second.model_copy(update={"build": BUILD.model_copy(update={"desktop_slot": 2})})
    assert desktop_slot(first, [first, built]) == 1
    third = cloud_pc(fakes, "bob", id="b0")
    assert desktop_slot(third, [third, built]) == 1, "slot 1 is free again once its Cloud PC is gone"
    other_policy = cloud_pc(fakes, "bob", "sales", id="b9")
    assert desktop_slot(other_policy, [*both, other_policy]) == 1, "slots are per policy"
