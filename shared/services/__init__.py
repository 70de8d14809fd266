"""Domain services: plain functions with their ports passed in.

A service given a tenant id acts inside a tenant that exists: the HTTP gate reads each route's tenant once and
answers 404 for one that does not (triggers/http_gate.py), and a service that needs more of the tenant than its
id takes the `Tenant` itself."""
