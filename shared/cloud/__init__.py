"""Cloud ports (small Protocols) and their adapters: simulated (local) and azure."""
