"""A loopback emulator of the Azure control plane (ARM, Graph, Key Vault, Entra tokens) for local runs and tests.

It imports nothing from the function app: the app's production adapters talk to it through the real Azure SDKs,
as they would talk to Azure, by endpoint settings alone.
"""
