"""Azure Resource Manager clients per customer tenant and subscription, and the ARM ids the adapters build.

Retries: azure-core retries transient failures (connection errors, 408, 5xx) a few times with a short
back-off, but a 429 is never retried here, and neither is any answer whose Retry-After asks for more than
MAX_RETRY_WAIT_S. Activities call ARM, and an activity that sleeps through a throttle holds a worker slot for
nothing: the throttled answer comes back to the adapter, which turns it into `Progress(done=False,
retry_after_s=Retry-After)`, and the orchestration waits on a durable timer instead. This holds for every
ARM call, not only VM creates: ARM throttles writes and reads per subscription and principal, and every
caller of these clients can hand a wait back (a Progress, or an error the orchestrator retries later).

ARM's request budget: ARM refills each subscription's writes and deletes at 10 a second per principal, from a bucket
of 200, and its reads at 25 from 250 (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-
throttling), and says on every answer what is left (`x-ms-ratelimit-remaining-subscription-writes`, `-reads`...).
`RequestBudget` keeps what the answers said per tenant, subscription and kind, shared by every call of this process
there, and holds a request back (CloudThrottled, code REQUEST_BUDGET) once the estimate is down to RESERVE, in a slot of
its own: a fan-out, and its polls, slow before Azure refuses them rather than after, and never come back as a herd.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from azure.core.credentials import AccessTokenInfo, TokenCredential
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.desktopvirtualization import DesktopVirtualizationMgmtClient
from azure.mgmt.network import NetworkManagementClient

from shared.cloud.azure.compute_limits import VmLimits, VmPacingPolicy
from shared.cloud.azure.transport import ARM_PATIENCE, close_all, http_transport
from shared.ports.cloud_errors import NOT_DELEGATED, REQUEST_BUDGET, CloudError, CloudThrottled
from shared.ports.progress import MIN_WAIT_S

USER_ROLES = "userRoles"  # the client kind that acts in the customer's tenant whatever its Azure access
SUBSCRIPTIONS_API = "2022-12-01"  # Microsoft.Resources' subscriptions list
MAX_RETRY_WAIT_S = 5.0
RETRIES = 3
KIND_OF = {"GET": "reads", "HEAD": "reads", "PUT": "writes", "PATCH": "writes", "POST": "writes", "DELETE": "deletes"}
REFILL = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}  # ARM's refill of a subscription's buckets, a second
REFILL_PER_S = REFILL["writes"]
BUCKET = {"reads": 250.0, "writes": 200.0, "deletes": 200.0}  # what a subscription's buckets hold when full
RESERVE = 10  # what the budget keeps back: other processes and the app's own polls share the subscription
# a write that starts new work (a VM create, as the call's option NEW_WORK=True says) is held back while the estimate is
# down to this: the writes that carry on work under way (its extension, Run Command and role) go first, so a
# Cloud PC begun is finished before more are begun, and its writes are not each held in turn
NEW_WORK, NEW_WORK_RESERVE = "budget_new_work", 60
# a hold this short is slept in the call: handed back, it would cost the orchestration a durable timer, an episode
# and a call, and come back no sooner (the orchestrations wait MIN_WAIT_S at least); kept short, since a sleeping
# call holds one of the worker's few threads. A last hold shorter than MIN_WAIT_S is slept too, once the call has
# slept less than this: handed back, it would come back no sooner than MIN_WAIT_S, for an episode and a call more
INLINE_WAIT_S = 0.5


class TenantCredentials(Protocol):
    """Credentials for an app tenant (shared.cloud.azure.credentials): the app in the customer's Entra tenant, and the
    identity it works in the customer's Azure with (the same, or its own under an Azure Lighthouse delegation)."""

    def for_tenant(self, tenant_id: str) -> TokenCredential: ...
    def for_arm(self, tenant_id: str) -> TokenCredential: ...
    def azure_access(self, tenant_id: str) -> str: ...
    def entra_tenant_id(self, tenant_id: str) -> str: ...


