"""The ports, in one home: what the domain needs of the world, as small Protocols the adapters implement.

Azure and Graph, one module per concern (adapters in shared/cloud/azure/): `cloud_errors.py` (how a call fails) and
`progress.py` (how a long-running one answers), `directory.py`, `tenant_access.py`, `secret_store.py`,
`azure_inventory.py`, `network_checks.py`, `windows365.py`, `compute.py`, `devices.py`, `cloud_pc_operations.py`,
`image_sources.py`, `image_building.py` and `desktop_virtualization.py`. Table Storage (adapters in shared/storage/):
`stores.py`, `access_stores.py` (tenants and who may act in them) and `spot_pc_stores.py`; `queues.py` the queues
the app sends itself work on (adapters in shared/events.py), and the bundles the composition root gives each side of
the app: `admin_ports.py`, `engine_ports.py` and the narrower `bundles.py`."""
