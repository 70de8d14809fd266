"""HTTP routes of the organization's templates (CRUD, If-Match, validateOnly, versions), their review and roll-out to
tenants, each tenant's applied templates with their drift and overrides, and the queue trigger running roll-outs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from shared import telemetry
from shared.events import RolloutMessage
from shared.models.base import Page
from shared.models.templates import (
    AppliedTemplate,
    OverrideCreate,
    Template,
    TemplateApply,
    TemplateCreate,
    TemplateReview,
    TemplateRollout,
    TemplateUpdate,
    TemplateVersion,
)
from shared.ports.bundles import SpotGroupPorts
from shared.ports.queues import TemplateRolloutQueue
from shared.services.configuration import template_rollouts as rollouts
from shared.services.configuration import templates as service
from shared.services.configuration.configurable import Work
from shared.services.configuration.template_rollouts import RolloutPorts
from shared.settings import Settings
from triggers.http_api import Api, created, page_of, updated
from triggers.http_configuration import start_work
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

log = logging.getLogger(__name__)
TEMPLATES = "templates"
TEMPLATE = "templates/{templateId}"
ROLLOUTS = "templates/{templateId}/rollouts"
APPLIED = "tenants/{tenantId}/templates"
APPLIED_ONE = "tenants/{tenantId}/templates/{templateId}"


def blueprint(
    api: Api, settings: Settings, ports: RolloutPorts, queue: TemplateRolloutQueue, cloud: SpotGroupPorts
) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Templates")

    @routes.post(
        TEMPLATES,
        "createTemplate",
        "Create a template: a kind's standard fields and the parameters each tenant fills in",
        body=TemplateCreate,
        response=Template,
        status=201,
        query=(VALIDATE_ONLY,),
    )
    def create_template(req: ApiRequest) -> ApiResponse:
        template = service.create_template(ports, req.body(TemplateCreate), dry_run=req.validate_only)
        return created(req, template, f"templates/{template.id}")

    @routes.get(TEMPLATES, "listTemplates", "List the organization's templates", response=Page[Template], query=PAGING)
    def list_templates(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, *ports.templates.list_templates(top=req.top, skip_token=req.skip_token))

    @routes.get(TEMPLATE, "getTemplate", "Get a template (its latest version)", response=Template)
    def get_template(req: ApiRequest) -> Template:
        return ports.templates.get_template(req.param("templateId"))

    @routes.patch(
        TEMPLATE,
        "updateTemplate",
        "Update a template; new fields or parameters make its next version, which tenants get when it is applied",
        body=TemplateUpdate,
        response=Template,
        query=(VALIDATE_ONLY,),
    )
    def update_template(req: ApiRequest) -> ApiResponse:
        template = service.update_template(
            ports, req.param("templateId"), req.body(TemplateUpdate), if_match=req.if_match, dry_run=req.validate_only
        )
        return updated(req, template)

    @routes.delete(TEMPLATE, "deleteTemplate", "Delete a template no tenant has applied")
    def delete_template(req: ApiRequest) -> ApiResponse:
        service.delete_template(ports, req.param("templateId"), if_match=req.if_match)
        return ApiResponse(204)

    @routes.get(
        f"{TEMPLATE}/versions/{{version}}",
        "getTemplateVersion",
        "One version of a template",
        response=TemplateVersion,
    )
    def get_version(req: ApiRequest) -> TemplateVersion:
        return service.version_of(ports, req.param("templateId"), req.param("version"))

    @routes.get(
        f"{TEMPLATE}/applications",
        "listTemplateApplications",
        "Every tenant's application of a template, with its drift field by field",
        response=Page[AppliedTemplate],
    )
    def list_applications(req: ApiRequest) -> dict[str, Any]:
        applications = ports.templates.list_applications_of(req.param("templateId"))
        return page_of(req, rollouts.applied_list(ports, applications), None)

    @routes.post(
        f"{TEMPLATE}/apply",
        "applyTemplate",
        "Apply a template version to tenants; validateOnly reviews what each would get",
        body=TemplateApply,
        response=TemplateRollout,
        status=202,
        query=(VALIDATE_ONLY,),
        review=TemplateReview,
    )
    def apply_template(req: ApiRequest) -> ApiResponse:
        template = ports.templates.get_template(req.param("templateId"))
        request = req.body(TemplateApply)
        if req.validate_only:
            return ApiResponse(200, rollouts.review(ports, template, request))
        items = rollouts.checked_request(ports, template, request)
        by = req.caller.name or req.caller.principal_id
        rollout = ports.templates.create_rollout(rollouts.new_rollout(ports, template, request, by), items)
        queue.enqueue_rollout(template.id, rollout.id)
        location = req.url(f"{ROLLOUTS.replace('{templateId}', template.id)}/{rollout.id}")
        shown = rollouts.summarized(rollout, items)
        return ApiResponse(202, shown, {"Location": location, "Operation-Location": location})

    @routes.get(
        ROLLOUTS, "listTemplateRollouts", "List a template's roll-outs", response=Page[TemplateRollout], query=PAGING
    )
    def list_rollouts(req: ApiRequest) -> dict[str, Any]:
        template_id = req.param("templateId")
        return page_of(req, *ports.templates.list_rollouts(template_id, top=req.top, skip_token=req.skip_token))

    @routes.get(
        f"{ROLLOUTS}/{{rolloutId}}",
        "getTemplateRollout",
        "A roll-out with each tenant's result, object by object",
        response=TemplateRollout,
    )
    def get_rollout(req: ApiRequest) -> TemplateRollout:
        rollout = ports.templates.get_rollout(req.param("templateId"), req.param("rolloutId"))
        return rollouts.summarized(rollout, ports.templates.list_rollout_items(rollout.id))

    @routes.get(
        APPLIED,
        "listAppliedTemplates",
        "The templates applied to the tenant, each with its drift field by field",
        response=Page[AppliedTemplate],
    )
    def list_applied(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, rollouts.applied_templates(ports, req.param("tenantId")), None)

    @routes.get(
        APPLIED_ONE, "getAppliedTemplate", "A template applied to the tenant, with its drift", response=AppliedTemplate
    )
    def get_applied(req: ApiRequest) -> AppliedTemplate:
        application = rollouts.application_of(ports, req.param("tenantId"), req.param("templateId"))
        return rollouts.applied_template(ports, application)

    @routes.delete(APPLIED_ONE, "detachTemplate", "Detach a template from the tenant: its object stays, as it is")
    def detach(req: ApiRequest) -> ApiResponse:
        rollouts.detach(ports, req.param("tenantId"), req.param("templateId"))
        return ApiResponse(204)

    @routes.post(
        f"{APPLIED_ONE}/overrides",
        "keepTemplateOverride",
        "Keep the object's present value of a field as a named override, which every apply leaves alone",
        body=OverrideCreate,
        response=AppliedTemplate,
        review=False,
    )
    def keep_override(req: ApiRequest) -> AppliedTemplate:
        return rollouts.keep_override(ports, req.param("tenantId"), req.param("templateId"), req.body(OverrideCreate))

    @routes.delete(
        f"{APPLIED_ONE}/overrides/{{overrideName}}",
        "removeTemplateOverride",
        "Remove an override: the next apply sets the field to the template's value",
        response=AppliedTemplate,
    )
    def remove_override(req: ApiRequest) -> AppliedTemplate:
        tenant_id, template_id = req.param("tenantId"), req.param("templateId")
        return rollouts.remove_override(ports, tenant_id, template_id, req.param("overrideName"))

    @bp.function_name("templateRollouts")
    @bp.queue_trigger(arg_name="message", queue_name=settings.template_rollouts_queue, connection="AzureWebJobsStorage")
    @bp.durable_client_input(client_name="client")
    async def run_rollout(
        message: func.QueueMessage, client: df.DurableOrchestrationClient, context: func.Context
    ) -> None:
        """Apply the template to the roll-out's tenants without a result (template_rollouts.run)."""
        request = RolloutMessage.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.template_rollouts_queue}",
            kind=SpanKind.CONSUMER,
            parent=request.traceparent,
            invocation=context,
            ids={"templateId": request.template_id},
        ):
            loop = asyncio.get_running_loop()

            def start(work: list[Work]) -> None:  # from the service's thread: the client is the loop's
                for run in work:
                    asyncio.run_coroutine_threadsafe(start_work(client, cloud, run), loop).result()

            summary = await asyncio.to_thread(rollouts.run, ports, request.template_id, request.rollout_id, start)
            log.info("Template %s roll-out %s: %s", request.template_id, summary.id, summary.counts.model_dump())

    return bp
