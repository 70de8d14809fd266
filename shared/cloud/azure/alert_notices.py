"""The NoticeSender port: a notice POSTed to a tenant's webhook or Teams over aiohttp, on the event loop, to an address
checked as it is connected to; and e-mail sent through Graph's sendMail from a mailbox of the customer's."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import certifi
from aiohttp.abc import AbstractResolver, ResolveResult

from shared.cloud.azure.graph_client import GraphClients, error_of, seconds
from shared.cloud.azure.transport import ca_bundle, tls_context
from shared.ports.alerts import IpAddress, IpNetwork, ResolveHost, SenderStanding, mailbox_refusal, webhook_may_reach
from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError

# a receiver answers a notice at once or not at all, and the app needs only its status: the whole call (name,
# connection, request, answer) ends within the deadline, and no more of the answer than the cap is read
WEBHOOK_DEADLINE_S = 15.0
WEBHOOK_BODY_CAP = 4096
WEBHOOK_SERVICE = "The alert channel's endpoint"
WEBHOOK_STEP = "alertWebhook"
MAIL_STEP = "alertEmail"
EXCERPT = 200  # what an error keeps of a refusal's body
ADDRESS_REFUSED = "addressRefused"
ANSWER_REFUSED = "answerRefused"  # answered, then past the deadline or the cap: the same call would meet it again


class AddressRefused(Exception):
    """The name resolved, at the moment of connecting, to an address a notice may not go to."""


class AnswerTooLong(Exception):
    pass


async def system_addresses(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives a host now."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in found})


def checked(host: str, address: str, private_networks: Sequence[IpNetwork]) -> IpAddress:
    ip = ipaddress.ip_address(address.split("%")[0])
    if not webhook_may_reach(ip, private_networks):
        raise AddressRefused(
            f"The URL's host '{host}' resolved to {ip}, not a public address: the notice was not sent."
        )
    return ip


class CheckedResolver(AbstractResolver):
    """aiohttp connects to exactly the addresses its resolver gives: these are the host's, each one checked."""

    def __init__(self, resolve_host: ResolveHost, private_networks: Sequence[IpNetwork]) -> None:
        self._resolve_host = resolve_host
        self._private_networks = private_networks

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self._resolve_host(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        ips = [(address, checked(host, address, self._private_networks)) for address in addresses]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                proto=0,
                flags=socket.AI_NUMERICHOST,
                family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
            )
            for address, ip in ips
        ]

    async def close(self) -> None:
        return None


def refusal(status: int, body: bytes, retry_after: str | None) -> CloudError:
    """A receiver's answer other than 2xx: 429 and 5xx are transient (with its Retry-After), anything else is the
    receiver's refusal. The URL is never in it: a Teams webhook's URL is its credential."""
    said = re.sub(r"\s+", " ", body[:EXCERPT].decode("utf-8", "replace")).strip()
    message = f"The endpoint answered HTTP {status}" + (f": {said}" if said else ".")
    held = status == 429 or status >= 500
    error = CloudError(WEBHOOK_STEP, f"http{status}", message, f"{WEBHOOK_SERVICE} said not now" if held else None)
    error.status = status
    error.retry_after_s = seconds(retry_after)
    return error


async def _capped(response: aiohttp.ClientResponse) -> bytes:
    """The answer's body, read to its end only while it stays within the cap."""
    body = b""
    while chunk := await response.content.read(WEBHOOK_BODY_CAP + 1 - len(body)):
        body += chunk
        if len(body) > WEBHOOK_BODY_CAP:
            raise AnswerTooLong
    return body


def mail_message(to: list[str], subject: str, html: str) -> dict[str, Any]:
    """sendMail's body (https://learn.microsoft.com/graph/api/user-sendmail): the message is not kept in Sent Items."""
    recipients = [{"emailAddress": {"address": address}} for address in to]
    return {
        "message": {"subject": subject, "body": {"contentType": "HTML", "content": html}, "toRecipients": recipients},
        "saveToSentItems": False,
    }


