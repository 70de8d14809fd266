"""Domain services: plain functions with their ports (shared/ports/) passed in, in one package per domain.

`engine/` at the bottom (phased work, state machines, etag updates, refusals); `access/` and `configuration/` on it;
`cloud_pcs/` on configuration; `spot_pc/` on the engine alone. Each package's face (`__init__`) names the modules
the rest of the app may import; tests/unit/test_service_packages.py holds both rules.

A service given a tenant id acts inside a tenant that exists: the HTTP gate reads each route's tenant once and
answers 404 for one that does not (triggers/http_gate.py), and a service that needs more of the tenant than its
id takes the `Tenant` itself."""
