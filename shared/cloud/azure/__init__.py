"""Production adapters: the Azure SDKs and Microsoft Graph behind the cloud ports of shared.ports."""
