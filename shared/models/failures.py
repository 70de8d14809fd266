"""What a failure code means to an admin and what to do next: one catalogue for Azure's, Graph's, Windows 365's and
the app's own codes, shown beside the provider's message wherever the API reports a failure."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import computed_field

from shared.models.base import ApiModel


class Words(NamedTuple):
    summary: str  # what happened, in the admin's terms
    action: str  # what the admin does about it ("Nothing" when the app recovers by itself)


_RETRY = "Retry it. If it keeps failing, check Azure's status page (status.azure.com) and then Azure support."
_ONBOARDING = "Open the tenant's Onboarding page and grant what it lists as missing, then retry."
_APP_BUG = "Report it to the app's team with the timeline: the app sent something the service does not take."
_SETTING = "Correct the setting Azure's message names, then retry."
_WAITS = "Nothing: the app waits as long as Azure asks and goes on by itself."
_IMAGE = "Fix the source image (see Azure's message), upload it again, and use the new image in the policy."
_ROLE = "Nothing unless it persists: the app retries while Entra ID replicates a new identity."

# Keys are compared without regard to case: Azure spells a code `InternalServerError`, Graph `internalServerError`.
# Sources: Azure Resource Manager's common errors (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/
# common-deployment-errors), Compute's allocation and SKU pages (learn.microsoft.com/troubleshoot/azure/
# virtual-machines/windows/allocation-failure, .../error-code-skunotavailable), Graph's errors
# (learn.microsoft.com/graph/errors), Windows 365's cloudPcDeviceImageErrorCode
# (learn.microsoft.com/graph/api/resources/cloudpcdeviceimage) and the app's own codes (each named where raised).
_CATALOGUE: dict[str, Words] = {
    # capacity, sizes and quota
    "AllocationFailed": Words(
        "Azure has no room for this VM size in the region right now.",
        "Retry later, or choose another size or region in the policy.",
    ),
    "ZonalAllocationFailed": Words(
        "Azure has no room for this VM size in the chosen zone right now.",
        "Retry later, or choose another size or region in the policy.",
    ),
    "OverconstrainedAllocationRequest": Words(
        "Azure cannot place this VM with all the constraints it was given.",
        "Retry later, or choose another size or region in the policy.",
    ),
    "SkuNotAvailable": Words(
        "This VM size is not offered to the subscription in the region.",
        "Choose another size or region, or ask Azure support to enable the size.",
    ),
    # Azure Spot VMs (https://learn.microsoft.com/azure/virtual-machines/error-codes-spot)
    "SpotPriceGreaterThanProvidedMaxPrice": Words(
        "Azure's Spot price for this size is above the group's max price.",
        "Raise the max price, or let the host run on demand.",
    ),
    "AzureSpotIsNotSupportedForThisVMSize": Words(
        "Azure runs no Spot VM of this size (B-series and Promo sizes).",
        "Nothing: the host runs on demand; choose another size for Spot.",
    ),
    "MaxPriceValueInvalid": Words(
        "The max price is neither -1 nor a price above zero with at most five decimals.",
        "Set a max price of -1 or a positive price in USD with five decimals at most.",
    ),
    "EvictionPolicyCanBeSetOnlyOnAzureSpotVirtualMachines": Words(
        "An eviction policy was sent for a VM that is not a Spot VM.", "Report it: the app sent a wrong request."
    ),
    "MaxPriceIsSupportedOnlyForAzureSpotVirtualMachines": Words(
        "A max price was sent for a VM that is not a Spot VM.", "Report it: the app sent a wrong request."
    ),
    "QuotaExceeded": Words(
        "A vCPU quota of the subscription in the region is used up (the message names it).",
        "Request more quota (Azure portal, Subscriptions, Usage + quotas) or free unused VMs.",
    ),
    "OperationNotAllowed": Words(
        "Azure does not allow this with these settings (for example a quota reached or a disk smaller than its image).",
        _SETTING,
    ),
    "GalleryImageVersionQuotaExceeded": Words(
        "The gallery holds as many image versions as Azure allows.",
        "Delete versions no longer in use from the image set, then retry.",
    ),
    # requests Azure or Graph refused
    "InvalidParameter": Words("Azure refused a value in the request.", _SETTING),
    "BadRequest": Words("Azure refused the request.", _SETTING),
    "BadParameter": Words("Azure refused a value in the request.", _SETTING),
    "InvalidRequest": Words("The service refused the request.", _SETTING),
    "InvalidRequestContent": Words("Azure could not read the request's content.", _APP_BUG),
    "InvalidRequestFormat": Words("Azure could not read the request's format.", _APP_BUG),
    "Request_BadRequest": Words("Microsoft Graph refused the request.", _SETTING),
    "Request_UnsupportedQuery": Words("Microsoft Graph does not take this query.", _APP_BUG),
    "InvalidFilter": Words("Azure does not take this filter.", _APP_BUG),
    "InvalidFilterInQueryString": Words("Azure does not take this filter.", _APP_BUG),
    "InvalidApiVersionParameter": Words("Azure does not offer this API version for the resource.", _APP_BUG),
    "MissingApiVersionParameter": Words("The request named no API version.", _APP_BUG),
    "ExtensionError": Words(
        "Microsoft Graph could not reach the app's notification address to validate it.",
        "Check that the app's address is reachable from the internet, then retry.",
    ),
    "MethodNotAllowed": Words("The service does not take this kind of request here.", _APP_BUG),
    "invalidNextLink": Words("A page link did not come from the service it was sent back to.", _APP_BUG),
    "invalidOperationUrl": Words(
        "Azure pointed the app at an address outside Azure; the app did not follow it.", _APP_BUG
    ),
    "InvalidResourceName": Words(
        "The name is not allowed for this kind of Azure resource.",
        "Change the name to follow Azure's rules for its length and characters, then retry.",
    ),
    "InvalidName": Words(
        "The device or domain name is not a valid Active Directory name.",
        "Correct the connection's domain name or the policy's naming template, then retry.",
    ),
    "PropertyChangeNotAllowed": Words(
        "Azure does not let this setting of an existing resource change.",
        "Retry: the app adopts what Azure made rather than changing it.",
    ),
    "LocationRequired": Words("Azure needs a region for this resource.", _SETTING),
    "LocationNotAvailableForResourceType": Words(
        "This kind of resource is not offered in the region.", "Choose a region the service offers, then retry."
    ),
    "NoRegisteredProviderFound": Words(
        "The subscription cannot use this kind of resource yet.",
        "Register the resource provider in the subscription, then retry.",
    ),
    # what the request points at
    "ResourceNotFound": Words(
        "An Azure resource the work needs does not exist.",
        "Check that the connection's network, the image and the resource group still exist.",
    ),
    "NotFound": Words(
        "Something the work needs does not exist.",
        "Check that the connection, the image and the resource group still exist.",
    ),
    "ErrorInvalidUser": Words(
        "The mailbox an alert rule sends its e-mail from is not in the customer's tenant.",
        "Name a user or shared mailbox of the tenant in the rule's e-mail channel.",
    ),
    "MailboxNotEnabledForRESTAPI": Words(
        "The mailbox an e-mail is sent from has no Exchange Online mailbox.",
        "License the user for Exchange Online, or name a user that has a mailbox.",
    ),
    "ErrorAccessDenied": Words(
        "Exchange Online keeps the app from the mailbox: an application access policy excludes it.",
        "Add the mailbox to the policy's group, or name one the policy allows.",
    ),
    "ErrorInvalidRecipients": Words(
        "Exchange Online refused an alert e-mail's recipients.", "Correct the addresses in the rule's e-mail channel."
    ),
    "Request_ResourceNotFound": Words(
        "Microsoft Graph has no such object (a user, group or device).",
        "Nothing if it was deleted; else check the object in Entra ID.",
    ),
    "ResourceGroupNotFound": Words(
        "The resource group does not exist.", "Create it in the subscription, or correct the site's resource group."
    ),
    "ResourceGroupBeingDeleted": Words(
        "The resource group is being deleted.", "Wait for the delete to finish and create it again, or use another one."
    ),
    "InvalidResourceReference": Words(
        "The request points at an Azure resource that does not exist or is in another region.",
        "Check the connection's subnet and the image, then retry.",
    ),
    "PlatformImageNotFound": Words(
        "The marketplace image is not offered in the region.", "Choose another image or region in the policy."
    ),
    "imageNotFound": Words("The image does not exist.", "Choose another image in the policy."),
    "siteNotFound": Words("The site the work belongs to was deleted.", "Nothing: the work is stopped."),
    "vmNotFound": Words("The Cloud PC's VM no longer exists in Azure.", "Reprovision the Cloud PC."),
    "managedDeviceNotFound": Words(
        "Intune has no device for this Cloud PC.", "Check the device in Intune, or reprovision the Cloud PC."
    ),
    "hostPoolNotFound": Words(
        "The Spot Group's host pool no longer exists in Azure.", "Delete the Spot Group and create it again."
    ),
    "hostPoolTypeChanged": Words(
        "The host pool in Azure is no longer the type the Spot Group says.",
        "Change the host pool back in Azure, or create a new Spot Group.",
    ),
    "OperationNotFound": Words(
        "Azure no longer knows the operation the app was following.",
        "Nothing: the app reads the resource itself instead.",
    ),
    "SecretNotFound": Words(
        "The domain-join password is not in the key vault.", "Enter the domain-join password again on the connection."
    ),
    "credentialsUnavailable": Words(
        "The domain-join password cannot be read.", "Enter the domain-join password again on the connection."
    ),
    # network
    "SubnetIsFull": Words(
        "The connection's subnet has no free addresses.", "Free addresses or choose a larger subnet for the connection."
    ),
    "SubnetRequired": Words("The connection names no subnet.", "Choose a subnet for the connection."),
    "PrivateIPAddressNotInAnySubnet": Words("The address is outside every subnet of the network.", _SETTING),
    "NetcfgSubnetRangeOutsideVnet": Words(
        "The subnet's addresses are outside its network's address space.",
        "Choose a subnet range inside the network's address space.",
    ),
    "InvalidAddressPrefixFormat": Words(
        "The address range is not written as Azure expects (for example 10.0.0.0/24).", _SETTING
    ),
    "InUseSubnetCannotBeUpdated": Words(
        "The subnet is in use and cannot change.", "Remove what uses it first, or leave it as it is."
    ),
    "InUseSubnetCannotBeDeleted": Words("The subnet is in use and cannot be deleted.", "Remove what uses it first."),
    "NicReservedForAnotherVm": Words("Azure keeps a removed VM's network interface reserved for 180 seconds.", _WAITS),
    "NicInUse": Words(
        "The network interface is still attached to a VM.", "Nothing: the app removes it once its VM is gone."
    ),
    "CannotDeleteResource": Words(
        "Azure would not delete a resource (a lock, or something still using it).",
        "Remove the lock or what uses it in Azure, then retry the clean-up.",
    ),
    "Conflict": Words("Another change to the same resource was under way.", "Retry it."),
    # identity and permissions
    "AuthorizationFailed": Words("The app's identity lacks an Azure role for this.", _ONBOARDING),
    "LinkedAuthorizationFailed": Words(
        "The app's identity lacks a role on a resource this uses (such as the network).", _ONBOARDING
    ),
    "Forbidden": Words("The app's identity is not allowed to do this.", _ONBOARDING),
    "AccessDenied": Words("The app's identity is not allowed to do this.", _ONBOARDING),
    "Authorization_RequestDenied": Words("The app lacks a Microsoft Graph permission for this.", _ONBOARDING),
    "Unauthorized": Words("The service did not accept the app's sign-in.", _ONBOARDING),
    "subscriptionOfAnotherTenant": Words(
        "The subscription belongs to another customer's tenant, delegated to the provider.",
        "Pick one of this customer's own subscriptions.",
    ),
    "appNotConsented": Words("The customer's administrator has not consented to the app in their tenant.", _ONBOARDING),
    "InvalidAuthenticationToken": Words("The service did not accept the app's sign-in.", _ONBOARDING),
    "unauthenticated": Words("The app could not sign in to the customer's tenant.", _ONBOARDING),
    "invalid_scope": Words("Entra ID refused the app's sign-in for this service.", _ONBOARDING),
    "invalid_request": Words("Entra ID refused the app's sign-in request.", _ONBOARDING),
    "InvalidScope": Words("A role was asked for at a scope Azure does not take.", _APP_BUG),
    "InvalidRoleDefinition": Words("Azure refused the custom role's definition.", _APP_BUG),
    "InvalidRoleDefinitionId": Words("Azure has no such role.", _APP_BUG),
    "InvalidRoleAssignmentId": Words("Azure refused the role assignment's id.", _APP_BUG),
    "InvalidAssignableScopes": Words("The custom role cannot be assigned where it was asked for.", _ONBOARDING),
    "RoleDefinitionWithSameNameExists": Words(
        "Another custom role has the same name.", "Rename or delete the other role in Azure, then retry."
    ),
    "RoleDefinitionHasAssignments": Words(
        "The role is still assigned and cannot be deleted.", "Remove its assignments first."
    ),
    "RoleDefinitionDoesNotExist": Words("The role does not exist in Azure.", _ONBOARDING),
    "RoleDefinitionUpdateNotPermitted": Words("Built-in roles cannot be changed.", _APP_BUG),
    "InvalidActionOrNotAction": Words("A custom role names an action Azure does not know.", _APP_BUG),
    "InvalidRoleAssignmentScope": Words("A role was assigned at a scope Azure does not take.", _APP_BUG),
    "RoleAssignmentNotFound": Words("The role assignment no longer exists.", "Nothing: there is nothing to remove."),
    "RoleAssignmentExists": Words("The role is already assigned.", "Nothing: the assignment is in place."),
    "RoleAssignmentUpdateNotPermitted": Words(
        "A role assignment cannot be changed once made.", "Delete the assignment in Azure, then retry."
    ),
    # an Azure Lighthouse delegation the customer deploys (the app never writes one)
    "RoleDefinitionNotSupported": Words(
        "Azure Lighthouse does not take that role in a delegation.", "Deploy the delegation template the app offers."
    ),
    "DelegatedRoleDefinitionIdsRequired": Words(
        "A delegation gives User Access Administrator without the roles it may assign.",
        "Deploy the delegation template the app offers.",
    ),
    "InvalidAuthorization": Words(
        "A delegation's authorization is not valid.", "Deploy the delegation template the app offers."
    ),
    "InvalidManagedByTenantId": Words(
        "A delegation names no valid managing tenant.", "Deploy the delegation template the app offers."
    ),
    "RegistrationDefinitionNotFound": Words(
        "A delegation's assignment names no registration definition.", "Deploy the delegation template the app offers."
    ),
    "InvalidRequestParameter": Words("Azure refused a parameter of the request.", _APP_BUG),
    "PrincipalNotFound": Words("Entra ID does not know the user or identity yet.", _ROLE),
    "InvalidPrincipalId": Words("The user or identity id is not valid.", _APP_BUG),
    "InvalidPrincipalType": Words("The user or identity is not of the type given.", _APP_BUG),
    # the service's own trouble
    "TooManyRequests": Words("Azure asked the app to slow down.", _WAITS),
    "InternalServerError": Words("The service failed on its side.", _RETRY),
    "InternalError": Words("The service failed on its side.", _RETRY),
    "ServiceUnavailable": Words("The service was unavailable.", _RETRY),
    "timedOut": Words("A step did not finish within its time limit.", _RETRY),
    "ProvisioningFailed": Words("An Azure resource ended in a failed state.", _RETRY),
    "OSProvisioningTimedOut": Words(
        "Windows did not finish its first start in time.",
        "Retry; if it recurs with a custom image, check that the image was generalized.",
    ),
    # what runs on the VM
    "VMExtensionProvisioningError": Words(
        "An extension on the VM failed (such as the Microsoft Entra join).",
        "Read the extension's message below, fix its cause, then retry.",
    ),
    "ScriptTimeout": Words("A configuration script on the VM ran out of time.", _RETRY),
    "AADJoinFailed": Words(
        "The VM could not join Microsoft Entra ID.",
        "Check that users may join devices (Entra ID, Devices, Device settings) and have not "
        "reached their device limit, then retry.",
    ),
    "MdmEnrollmentFailed": Words(
        "The VM could not enrol in Intune.",
        "Check the MDM user scope and that the user has an Intune license, then retry.",
    ),
    "EnrollmentBlocked": Words(
        "An Intune enrolment restriction blocked the device.",
        "Allow Windows (MDM) devices in Intune's enrolment restrictions, then retry.",
    ),
    "intuneEnrollFailed": Words(
        "The Cloud PC could not enrol in Intune.",
        "Check Intune's enrolment restrictions and the user's Intune license, then retry.",
    ),
    "unmanagedOsDisk": Words("The VM's OS disk is not a managed disk.", "Reprovision the Cloud PC."),
    "registrationTokenUnavailable": Words("The host pool gave no registration token for a new session host.", _RETRY),
    # the AVD agent's reasons (learn.microsoft.com/azure/virtual-desktop/troubleshoot-agent)
    "INVALID_REGISTRATION_TOKEN": Words(
        "The VM's Azure Virtual Desktop agent could not register: AVD did not take the host pool's registration token.",
        _RETRY,
    ),
    "EXPIRED_MACHINE_TOKEN": Words(
        "The VM's Azure Virtual Desktop agent could not register: its machine token had expired.", _RETRY
    ),
    "SessionHostNotRegistered": Words("The VM's Azure Virtual Desktop agent did not register in time.", _RETRY),
    "NoFreeSession": Words(
        "No session host could take the user: every running host is full or drained.",
        "Start another host, or raise the group's sessions per host.",
    ),
    "sessionNotFound": Words(
        "The user session is gone: the user signed out, or was logged off.", "Nothing: read the sessions again."
    ),
    "ReplicationFailed": Words(
        "The image version could not be copied to every region.",
        "Retry the version; if it recurs, remove the failing region from the image set.",
    ),
    "customizationTimedOut": Words(
        "The image's build VM was not customized and captured in time.",
        "Create the version again and finish the customization within the time given.",
    ),
    "buildVmUnknown": Words("The image build lost track of its build VM.", "Create the version again."),
    # Windows 365's device image codes (cloudPcDeviceImageErrorCode)
    "sourceImageNotFound": Words("Windows 365 cannot find the source image.", _IMAGE),
    "osVersionNotSupported": Words("Windows 365 does not support the image's Windows version.", _IMAGE),
    "sourceImageInvalid": Words("Windows 365 cannot use the source image.", _IMAGE),
    "sourceImageNotGeneralized": Words("The source image was not generalized (Sysprep).", _IMAGE),
    "vmAlreadyAzureAdJoined": Words("The image was taken from a VM already joined to Microsoft Entra ID.", _IMAGE),
    "paidSourceImageNotSupport": Words("Windows 365 does not take images with a paid plan.", _IMAGE),
    "sourceImageNotSupportCustomizeVMName": Words("The image does not let Windows 365 name the VM.", _IMAGE),
    "sourceImageSizeExceedsLimitation": Words("The image's OS disk is larger than Windows 365 takes (64 GB).", _IMAGE),
    # the app's own outcomes
    "provisionedWithWarnings": Words(
        "The Cloud PC works, but a configuration step after provisioning failed.",
        "See the timeline for the step; run it again by reprovisioning if it matters.",
    ),
    "waitingForLicense": Words(
        "The user has no free license for this Cloud PC yet.",
        "Assign a license, or end the grace period of a Cloud PC holding one.",
    ),
    "resizeFailed": Words(
        "The resize did not complete; the Cloud PC keeps its former size.",
        "Read the message below, then retry the resize.",
    ),
    "sessionHostsFailed": Words(
        "Some session hosts failed; the others work.", "Retry the Spot Group, or see each host's message."
    ),
    "sessionHostsNotRemoved": Words(
        "Some session hosts could not be removed.", "Retry the delete, or remove them in Azure."
    ),
    "imageUpdateRolledBack": Words(
        "The image update failed and the hosts were put back on the former image.",
        "Check the new image version, then start the update again.",
    ),
    "imageUpdateFailed": Words("The image update failed.", "Check the new image version, then start the update again."),
}
CATALOGUE: dict[str, Words] = {code.casefold(): words for code, words in _CATALOGUE.items()}


def words_for(code: str | None) -> Words | None:
    """The catalogue's words for `code`, or None: the provider's own message is then all there is to show."""
    return CATALOGUE.get(code.casefold()) if code else None


class Worded(ApiModel):
    """Anything the API shows with a failure code, in whichever field holds it (`_failure_code`): the catalogue's
    words for the code ride along, read-only."""

    def _failure_code(self) -> str | None:
        raise NotImplementedError

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str | None:
        """What happened, in an admin's words; absent for a code the catalogue does not know (read `message`)."""
        words = words_for(self._failure_code())
        return words.summary if words else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommended_action(self) -> str | None:
        words = words_for(self._failure_code())
        return words.action if words else None


class Explained(Worded):
    """Anything the API shows with a failure code in `code`."""

    code: str | None = None

    def _failure_code(self) -> str | None:
        return self.code


class CodedFailure(Explained):
    """A failure as the API shows it: the provider's code and message, and the catalogue's words for the code."""

    code: str
    message: str


class StepDetail(CodedFailure):
    """What went wrong in long-running work, and at which of its steps."""

    step: str