class HandBackThrottlingPolicy(RetryPolicy):
    """RetryPolicy that gives 429s, and waits longer than MAX_RETRY_WAIT_S, back to the caller instead of sleeping."""

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        http = response.http_response
        if http.status_code == 429:
            return False
        wait = retry_after_s(http)
        if wait is not None and wait > MAX_RETRY_WAIT_S:
            return False
        return bool(super().is_retry(settings, response))


class RequestBudget:
    """What ARM's answers last said is left of each (tenant, subscription, writes or deletes), and what this process
    has spent since; thread-safe, one per ArmClients.

    A write held back is given a slot of its own, one refill after the last slot given: a fan-out held at the reserve
    comes back spread out, a write a tenth of a second, instead of every caller at once (a herd that would spend the
    host's time on being held back)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str], list[float]] = {}  # -> [remaining, when, sent since]
        self._last_slot: dict[tuple[str, ...], float] = {}  # (key, reserve) -> the latest slot a held write was given

    def observe(self, key: tuple[str, str, str], remaining: float) -> None:
        with self._lock:
            self._seen[key] = [remaining, self._clock(), 0.0]

    def admit(self, key: tuple[str, str, str], reserve: float = RESERVE) -> float:
        """0 (the write counted) when the budget has more than `reserve` left by estimate, else the seconds until the
        write's slot (slots are given per reserve: new work has a line of its own)."""
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                return 0.0
            now = self._clock()
            remaining, when, sent = seen
            refill = REFILL[key[2]]
            estimate = remaining + (now - when) * refill - sent
            if estimate > reserve:
                seen[2] += 1
                return 0.0
            line = (*key, str(reserve))
            slot = max(now + (reserve + 1 - estimate) / refill, self._last_slot.get(line, 0.0) + 1 / refill)
            self._last_slot[line] = slot
            return slot - now


class BudgetPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """One client's share of the RequestBudget: every send of a write or delete asks it first, and every answer tells
    it what ARM has left (the smaller of the principal's and the subscription's global bucket)."""

    def __init__(
        self, budget: RequestBudget, tenant_id: str, subscription_id: str, sleep: Callable[[float], None]
    ) -> None:
        self._budget, self._tenant, self._subscription = budget, tenant_id, subscription_id.lower()
        self._sleep = sleep

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        kind = KIND_OF.get(request.http_request.method.upper())
        if kind is None:
            return
        key = (self._tenant, self._subscription, kind)
        if NEW_WORK in request.context.options:  # the call's option, kept on its context for the call's retries
            request.context[NEW_WORK] = request.context.options.pop(NEW_WORK)
        if request.context.get(NEW_WORK):  # handed back at once: its caller paces new work (a sleep here would
            wait = self._budget.admit(key, NEW_WORK_RESERVE)  # send it later than the caller's pacing let it go)
        else:
            wait = held_for(lambda: self._budget.admit(key), self._sleep)
        if wait > 0:
            raise CloudThrottled(f"arm{kind.capitalize()}", wait, REQUEST_BUDGET)

    def on_response(self, request: PipelineRequest[HttpRequest], response: PipelineResponse[Any, Any]) -> None:
        kind = KIND_OF.get(request.http_request.method.upper())
        if kind is None:
            return
        headers = response.http_response.headers
        said = [headers.get(f"x-ms-ratelimit-remaining-subscription-{scope}{kind}") for scope in ("", "global-")]
        left = [float(value) for value in said if value and value.replace(".", "", 1).isdigit()]
        if left:
            self._budget.observe((self._tenant, self._subscription, kind), min(left))


