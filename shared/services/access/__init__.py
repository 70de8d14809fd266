"""Tenants, their sites, and who may act in them: per-tenant roles (given by name too), the audit log, onboarding a
customer's tenant, its directory subscriptions, its summary, and one view over every tenant.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "audit",
    "azure_grant",
    "azure_scopes",
    "cross_tenant",
    "customer_lookup",
    "directory_subscriptions",
    "graph_grant",
    "lighthouse",
    "onboarding",
    "people",
    "roles",
    "sites",
    "summary",
    "tenants",
]
