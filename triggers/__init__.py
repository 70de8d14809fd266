"""HTTP, queue and timer triggers: thin adapters over shared/ services."""
