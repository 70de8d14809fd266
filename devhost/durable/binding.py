"""The JSON a durableClient binding parameter receives, pointing at this host's webhook API."""

from __future__ import annotations

import json
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
INSTANCE_PLACEHOLDER = "INSTANCEID"
CONNECTION_NAME = "Storage"


def webhook_base(base_url: str) -> str:
    return base_url.rstrip("/") + WEBHOOK_PATH


def _query(task_hub: str, code: str | None) -> str:
    query = f"taskHub={quote(task_hub)}&connection={CONNECTION_NAME}"
    # the extension appends its system key when the host requires keys, so the links work as handed out
    return f"{query}&code={quote(code, safe='')}" if code else query


def management_urls(base_url: str, task_hub: str, instance_id: str, code: str | None = None) -> dict[str, str]:
    """The extension's HttpManagementPayload for one instance (also the 202 start body)."""
    query = _query(task_hub, code)
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


def client_binding_json(
    base_url: str, task_hub: str, *, code: str | None = None, rpc_base_url: str | None = None
) -> str:
    """The binding payload; `code` is the system key when keys are required, `rpc_base_url` the SDK's own API.

    The Python SDK sends every client call (start, status, events...) to `rpcBaseUrl` and uses the
    creation/management URLs only to build links. In Azure `rpcBaseUrl` is the extension's loopback-only
    listener, which needs no key; devhost serves the same when keys are required (see DevHost).
    """
    base = webhook_base(base_url)
    query = _query(task_hub, code)
    orchestrators = f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
    payload = {
        "taskHubName": task_hub,
        "creationUrls": {
            "createNewInstancePostUri": f"{orchestrators}?{query}",
            "createAndWaitOnNewInstancePostUri": f"{orchestrators}?timeout={{timeoutInSeconds}}"
            f"&pollingInterval={{intervalInSeconds}}&{query}",
        },
        "managementUrls": management_urls(base_url, task_hub, INSTANCE_PLACEHOLDER, code),
        "baseUrl": base,
        "requiredQueryStringParameters": f"code={quote(code, safe='')}" if code else "",
        "rpcBaseUrl": rpc_base_url or base + "/",
        "httpBaseUrl": "",
        "maxGrpcMessageSizeInBytes": 0,
        "grpcHttpClientTimeout": "00:01:40",
    }
    return json.dumps(payload)