def held_for(admit: Callable[[], float], sleep: Callable[[float], None]) -> float:
    """What `admit()` answers once it lets the call go (0), asked again after sleeping through its waits while they
    add up to INLINE_WAIT_S at most (and a last one shorter than MIN_WAIT_S); else the wait still ahead, for the
    caller to hand back."""
    slept, wait = 0.0, admit()
    while wait > 0 and (slept + wait <= INLINE_WAIT_S or (slept < INLINE_WAIT_S and wait < MIN_WAIT_S)):
        sleep(wait)
        slept += wait
        wait = admit()
    return wait


def retry_after_s(response: Any) -> float | None:
    """Retry-After in seconds (ARM sends whole seconds), None when absent or unreadable."""
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class CurrentCredential:
    """The tenant's credential as it is at each token request. A client outlives a credential: when the directory
    renews a tenant's token (its admin granted more), the old credential is closed, and its clients ask the new one.
    `in_customer_tenant`: the app's registration in the customer's tenant whatever the tenant's Azure access (what
    gives users their roles, which an Azure Lighthouse delegation cannot)."""

    def __init__(self, credentials: TenantCredentials, tenant_id: str, in_customer_tenant: bool = False) -> None:
        self._credentials, self._tenant_id = credentials, tenant_id
        self._pick = credentials.for_tenant if in_customer_tenant else credentials.for_arm

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._pick(self._tenant_id).get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        credential: Any = self._pick(self._tenant_id)
        if hasattr(credential, "get_token_info"):
            return credential.get_token_info(*scopes, options=options)
        token = credential.get_token(*scopes, **(options or {}))
        return AccessTokenInfo(token.token, token.expires_on)


