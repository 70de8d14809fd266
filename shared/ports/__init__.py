"""The ports, in one home: what the domain needs of the world, as small Protocols the adapters implement.

`cloud.py` Azure and Graph (adapters in shared/cloud/azure/), `stores.py` Table Storage (adapters in shared/storage/),
`queues.py` the queues the app sends itself work on (adapters in shared/events.py), and the bundles the composition
root gives each side of the app: `admin_ports.py`, `engine_ports.py` and the narrower `bundles.py`."""
