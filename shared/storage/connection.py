"""Turns the app's storage setting into a connection string the SDKs accept."""

from __future__ import annotations

# Azurite's well-known development account (public and documented; not a secret).
_DEV_ACCOUNT = "devstoreaccount1"
_DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def resolve_connection_string(value: str) -> str:
    """Expand `UseDevelopmentStorage=true`, which azure-data-tables does not understand itself."""
    if value.replace(" ", "").lower().rstrip(";") != "usedevelopmentstorage=true":
        return value
    return (
        f"DefaultEndpointsProtocol=http;AccountName={_DEV_ACCOUNT};AccountKey={_DEV_KEY};"
        f"BlobEndpoint=http://127.0.0.1:10000/{_DEV_ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:10001/{_DEV_ACCOUNT};"
        f"TableEndpoint=http://127.0.0.1:10002/{_DEV_ACCOUNT};"
    )