class ArmClients:
    """One client of each kind per (app tenant, subscription): an app tenant is one customer Entra tenant.

    Only the endpoint and the tenant's credential are given to the SDKs: the same code talks to Azure and,
    locally, to the emulator that ARM_ENDPOINT names.
    """

    def __init__(
        self,
        credentials: TenantCredentials,
        arm_endpoint: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self.sleep = sleep
        self.endpoint = arm_endpoint.rstrip("/")
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._customers: set[tuple[str, str]] = set()  # (app tenant, subscription) known to be the customer's
        self._lock = threading.Lock()
        self.budget = RequestBudget(clock)
        self.vm_limits = VmLimits(clock)

    def _client(self, kind: str, factory: Any, tenant_id: str, subscription_id: str) -> Any:
        # a client per identity: its pipeline keeps its token, which a tenant's change of Azure access must not outlive
        access = "consent" if kind == USER_ROLES else self._credentials.azure_access(tenant_id)
        if access == "lighthouse" and subscription_id:
            self._check_customers(tenant_id, subscription_id)
        cache_key = (kind, tenant_id, subscription_id.lower(), access)
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                policy = HandBackThrottlingPolicy(
                    retry_total=RETRIES, retry_backoff_factor=0.5, retry_backoff_max=4, **ARM_PATIENCE.retry_options()
                )
                client = factory(
                    CurrentCredential(self._credentials, tenant_id, in_customer_tenant=kind == USER_ROLES),
                    subscription_id,
                    base_url=self.endpoint,
                    retry_policy=policy,
                    transport=http_transport(ARM_PATIENCE),
                    per_retry_policies=[  # a VM's own limit first: a request it holds spends none of the budget
                        VmPacingPolicy(self.vm_limits, tenant_id, subscription_id, self._held_for),
                        BudgetPolicy(self.budget, tenant_id, subscription_id, self.sleep),
                    ],
                )
                self._clients[cache_key] = client
            return client

    def _check_customers(self, tenant_id: str, subscription_id: str) -> None:
        """Under an Azure Lighthouse delegation the app sees, as itself, every delegating customer's subscriptions: it
        acts in a tenant's name only in a subscription of that customer's tenant (the list's `tenantId`,
        https://learn.microsoft.com/rest/api/resources/subscriptions/list), so that a site naming another customer's
        subscription reaches nothing there. Once known to be the customer's, it is not asked again."""
        key = (tenant_id, subscription_id.lower())
        if key in self._customers:
            return
        url: str | None = f"{self.endpoint}/subscriptions?api-version={SUBSCRIPTIONS_API}"
        while url:
            response = self.get_url(tenant_id, "", url, "checkSubscriptionTenant")
            if response.status_code >= 400:
                raise HttpResponseError(response=response)
            body = response.json()
            for row in body.get("value") or []:
                if str(row.get("subscriptionId") or "").lower() != key[1]:
                    continue
                if str(row.get("tenantId") or "").lower() != self.entra_tenant_id(tenant_id).lower():
                    raise CloudError(
                        "checkSubscriptionTenant",
                        NOT_DELEGATED,
                        f"Subscription {subscription_id} belongs to another tenant than this customer's: the app does "
                        "not act in it for this tenant.",
                    )
                self._customers.add(key)
                return
            url = body.get("nextLink")
        # not delegated to the app at all: ARM itself refuses what the app asks there

    def compute(self, tenant_id: str, subscription_id: str) -> ComputeManagementClient:
        client: ComputeManagementClient = self._client("compute", ComputeManagementClient, tenant_id, subscription_id)
        return client

    def network(self, tenant_id: str, subscription_id: str) -> NetworkManagementClient:
        client: NetworkManagementClient = self._client("network", NetworkManagementClient, tenant_id, subscription_id)
        return client

    def authorization(self, tenant_id: str, subscription_id: str) -> AuthorizationManagementClient:
        client: AuthorizationManagementClient = self._client(
            "authorization", AuthorizationManagementClient, tenant_id, subscription_id
        )
        return client

    def user_roles(self, tenant_id: str, subscription_id: str) -> AuthorizationManagementClient:
        """The client that gives users their roles (VM sign-in, Desktop Virtualization User): the app's registration
        in the customer's tenant, as an Azure Lighthouse delegation gives no right to assign roles to users
        (https://learn.microsoft.com/azure/lighthouse/concepts/tenants-users-roles)."""
        client: AuthorizationManagementClient = self._client(
            USER_ROLES, AuthorizationManagementClient, tenant_id, subscription_id
        )
        return client

    def desktop_virtualization(self, tenant_id: str, subscription_id: str) -> DesktopVirtualizationMgmtClient:
        client: DesktopVirtualizationMgmtClient = self._client(
            "desktopVirtualization", DesktopVirtualizationMgmtClient, tenant_id, subscription_id
        )
        return client

    def entra_tenant_id(self, tenant_id: str) -> str:
        """The customer's Entra tenant of an app tenant (what its subscriptions' `tenantId` is)."""
        return self._credentials.entra_tenant_id(tenant_id)

    def get_url(self, tenant_id: str, subscription_id: str, url: str, step: str) -> HttpResponse:
        """GET an ARM URL (an operation's status, a list's page) through the compute client's pipeline: auth,
        retries. `subscription_id` "" for a URL outside any subscription (`/subscriptions` itself)."""
        if not self.on_endpoint(url):
            # the URL came back through the orchestration's state: never send the tenant's token elsewhere
            raise CloudError(step, "invalidOperationUrl", "The operation to poll is not on the ARM endpoint.")
        response: HttpResponse = self.compute(tenant_id, subscription_id).send_request(HttpRequest("GET", url))
        response.read()
        return response

    def _held_for(self, admit: Callable[[], float]) -> float:
        return held_for(admit, self.sleep)

    def poll_wait(self, tenant_id: str, subscription_id: str, url: str) -> float:
        """How long until the operation's VM may be polled again by what Compute last said it has left (0: now)."""
        vm = self.vm_limits.vm_of(url)
        return self.vm_limits.wait((tenant_id, subscription_id.lower(), vm, "GetOperation"))

    def on_endpoint(self, url: str) -> bool:
        """Whether `url` is on this ARM endpoint (the only place the tenant's token is sent)."""
        return url.lower().startswith(self.endpoint.lower() + "/")

    def close(self) -> None:
        close_all(self._lock, self._clients)
