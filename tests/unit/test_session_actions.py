"""A Spot Group's user sessions on the fakes (shared/services/spot_pc/spot_group_sessions.py): the list with its search
and filters, a message, disconnect and log off on one session, and in bulk with a result per session; bad bodies are
refused field by field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import NotFound
from shared.models.spot_sessions import SessionBulkActionCreate, SessionMessage
from shared.services.spot_pc import spot_group_sessions as sessions
from shared.services.spot_pc import spot_groups
from tests.fakes import T0, Fakes
from tests.fakes.seed import TENANT, site, tenant
from tests.unit.test_spot_groups import body, deploy, ready_image

POOL = "spotpc-sales-desktops"


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    site(world)
    for user in ("ann", "bob", "cat"):
        world.directory.add_user(TENANT, user)
    world.directory.add_group(TENANT, "sales", "ann", "bob")
    world.directory.add_group(TENANT, "support", "cat")
    return world


@pytest.fixture
def group(fakes: Fakes) -> tuple[str, list[str]]:
    """A pooled group with two hosts, ann and bob on the first, cat (disconnected) on the second."""
    created, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=12))
    assert deploy(fakes, run) == "succeeded"
    hosts = [h.name for h in fakes.spot_groups.list_hosts(TENANT, created.id)]
    assert len(hosts) == 2
    fakes.avd.sign_in(TENANT, POOL, hosts[0], "ann@contoso.com", T0)
    fakes.avd.sign_in(TENANT, POOL, hosts[0], "bob@contoso.com", T0)
    fakes.avd.sign_in(TENANT, POOL, hosts[1], "cat@contoso.com")
    fakes.avd.disconnect_session(TENANT, fakes.avd.pools[(TENANT, POOL)].spec.placement, POOL, hosts[1], "1")
    return created.id, hosts


def listed(fakes: Fakes, group_id: str, **filters: Any) -> list[tuple[str, str, str, str]]:
    found = sessions.list_sessions(fakes.spot_group_ports(), TENANT, group_id, **filters)
    return [(s.id, s.user_principal_name, s.state, s.session_host_name) for s in found]


def test_the_sessions_are_listed_by_user_with_their_host_state_and_start(
    fakes: Fakes, group: tuple[str, list[str]]
) -> None:
    group_id, (h0, h1) = group
    assert listed(fakes, group_id) == [
        (f"{h0}-1", "ann@contoso.com", "active", h0),
        (f"{h0}-2", "bob@contoso.com", "active", h0),
        (f"{h1}-1", "cat@contoso.com", "disconnected", h1),
    ]
    [ann, *_] = sessions.list_sessions(fakes.spot_group_ports(), TENANT, group_id)
    assert ann.start_date_time == T0
    assert [s[1] for s in listed(fakes, group_id, search="B@CONTOSO")] == ["bob@contoso.com"]
    assert [s[1] for s in listed(fakes, group_id, state="disconnected")] == ["cat@contoso.com"]
    assert [s[1] for s in listed(fakes, group_id, host_name=h1)] == ["cat@contoso.com"]
    assert listed(fakes, group_id, host_name=h1, state="active") == []
    with pytest.raises(NotFound) as unknown:
        listed(fakes, group_id, host_name="spnosuch000")
    assert unknown.value.target == "sessionHostName"
    with pytest.raises(NotFound):
        listed(fakes, "no-such-group")
    # the host counts its sessions, active and disconnected
    placement = fakes.avd.pools[(TENANT, POOL)].spec.placement
    counts = {h.vm_name: h.sessions for h in fakes.avd.list_session_hosts(TENANT, placement, POOL)}
    assert counts == {h0: 2, h1: 1}


def test_a_message_a_disconnect_and_a_log_off_reach_the_session_and_a_gone_one_is_404(
    fakes: Fakes, group: tuple[str, list[str]]
) -> None:
    group_id, (h0, _) = group
    ports = fakes.spot_group_ports()
    message = SessionMessage(title="Maintenance", message="Please save your work: we log off at 18:00.")
    sessions.act(ports, TENANT, group_id, f"{h0}-1", "sendMessage", message)
    [sent] = fakes.avd.pools[(TENANT, POOL)].messages
    assert (sent.vm_name, sent.session_id, sent.user_principal_name, sent.title) == (
        h0,
        "1",
        "ann@contoso.com",
        "Maintenance",
    )
    sessions.act(ports, TENANT, group_id, f"{h0}-2", "disconnect")
    assert ("bob@contoso.com", "disconnected") in [(s[1], s[2]) for s in listed(fakes, group_id)]
    sessions.act(ports, TENANT, group_id, f"{h0}-1", "logOff")
    assert "ann@contoso.com" not in [s[1] for s in listed(fakes, group_id)]
    for session_id in (f"{h0}-1", f"{h0}-9", "spnosuch000-1", "not a session id", f"{h0}/1"):
        with pytest.raises(NotFound) as gone:
            sessions.act(ports, TENANT, group_id, session_id, "logOff")
        assert (gone.value.code, gone.value.target) == ("notFound", "sessionId")


def test_a_bulk_log_off_reports_each_session_once_and_a_gone_one_fails_alone(
    fakes: Fakes, group: tuple[str, list[str]]
) -> None:
    group_id, (h0, h1) = group
    request = SessionBulkActionCreate(action="logOff", session_ids=[f"{h0}-1", f"{h0}-7", f"{h1}-1", f"{h0}-1"])
    done = sessions.act_in_bulk(fakes.spot_group_ports(), TENANT, group_id, request)
    assert (done.action, done.status) == ("logOff", "partiallySucceeded")
    assert (done.counts.succeeded, done.counts.failed) == (2, 1)
    assert [(r.session_id, r.status, r.status_code) for r in done.results] == [
        (f"{h0}-1", "succeeded", 204),
        (f"{h0}-7", "failed", 404),
        (f"{h1}-1", "succeeded", 204),
    ]
    assert done.results[1].error is not None and done.results[1].error.code == "notFound"
    assert [s[1] for s in listed(fakes, group_id)] == ["bob@contoso.com"]

    fakes.script.fail("log_off_session", code="TooManyRequests", status=429, retry_after_s=5)
    again = SessionBulkActionCreate(action="logOff", session_ids=[f"{h0}-2", f"{h0}-1"])
    refused = sessions.act_in_bulk(fakes.spot_group_ports(), TENANT, group_id, again)
    assert refused.status == "failed" and [
        (r.status_code, r.error.code if r.error else None) for r in refused.results
    ] == [(503, "TooManyRequests"), (404, "notFound")]
    assert [s[1] for s in listed(fakes, group_id)] == ["bob@contoso.com"], "a throttled log-off did nothing"


def test_a_bulk_message_goes_to_every_session(fakes: Fakes, group: tuple[str, list[str]]) -> None:
    group_id, (h0, h1) = group
    request = SessionBulkActionCreate.model_validate(
        {
            "action": "sendMessage",
            "sessionIds": [f"{h0}-1", f"{h0}-2", f"{h1}-1"],
            "title": "Update",
            "message": "The desktops restart at 20:00.",
        }
    )
    done = sessions.act_in_bulk(fakes.spot_group_ports(), TENANT, group_id, request)
    assert (done.status, done.counts.succeeded) == ("succeeded", 3)
    sent = fakes.avd.pools[(TENANT, POOL)].messages
    assert sorted(m.user_principal_name for m in sent) == ["ann@contoso.com", "bob@contoso.com", "cat@contoso.com"]
    assert {(m.title, m.message) for m in sent} == {("Update", "The desktops restart at 20:00.")}


@pytest.mark.parametrize(
    ("fields", "targets"),
    [
        ({"action": "sendMessage"}, {"title", "message"}),
        ({"action": "logOff", "title": "Hi"}, {"title"}),
        ({"action": "disconnect", "message": "Bye"}, {"message"}),
        ({"action": "reboot"}, {"action"}),
        ({"action": "logOff", "sessionIds": []}, {"sessionIds"}),
        ({"action": "logOff", "sessionIds": ["host/1", "host-1"]}, {("sessionIds", 0)}),
        ({"action": "sendMessage", "title": "x" * 101, "message": "\u202ehidden"}, {"title", "message"}),
        ({"action": "logOff", "sessionIds": ["h-1"] * 501}, {"sessionIds"}),
    ],
)
def test_a_bad_bulk_body_is_refused_field_by_field(fields: dict[str, Any], targets: set[Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        SessionBulkActionCreate.model_validate({"sessionIds": ["h-1"], **fields})
    found = {err["loc"][0] if len(err["loc"]) == 1 else err["loc"][:2] for err in refused.value.errors()}
    assert found == targets


def test_a_message_needs_a_title_and_a_text_on_one_line_of_sensible_length() -> None:
    with pytest.raises(ValidationError) as refused:
        SessionMessage.model_validate({"title": " ", "message": "line one\nline two", "extra": 1})
    assert {err["loc"][0] for err in refused.value.errors()} == {"title", "message", "extra"}
    assert SessionMessage.model_validate({"title": " Hi ", "message": "x" * 1000}).title == "Hi"
