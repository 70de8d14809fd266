"""Static catalogs the service offers: Azure regions, Windows 365 service plans."""
