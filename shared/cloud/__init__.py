"""Cloud ports (small Protocols) and their production adapters over the Azure SDKs and Graph (azure/)."""
