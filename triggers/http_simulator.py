"""HTTP routes of the local simulator: Entra users and groups, faults, step latency, what exists in the cloud."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.cloud.simulated.latency import PROVISIONING_STEPS
from shared.cloud.simulated.models import (
    SimFault,
    SimFaultInput,
    SimGroup,
    SimGroupInput,
    SimManagedImage,
    SimStepLatency,
    SimStepLatencyInput,
    SimUser,
    SimUserInput,
)
from shared.cloud.simulated.simulator import SIMULATED_STEPS, Simulator
from shared.errors import ErrorDetail, ValidationFailed
from triggers.http_api import Api, ApiRequest, ApiResponse

TENANT = "sim/tenants/{tenantId}"


def _step(req: ApiRequest) -> str:
    step = req.param("step")
    if step not in SIMULATED_STEPS:
        known = ", ".join(sorted(SIMULATED_STEPS))
        raise ValidationFailed.of(
            ErrorDetail("unknownStep", f"'{step}' is not a simulated step; use one of {known}.", "step")
        )
    return step


def _slow_step(req: ApiRequest) -> str:
    step = req.param("step")
    if step not in PROVISIONING_STEPS:
        known = ", ".join(sorted(PROVISIONING_STEPS))
        raise ValidationFailed.of(
            ErrorDetail(
                "unknownStep", f"'{step}' is not a provisioning step that takes time; use one of {known}.", "step"
            )
        )
    return step


def _id(req: ApiRequest, name: str) -> str:
    value = req.param(name)
    if len(value) > 64 or not value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValidationFailed.of(ErrorDetail("invalidId", f"{name} must be 1-64 letters, digits, - _ or .", name))
    return value


def blueprint(api: Api, simulator: Simulator) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Simulator")

    @routes.add(
        "PUT",
        f"{TENANT}/users/{{userId}}",
        "simPutUser",
        "Create or replace a directory user with licenses",
        body=SimUserInput,
        response=SimUser,
    )
    def put_user(req: ApiRequest) -> SimUser:
        return simulator.directory.put_user(req.param("tenantId"), _id(req, "userId"), req.body(SimUserInput))

    @routes.delete(f"{TENANT}/users/{{userId}}", "simDeleteUser", "Delete a directory user", conditional=False)
    def delete_user(req: ApiRequest) -> ApiResponse:
        simulator.directory.delete_user(req.param("tenantId"), req.param("userId"))
        return ApiResponse(204)

    @routes.get(f"{TENANT}/users", "simListUsers", "Directory users")
    def list_users(req: ApiRequest) -> dict[str, Any]:
        return {"value": [u.model_dump(mode="json") for u in simulator.directory.list_users(req.param("tenantId"))]}

    @routes.add(
        "PUT",
        f"{TENANT}/groups/{{groupId}}",
        "simPutGroup",
        "Create or replace a group and its members",
        body=SimGroupInput,
        response=SimGroup,
    )
    def put_group(req: ApiRequest) -> SimGroup:
        return simulator.directory.put_group(req.param("tenantId"), _id(req, "groupId"), req.body(SimGroupInput))

    @routes.get(f"{TENANT}/groups", "simListGroups", "Directory groups")
    def list_groups(req: ApiRequest) -> dict[str, Any]:
        return {"value": [g.model_dump(mode="json") for g in simulator.directory.list_groups(req.param("tenantId"))]}

    @routes.add(
        "PUT",
        f"{TENANT}/faults/{{step}}",
        "simPutFault",
        "Make the next `count` calls of a step fail",
        body=SimFaultInput,
        response=SimFault,
    )
    def put_fault(req: ApiRequest) -> SimFault:
        data = req.body(SimFaultInput)
        return simulator.faults.set_fault(req.param("tenantId"), _step(req), data.count, data.error_code)

    @routes.delete(f"{TENANT}/faults/{{step}}", "simDeleteFault", "Clear a step's faults", conditional=False)
    def delete_fault(req: ApiRequest) -> ApiResponse:
        simulator.faults.clear_fault(req.param("tenantId"), _step(req))
        return ApiResponse(204)

    @routes.get(f"{TENANT}/faults", "simListFaults", "Armed faults")
    def list_faults(req: ApiRequest) -> dict[str, Any]:
        return {
            "value": [
                f.model_dump(mode="json", exclude={"etag"}) for f in simulator.faults.list_faults(req.param("tenantId"))
            ]
        }

    @routes.add(
        "PUT",
        f"{TENANT}/managedImages",
        "simPutManagedImage",
        "Create or replace a managed image",
        body=SimManagedImage,
        response=SimManagedImage,
    )
    def put_managed_image(req: ApiRequest) -> SimManagedImage:
        return simulator.compute.put_managed_image(req.param("tenantId"), req.body(SimManagedImage))

    @routes.get(f"{TENANT}/resources", "simListResources", "What exists in the simulated cloud")
    def list_resources(req: ApiRequest) -> dict[str, Any]:
        return simulator.resources(req.param("tenantId"))

    @routes.add(
        "PUT",
        f"{TENANT}/latency/{{step}}",
        "simPutLatency",
        "Make a provisioning step take this long for the tenant",
        body=SimStepLatencyInput,
        response=SimStepLatency,
    )
    def put_latency(req: ApiRequest) -> SimStepLatency:
        data = req.body(SimStepLatencyInput)
        return simulator.latency.set_latency(req.param("tenantId"), _slow_step(req), data.seconds)

    @routes.delete(
        f"{TENANT}/latency/{{step}}", "simDeleteLatency", "Back to the default latency of a step", conditional=False
    )
    def delete_latency(req: ApiRequest) -> ApiResponse:
        simulator.latency.clear_latency(req.param("tenantId"), _slow_step(req))
        return ApiResponse(204)

    @routes.get(f"{TENANT}/latency", "simListLatency", "Steps with a latency of their own")
    def list_latency(req: ApiRequest) -> dict[str, Any]:
        return {"value": [x.model_dump(mode="json") for x in simulator.latency.list_latencies(req.param("tenantId"))]}

    return bp