class AlertNotices:
    """Webhooks over aiohttp, awaited on the event loop so that a slow receiver holds no thread: no retry (a failed
    notice is retried by the delivery's backoff), no redirects followed (a signed notice goes only where the rule
    says), no proxy, no tracing (its span would carry the URL); mail through Graph, app-only, with the Mail.Send
    application permission."""

    def __init__(
        self,
        graph: GraphClients,
        *,
        resolve_host: ResolveHost = system_addresses,
        private_networks: Sequence[IpNetwork] = (),
        deadline_s: float = WEBHOOK_DEADLINE_S,
    ) -> None:
        self._graph = graph
        self._resolve_host = resolve_host
        self._private_networks = private_networks
        self._deadline_s = deadline_s
        bundle = ca_bundle()
        self._tls = tls_context(bundle if isinstance(bundle, str) else certifi.where())

    async def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        host = urlsplit(url).hostname or ""
        answered: int | None = None
        # the transport's own errors name the URL, a Teams webhook's credential: they are neither chained nor quoted
        try:
            async with asyncio.timeout(self._deadline_s):
                try:  # an address in the URL is checked here: aiohttp asks no resolver for it
                    checked(host, host, self._private_networks)
                except ValueError:
                    pass
                # a connection of its own each time: the name is resolved (and checked) again at each delivery
                connector = aiohttp.TCPConnector(
                    resolver=CheckedResolver(self._resolve_host, self._private_networks),
                    ssl=self._tls,
                    use_dns_cache=False,
                    force_close=True,
                )
                async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
                    sent = {**headers, "Accept-Encoding": "identity"}
                    async with session.post(url, data=body, headers=sent, allow_redirects=False) as response:
                        answered = response.status
                        said = await _capped(response)
                        retry_after = response.headers.get("Retry-After")
        except AddressRefused as exc:
            raise CloudError(WEBHOOK_STEP, ADDRESS_REFUSED, str(exc)) from None
        except AnswerTooLong:
            too_long = f"The endpoint answered HTTP {answered} with a body over {WEBHOOK_BODY_CAP} bytes."
            raise CloudError(WEBHOOK_STEP, ANSWER_REFUSED, too_long) from None
        except TimeoutError:
            if answered is None:
                silent = f"{WEBHOOK_SERVICE} did not answer within {self._deadline_s:g} s"
                raise CloudError(WEBHOOK_STEP, NOT_ANSWERING, silent, reason=silent) from None
            raise CloudError(
                WEBHOOK_STEP,
                ANSWER_REFUSED,
                f"The endpoint answered HTTP {answered} but did not finish its answer within {self._deadline_s:g} s.",
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            unanswered = f"{WEBHOOK_SERVICE} did not answer"
            raise CloudError(
                WEBHOOK_STEP, UNANSWERED, f"{unanswered} ({type(exc).__name__})", reason=unanswered
            ) from None
        if not 200 <= answered < 300:
            raise refusal(answered, said, retry_after)

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None:
        client = self._graph.client(tenant_id)
        path = f"users/{quote(mailbox, safe='@')}/sendMail"
        response = client.send("POST", path, step=MAIL_STEP, body=mail_message(to, subject, html))
        if response.status_code >= 400:
            raise error_of(MAIL_STEP, response)

    def sender_standing(self, tenant_id: str, mailbox: str) -> SenderStanding:
        """The mailbox's settings read (MailboxSettings.Read): Exchange answers for the mailbox as it would for a send,
        application access policies included, since they scope that permission as they scope Mail.Send
        (https://learn.microsoft.com/graph/auth-limit-mailbox-access). Without that permission, only whether the user
        exists can be told."""
        client = self._graph.client(tenant_id)
        user = quote(mailbox, safe="@")
        response = client.send("GET", f"users/{user}/mailboxSettings", step=MAIL_STEP)
        if response.status_code < 400:
            return "canSend"
        error = error_of(MAIL_STEP, response)
        refused = mailbox_refusal(error.code, str(error))
        if refused is not None:
            return refused
        if error.permission_denied:
            found = client.get_or_none(f"users/{user}", step=MAIL_STEP, params={"$select": "id"})
            return "userExists" if found is not None else "noUser"
        if response.status_code == 404:
            return "noUser"
        raise error

    def close(self) -> None:
        return None  # each notice's connection is closed with it
