"""Production adapters: the Azure SDKs and Microsoft Graph behind the ports of shared.ports.cloud."""
