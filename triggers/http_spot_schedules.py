"""HTTP routes of a pooled Spot Group's schedule (read, save, remove and replay it) and of its decision timeline."""

from __future__ import annotations

from typing import Any, get_args

import azure.durable_functions as df

from shared.models.base import Page
from shared.models.schedule_replays import ScheduleReplay, ScheduleTrial
from shared.models.spot_group_records import DecisionAction, SavedSchedule, SpotGroupEvent
from shared.models.spot_schedules import SpotGroupSchedule
from shared.ports.bundles import SpotGroupPorts
from shared.services.spot_pc import group_schedules as service
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest, QueryParam, choice_list
from triggers.http_responses import ApiResponse

GROUP = "tenants/{tenantId}/spotGroups/{spotGroupId}"
SCHEDULE = f"{GROUP}/schedule"
# POST only tries a schedule (PUT saves one): the gate audits no validateOnly run, and the document says it is needed
REPLAY_ONLY = QueryParam(
    "validateOnly",
    "true: the schedule is replayed and nothing is saved (PUT saves one).",
    {"type": "boolean", "enum": [True]},
    required=True,
)
ACTIONS = get_args(DecisionAction)
# the portal's filters by kind page through these lines alone: a filter over loaded pages would leave gaps
ACTION = choice_list("action", "Only the lines of these actions, comma-separated (start,deallocate).", ACTIONS)


def blueprint(api: Api, ports: SpotGroupPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Spot Groups")

    @routes.get(
        SCHEDULE,
        "getSpotGroupSchedule",
        "A pooled Spot Group's schedule: the default (isDefault) until one is saved",
        response=SavedSchedule,
    )
    def get_schedule(req: ApiRequest) -> SavedSchedule:
        return service.read_schedule(ports, req.param("tenantId"), req.param("spotGroupId"))

    @routes.put(
        SCHEDULE,
        "setSpotGroupSchedule",
        "Save a pooled Spot Group's schedule: the next optimization follows it",
        body=SpotGroupSchedule,
        response=SavedSchedule,
    )
    def set_schedule(req: ApiRequest) -> SavedSchedule:
        group = service.pooled_group(ports, req.param("tenantId"), req.param("spotGroupId"))
        return service.save_schedule(ports, group, req.body(SpotGroupSchedule), if_match=req.if_match)

    @routes.delete(SCHEDULE, "deleteSpotGroupSchedule", "Remove a Spot Group's schedule: the default one holds again")
    def delete_schedule(req: ApiRequest) -> ApiResponse:
        service.delete_schedule(ports, req.param("tenantId"), req.param("spotGroupId"), if_match=req.if_match)
        return ApiResponse(204)

    @routes.post(
        SCHEDULE,
        "replaySpotGroupSchedule",
        "Try a schedule (validateOnly=true, nothing saved): it and the current one replayed over a load",
        description="The load is the body's loadCurve, or else the sessions recorded at each optimization of the last "
        "14 days. Host-hours, the most hosts running and the sign-ins that found no free session, in total and hour "
        "by hour, for both schedules.",
        body=ScheduleTrial,
        response=ScheduleReplay,
        query=(REPLAY_ONLY,),
        review=False,
    )
    def replay_schedule(req: ApiRequest) -> ScheduleReplay:
        group = service.pooled_group(ports, req.param("tenantId"), req.param("spotGroupId"))
        return service.try_schedule(ports, group, req.body(ScheduleTrial))

    @routes.get(
        f"{GROUP}/events",
        "listSpotGroupEvents",
        "A Spot Group's timeline, newest first: each start, deallocation, drain, notice and log-off with its reason",
        response=Page[SpotGroupEvent],
        query=(*PAGING, ACTION),
    )
    def list_events(req: ApiRequest) -> dict[str, Any]:
        tenant_id, group_id = req.param("tenantId"), req.param("spotGroupId")
        actions = req.choices("action", ACTIONS)
        return page_of(
            req,
            *service.list_events(ports, tenant_id, group_id, top=req.top, skip_token=req.skip_token, actions=actions),
        )

    return bp
