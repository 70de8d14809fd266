"""The production adapters of the cloud ports (shared/ports/cloud.py): over the Azure SDKs, Graph and Key Vault."""
