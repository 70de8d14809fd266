"""The JSON a durableClient binding parameter receives, pointing at this host's webhook API."""

from __future__ import annotations

import json
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
INSTANCE_PLACEHOLDER = "INSTANCEID"
CONNECTION_NAME = "Storage"


def webhook_base(base_url: str) -> str:
    return base_url.rstrip("/") + WEBHOOK_PATH


def management_urls(base_url: str, task_hub: str, instance_id: str) -> dict[str, str]:
    """The extension's HttpManagementPayload for one instance (also the 202 start body)."""
    query = f"taskHub={quote(task_hub)}&connection={CONNECTION_NAME}"
    prefix = f"{webhook_base(base_url)}/instances/{instance_id}"
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{prefix}?{query}",
        "sendEventPostUri": f"{prefix}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{prefix}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{prefix}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{prefix}?{query}",
        "restartPostUri": f"{prefix}/restart?{query}",
        "suspendPostUri": f"{prefix}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{prefix}/resume?reason={{text}}&{query}",
    }


def client_binding_json(base_url: str, task_hub: str) -> str:
    base = webhook_base(base_url)
    query = f"taskHub={quote(task_hub)}&connection={CONNECTION_NAME}"
    orchestrators = f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
    payload = {
        "taskHubName": task_hub,
        "creationUrls": {
            "createNewInstancePostUri": f"{orchestrators}?{query}",
            "createAndWaitOnNewInstancePostUri": f"{orchestrators}?timeout={{timeoutInSeconds}}"
            f"&pollingInterval={{intervalInSeconds}}&{query}",
        },
        "managementUrls": management_urls(base_url, task_hub, INSTANCE_PLACEHOLDER),
        "baseUrl": base,
        # Locally there is no system key, so no query string is required.
        "requiredQueryStringParameters": "",
        "rpcBaseUrl": base + "/",
        "httpBaseUrl": "",
        "maxGrpcMessageSizeInBytes": 0,
        "grpcHttpClientTimeout": "00:01:40",
    }
    return json.dumps(payload)
