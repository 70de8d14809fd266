"""Composition root: builds settings and adapters once and registers every blueprint."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from shared.bootstrap import Services, build_services
from shared.settings import load_settings
from triggers import http_meta, http_tenants
from triggers.http_api import Api


def create_app(services: Services) -> df.DFApp:
    app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
    api = Api()
    app.register_functions(http_meta.blueprint(api, services))
    app.register_functions(http_tenants.blueprint(api, services.tenant_ports))
    return app


app = create_app(build_services(load_settings()))
