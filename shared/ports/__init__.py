"""The ports, in one home: what the domain needs of the world, as small Protocols the adapters implement.

`cloud.py` Azure and Graph (adapters in shared/cloud/azure/), `stores.py` Table Storage (adapters in shared/storage/),
and the bundles each side of the app is given by the composition root (`admin_ports.py`, `engine_ports.py`)."""
