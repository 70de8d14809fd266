"""Costs: the power records the app's VMs are metered from, Azure's list prices, and the costs and savings made of them.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = ["cost_reports", "costing", "metering", "power_records", "price_refresh", "tenant_costs", "user_costs"]
