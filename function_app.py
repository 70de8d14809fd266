"""Composition root: builds settings and adapters once and registers every blueprint."""

from __future__ import annotations

import gc

import azure.durable_functions as df
import azure.functions as func

from activities import cloud_pc_actions as cloud_pc_action_activities
from activities import configuration as configuration_activities
from activities import image_sets as image_set_activities
from activities import provisioning as provisioning_activities
from activities import spot_groups as spot_group_activities
from activities import windows365 as windows365_activities
from orchestrators import cloud_pc_actions as cloud_pc_action_orchestrators
from orchestrators import configuration as configuration_orchestrators
from orchestrators import executor_payload, history_timestamps
from orchestrators import image_sets as image_set_orchestrators
from orchestrators import provisioning as provisioning_orchestrators
from orchestrators import spot_groups as spot_group_orchestrators
from orchestrators import windows365 as windows365_orchestrators
from shared import telemetry
from shared.bootstrap import Services, build_services
from shared.settings import load_settings
from triggers import (
    alert_deliveries,
    alert_evaluations,
    directory_events,
    http_alerts,
    http_cloud_pc_actions,
    http_cloud_pcs,
    http_configuration,
    http_connections,
    http_cost_comparisons,
    http_costs,
    http_cross_tenant,
    http_directory,
    http_directory_notifications,
    http_identity,
    http_image_sets,
    http_images,
    http_meta,
    http_onboarding,
    http_policies,
    http_portal,
    http_right_sizing,
    http_spot_evictions,
    http_spot_groups,
    http_spot_schedules,
    http_spot_sessions,
    http_summary,
    http_templates,
    http_tenants,
    http_usage,
    http_user_settings,
    http_users,
    timer_work,
    timers,
)
from triggers.http_api import Api
from triggers.http_gate import HttpGate


def create_app(services: Services) -> df.DFApp:
    history_timestamps.install()  # the orchestrations' replays parse only the timestamps they read
    executor_payload.install()  # and make the SDK's payload class once, not at every episode
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)  # the gate checks every caller's Entra token
    api = Api(HttpGate(services.tokens, services.access, services.audit))
    blueprints = [
        http_meta.blueprint(api, services),
        http_portal.blueprint(api, services.settings),
        http_identity.blueprint(api, services.access, services.audit_events),
        http_tenants.blueprint(api, services.admin, services.access, services.engine),
        http_summary.blueprint(api, services.admin, services.engine, services.alerts.alerts, services.access),
        http_right_sizing.blueprint(api, services.right_sizing),
        http_usage.blueprint(api, services.admin, services.engine),
        http_costs.blueprint(api, services.costs),
        http_onboarding.blueprint(api, services.onboarding),
        http_connections.blueprint(api, services.admin),
        http_images.blueprint(api, services.admin),
        http_configuration.blueprint(api, services.admin, services.spot_group_work),
        http_image_sets.blueprint(api, services.admin),
        http_spot_groups.blueprint(api, services.admin, services.spot_group_work),
        http_spot_sessions.blueprint(api, services.spot_group_work, services.audit),
        http_spot_schedules.blueprint(api, services.spot_group_work),
        http_spot_evictions.blueprint(api, services.spot_group_work),
        http_policies.blueprint(api, services.admin),
        http_user_settings.blueprint(api, services.admin),
        http_templates.blueprint(
            api, services.settings, services.admin, services.template_queue, services.spot_group_work
        ),
        http_alerts.blueprint(api, services.alerts, services.access),
        http_cost_comparisons.blueprint(api, services.costs, services.access),
        http_cloud_pcs.blueprint(api, services.engine),
        http_cloud_pc_actions.blueprint(
            api, services.settings, services.engine, services.bulk_actions, services.bulk_queue
        ),
        http_cross_tenant.blueprint(
            api,
            services.access,
            services.engine,
            services.admin.spot_groups,
            services.bulk_actions,
            services.bulk_queue,
        ),
        http_users.blueprint(api, services.engine),
        http_directory.blueprint(api, services.admin.directory),
        directory_events.blueprint(
            services.settings, services.engine, services.admin.tenants, services.events, services.spot_group_work
        ),
        http_directory_notifications.blueprint(
            api, services.settings, services.directory_subscriptions, services.admin.tenants, services.events
        ),
        timers.blueprint(services.settings, services.admin, services.engine, services.audit, services.prices),
        timer_work.blueprint(
            services.settings, services.timer_work, services.admin, services.engine, services.spot_group_work
        ),
        alert_evaluations.blueprint(services.settings, services.alerts),
        alert_deliveries.blueprint(services.settings, services.alerts),
        configuration_orchestrators.blueprint(),
        configuration_activities.blueprint(services.admin),
        provisioning_orchestrators.blueprint(),
        provisioning_activities.blueprint(services.engine),
        cloud_pc_action_orchestrators.blueprint(),
        cloud_pc_action_activities.blueprint(services.engine),
        image_set_orchestrators.blueprint(),
        image_set_activities.blueprint(services.image_builds),
        spot_group_orchestrators.blueprint(),
        spot_group_activities.blueprint(services.spot_group_work),
        windows365_orchestrators.blueprint(),
        windows365_activities.blueprint(services.engine),
    ]
    for blueprint in blueprints:
        app.register_functions(blueprint)
    return app


settings = load_settings()
telemetry.configure(settings)  # before any client is made: the Azure SDK clients trace through what it sets
app = create_app(build_services(settings))
# What is made by now (the modules, their classes, the clients, the blueprints) lives as long as the worker: frozen,
# it is left out of the collector's full passes, which then walk only what the work keeps (docs/benchmarks.md).
# Once a process: a process that composes the app again (devhost's tests) would keep each earlier app's cycles
if not gc.get_freeze_count():
    gc.freeze()
