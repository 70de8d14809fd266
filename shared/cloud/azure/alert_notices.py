"""The NoticeSender port: a notice POSTed to a tenant's webhook or Teams over the app's HTTP transport, and e-mail sent
through Graph's sendMail from a mailbox of the customer's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.rest import HttpRequest, HttpResponse

from shared.cloud.azure.graph_client import GraphClients, error_of, retry_after
from shared.cloud.azure.transport import TIMEOUTS, Patience, http_transport
from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError

# a receiver answers a notice at once or not at all: a thread waits no longer on it
WEBHOOK_PATIENCE = Patience("The alert channel's endpoint", connect_s=5.0, read_s=10.0)
WEBHOOK_STEP = "alertWebhook"
MAIL_STEP = "alertEmail"
EXCERPT = 200  # what an error keeps of a refusal's body


def _excerpt(response: HttpResponse) -> str:
    return re.sub(r"\s+", " ", response.text()[:EXCERPT]).strip()


def refusal(response: HttpResponse) -> CloudError:
    """A receiver's answer other than 2xx: 429 and 5xx are transient (with its Retry-After), anything else is the
    receiver's refusal. The URL is never in it: a Teams webhook's URL is its credential."""
    status = response.status_code
    said = _excerpt(response)
    message = f"The endpoint answered HTTP {status}" + (f": {said}" if said else ".")
    held = status == 429 or status >= 500
    error = CloudError(WEBHOOK_STEP, f"http{status}", message, f"{WEBHOOK_PATIENCE.service} said not now" if held
                       else None)  # fmt: skip
    error.status = status
    error.retry_after_s = retry_after(response)
    return error


def mail_message(to: list[str], subject: str, html: str) -> dict[str, Any]:
    """sendMail's body (https://learn.microsoft.com/graph/api/user-sendmail): the message is not kept in Sent Items."""
    recipients = [{"emailAddress": {"address": address}} for address in to]
    return {"message": {"subject": subject, "body": {"contentType": "HTML", "content": html},
                        "toRecipients": recipients}, "saveToSentItems": False}  # fmt: skip


class AlertNotices:
    """Webhooks through a pipeline of its own, with no retry policy (a failed notice is retried by the delivery's
    backoff), no redirects followed (a signed notice goes only where the rule says) and no tracing policy (its span
    would carry the URL); mail through Graph, app-only, with the Mail.Send application permission."""

    def __init__(self, graph: GraphClients, **pipeline: Any) -> None:
        self._graph = graph
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            "", policies=[], **{"transport": http_transport(WEBHOOK_PATIENCE), **pipeline}
        )

    def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        request = HttpRequest("POST", url, content=body, headers=dict(headers))
        # the transport's own errors name the URL, a Teams webhook's credential: they are neither chained nor quoted
        try:
            response = self._client.send_request(request)
        except TIMEOUTS as exc:
            silent = WEBHOOK_PATIENCE.not_answering(exc)
            raise CloudError(WEBHOOK_STEP, NOT_ANSWERING, silent, reason=silent) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            unanswered = f"{WEBHOOK_PATIENCE.service} did not answer"
            raise CloudError(WEBHOOK_STEP, UNANSWERED, f"{unanswered} ({type(exc).__name__})",
                             reason=unanswered) from None  # fmt: skip
        response.read()
        if not 200 <= response.status_code < 300:
            raise refusal(response)

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None:
        client = self._graph.client(tenant_id)
        path = f"users/{quote(mailbox, safe='@')}/sendMail"
        response = client.send("POST", path, step=MAIL_STEP, body=mail_message(to, subject, html))
        if response.status_code >= 400:
            raise error_of(MAIL_STEP, response)

    def mailbox_exists(self, tenant_id: str, mailbox: str) -> bool:
        client = self._graph.client(tenant_id)
        path = f"users/{quote(mailbox, safe='@')}"
        return client.get_or_none(path, step=MAIL_STEP, params={"$select": "id,mail"}) is not None

    def close(self) -> None:
        self._client.close()
