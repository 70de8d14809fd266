"""How a cloud call fails: CloudError and CloudThrottled, and the provider codes the domain tells apart."""

from __future__ import annotations

# the codes of a refusal for want of a permission (ARM's, ARM's linked access check's, Graph's): retrying cannot help,
# only the customer's admin can, by following the onboarding report
# (and the app's own code for a tenant whose admin never consented to it: Entra gives it no token at all)
NO_CONSENT = "appNotConsented"
# the app's own code for a tenant not linked to its Entra tenant yet: there is nobody to ask for a token
NOT_LINKED = "tenantNotLinked"
# the app's own code for a subscription of another customer than the tenant's, which the app sees as itself under an
# Azure Lighthouse delegation (every delegating customer's subscriptions are visible to it): never acted in
NOT_DELEGATED = "subscriptionOfAnotherTenant"
PERMISSION_DENIED = frozenset(
    {"AuthorizationFailed", "LinkedAuthorizationFailed", "Authorization_RequestDenied", NO_CONSENT, NOT_DELEGATED}
)
# the code of a request the app holds back itself, ARM's budget of the subscription (reads, writes or deletes) being
# nearly spent
REQUEST_BUDGET = "subscriptionRequestBudget"
# the code of a call that got no answer at all (connection refused or reset): an outage, waited out
UNANSWERED = "serviceUnavailable"
# the code of a call the service took and did not answer within the call's timeout (a hung service): waited out as an
# outage, and never waited on for longer than that timeout (shared/cloud/azure/transport.py)
NOT_ANSWERING = "serviceNotAnswering"
# the code of an action on a user session that is no longer there (signed out, logged off, or its host gone)
SESSION_GONE = "sessionNotFound"
# Refusals the same request meets however often it is sent, so another provisioning attempt cannot help: a full
# subnet, a quota, a size or image the region does not offer, a value Azure does not take (ARM's common deployment
# errors, learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors, and Compute's
# quota and SKU pages). Capacity (AllocationFailed) and failed operations are not among them: a new attempt may land.
REFUSED_FOR_GOOD = frozenset(
    code.casefold()
    for code in (
        *PERMISSION_DENIED,
        "SubnetIsFull",
        "QuotaExceeded",
        "OperationNotAllowed",
        "SkuNotAvailable",
        "PlatformImageNotFound",
        "ImageNotFound",
        "GalleryImageNotFound",
        "InvalidParameter",
        "InvalidResourceReference",
    )
)

# Azure's refusals of a Spot VM for want of Spot capacity or at the max price given now, or of Spot on its size: made on
# demand instead, and tried as Spot again later. SkuNotAvailable, SpotPriceGreaterThanProvidedMaxPrice and
# AzureSpotIsNotSupportedForThisVMSize are the Spot page's (https://learn.microsoft.com/azure/virtual-machines/
# error-codes-spot; a size the Spot Group's save already refuses, so met only if Azure's list of such sizes grows);
# the allocation failures are Compute's for any VM
# (https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/allocation-failure), for a Spot VM its want
# of Spot capacity. QuotaExceeded is the app's own capacity check's (ProvisioningCompute.allocate_capacity), which for
# a Spot VM reads only the region's Spot pool: its Spot quota used up, on-demand quota may still have room.
SPOT_SIZE_REFUSED = "AzureSpotIsNotSupportedForThisVMSize"
SPOT_QUOTA_REFUSED = "QuotaExceeded"
SPOT_CAPACITY_REFUSED = frozenset(
    {
        "SkuNotAvailable",
        "SpotPriceGreaterThanProvidedMaxPrice",
        "AllocationFailed",
        "ZonalAllocationFailed",
        "OverconstrainedAllocationRequest",
        "OverconstrainedZonalAllocationRequest",
        SPOT_SIZE_REFUSED,
        SPOT_QUOTA_REFUSED,
    }
)


def refused_for_good(code: str) -> bool:
    """Whether a refusal with this code would meet the same refusal again (REFUSED_FOR_GOOD)."""
    return code.casefold() in REFUSED_FOR_GOOD


ONBOARDING_HINT = (
    "The app lacks this permission in the customer's tenant: grant it as the tenant's onboarding report says "
    "(GET /api/tenants/{tenantId}/onboarding, the portal's Onboarding page)."
)


class CloudError(Exception):
    """A cloud call failed; `code` is the provider's error code, `step` the step that failed. A refusal for want of
    a permission says where the admin finds the fix, wherever it is shown."""

    status: int | None = None  # the HTTP status of the answer, where the call was answered
    retry_after_s: float | None = None  # when the service said to ask again

    def __init__(self, step: str, code: str, message: str, reason: str | None = None) -> None:
        if code in PERMISSION_DENIED and ONBOARDING_HINT not in message:
            message = f"{message} {ONBOARDING_HINT}"
        super().__init__(message)
        self.step = step
        self.code = code
        # a transient one: why it holds the call, in words naming the service (the timeline's heldByAzure line)
        self.reason = reason

    @property
    def permission_denied(self) -> bool:
        return self.code in PERMISSION_DENIED

    @property
    def transient(self) -> bool:
        """Worth asking again as it was: a throttle, the service's own failure, or no answer at all. Anything else
        is the service's refusal or a failed operation, which the same call would meet again."""
        if self.status is None:
            return self.code.casefold() in (UNANSWERED.casefold(), NOT_ANSWERING.casefold())
        return self.status == 429 or self.status >= 500


class CloudThrottled(CloudError):
    """The cloud throttled a call that answers no Progress (a read): ask again after `retry_after_s`."""

    def __init__(
        self, step: str, retry_after_s: float, code: str = "TooManyRequests", reason: str | None = None
    ) -> None:
        super().__init__(step, code, f"{step}: Azure said not now ({code}); retry after {retry_after_s:g} s", reason)
        self.status = 429
        self.retry_after_s = retry_after_s
