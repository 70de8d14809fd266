"""The production adapters of the cloud ports (shared/ports/): over the Azure SDKs, Graph and Key Vault."""
