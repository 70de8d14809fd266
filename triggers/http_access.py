"""Who may call each operation: one declarative table, read when routes are declared and by the OpenAPI document.

An entry is a role on the route's tenant (`reader` < `operator` < `administrator` < `owner`, each including the
ones before it), or one of the audiences below for routes outside a tenant. A route without an entry cannot be
declared.
"""

from __future__ import annotations

from enum import StrEnum

from shared.models.access import Role


class Audience(StrEnum):
    ANYONE = "anyone"  # no token: health, the OpenAPI document, Graph's notification webhooks
    SIGNED_IN = "signedIn"  # any valid token; what it answers depends on the caller's roles
    ORGANIZATION_OWNER = "organizationOwner"  # the principals in AUTH_BOOTSTRAP_ADMINS
    SPOT_HOST = "spotHost"  # a VM's managed identity, from a tenant the app serves: its Spot hosts' watchers


Access = Role | Audience

READER, OPERATOR, ADMINISTRATOR, OWNER = Role.READER, Role.OPERATOR, Role.ADMINISTRATOR, Role.OWNER

ACCESS: dict[str, Access] = {
    # the service
    "health": Audience.ANYONE,
    "openApiDocument": Audience.ANYONE,
    "directoryNotifications": Audience.ANYONE,  # Graph calls it; it checks the handshake and clientState
    "directoryLifecycleNotifications": Audience.ANYONE,
    "postScheduledEvents": Audience.SPOT_HOST,  # the VM must then be one of the tenant's Spot hosts
    "unmatchedRoute": Audience.ANYONE,
    "getPortalConfiguration": Audience.ANYONE,  # read before anyone signs in
    "portalFiles": Audience.ANYONE,  # the portal's static files; its API calls carry the user's token
    "apiDocs": Audience.ANYONE,  # what no operation serves: 404 or 405 in the contract's shape
    "listServicePlans": Audience.SIGNED_IN,
    "listRegions": Audience.SIGNED_IN,
    "listLanguages": Audience.SIGNED_IN,
    "getMe": Audience.SIGNED_IN,
    # tenants
    "createTenant": Audience.ORGANIZATION_OWNER,
    "findTenantByDomainName": Audience.ORGANIZATION_OWNER,  # what createTenant is given
    "listTenants": Audience.SIGNED_IN,  # only the caller's tenants
    "getTenant": READER,
    "getTenantSummary": READER,
    "listTenantSummaries": Audience.SIGNED_IN,  # the summaries of the caller's tenants only
    "getRightSizingReport": READER,
    "listUserCosts": READER,
    "listCloudPcUsage": READER,
    "listUserUsage": READER,
    "listDailyUsage": READER,
    "getTenantCosts": READER,
    "exportTenantCosts": READER,
    "getTenantOnboarding": READER,
    "getTenantDelegationTemplate": READER,  # names no secret: the app's own tenant and principal, and the roles
    "listAdminSubscriptions": ADMINISTRATOR,  # with the customer administrator's own token, for the grant
    "grantAzureAccess": ADMINISTRATOR,
    "grantGraphPermissions": ADMINISTRATOR,
    "updateTenant": ADMINISTRATOR,
    "previewReclaimRule": READER,
    "deleteTenant": OWNER,
    # access to a tenant, and its audit log
    "listRoleAssignments": OWNER,
    "createRoleAssignment": OWNER,
    "deleteRoleAssignment": OWNER,
    "listDirectoryPrincipals": OWNER,  # whom to give a role: the organization's people, or the tenant's
    "createRoleInvitation": OWNER,
    "listAuditEvents": ADMINISTRATOR,
    # configuration
    "createSite": ADMINISTRATOR,
    "listSites": READER,
    "getSite": READER,
    "listAzureSubscriptions": READER,
    "listAzureResourceGroups": READER,
    "listSiteSubnets": READER,
    "listSiteImages": READER,
    "listSiteVmSizes": READER,
    "updateSite": ADMINISTRATOR,
    "deleteSite": ADMINISTRATOR,
    "createConnection": ADMINISTRATOR,
    "listConnections": READER,
    "getConnection": READER,
    "updateConnection": ADMINISTRATOR,
    "runHealthChecks": ADMINISTRATOR,
    "deleteConnection": ADMINISTRATOR,
    "listGalleryImages": READER,
    "listMarketplaceImages": READER,
    "createImageSet": ADMINISTRATOR,
    "listImageSets": READER,
    "getImageSet": READER,
    "updateImageSet": ADMINISTRATOR,
    "deleteImageSet": ADMINISTRATOR,
    "createImageSetVersion": ADMINISTRATOR,
    "listImageSetVersions": READER,
    "getImageSetVersion": READER,
    "captureImageSetVersion": ADMINISTRATOR,
    "deleteImageSetVersion": ADMINISTRATOR,
    "createSpotGroup": ADMINISTRATOR,
    "listSpotGroups": READER,
    "getSpotGroup": READER,
    "listSessionHosts": READER,
    "replaceSessionHost": OPERATOR,  # a personal host rebuilt, as its user agreed
    "listSpotGroupUsers": READER,
    "updateSpotGroup": ADMINISTRATOR,
    "listImageUpdates": READER,
    "getImageUpdate": READER,
    "cancelImageUpdate": ADMINISTRATOR,
    "deleteSpotGroup": ADMINISTRATOR,
    # a Spot Group's user sessions: reading who is signed in, and acting on a session as on a Cloud PC
    "listSpotGroupSessions": READER,
    "listSessionHostSessions": READER,
    "sendSessionMessage": OPERATOR,
    "disconnectSession": OPERATOR,
    "logOffSession": OPERATOR,
    "bulkSessionAction": OPERATOR,
    "getSpotGroupSchedule": READER,
    "setSpotGroupSchedule": ADMINISTRATOR,
    "deleteSpotGroupSchedule": ADMINISTRATOR,
    "replaySpotGroupSchedule": ADMINISTRATOR,  # saves nothing, but is the review of setSpotGroupSchedule
    "listSpotGroupEvents": READER,
    "listSpotGroupEvictions": READER,
    "createDeviceImage": ADMINISTRATOR,
    "listDeviceImages": READER,
    "getDeviceImage": READER,
    "deleteDeviceImage": ADMINISTRATOR,
    "createProvisioningPolicy": ADMINISTRATOR,
    "listProvisioningPolicies": READER,
    "getProvisioningPolicy": READER,
    "updateProvisioningPolicy": ADMINISTRATOR,
    "assignProvisioningPolicy": ADMINISTRATOR,
    "deleteProvisioningPolicy": ADMINISTRATOR,
    "createUserSetting": ADMINISTRATOR,
    "listUserSettings": READER,
    "getUserSetting": READER,
    "updateUserSetting": ADMINISTRATOR,
    "assignUserSetting": ADMINISTRATOR,
    "deleteUserSetting": ADMINISTRATOR,
    # configuration as code: the export holds no secret; a plan tries every change, as validateOnly does
    "exportConfiguration": READER,
    "planConfiguration": ADMINISTRATOR,
    "applyConfiguration": ADMINISTRATOR,
    "exportOrganizationConfiguration": Audience.ORGANIZATION_OWNER,  # its alert rules and templates
    "planOrganizationConfiguration": Audience.ORGANIZATION_OWNER,
    "applyOrganizationConfiguration": Audience.ORGANIZATION_OWNER,
    # alerts: rules are configuration; an alert is acknowledged by whoever may act on the Cloud PCs it is about
    "createAlertRule": ADMINISTRATOR,
    "listAlertRules": READER,
    "getAlertRule": READER,
    "updateAlertRule": ADMINISTRATOR,
    "deleteAlertRule": ADMINISTRATOR,
    "listAlerts": READER,
    "getAlert": READER,
    "acknowledgeAlert": OPERATOR,
    # the organization's rules apply to every tenant; the alerts across tenants are those of the caller's tenants
    "createOrganizationAlertRule": Audience.ORGANIZATION_OWNER,
    "listOrganizationAlertRules": Audience.ORGANIZATION_OWNER,
    "getOrganizationAlertRule": Audience.ORGANIZATION_OWNER,
    "updateOrganizationAlertRule": Audience.ORGANIZATION_OWNER,
    "deleteOrganizationAlertRule": Audience.ORGANIZATION_OWNER,
    "listAlertsAcrossTenants": Audience.SIGNED_IN,
    # templates: the organization's owners make and roll them out; a tenant's roles see what applies to it
    "createTemplate": Audience.ORGANIZATION_OWNER,
    "listTemplates": Audience.ORGANIZATION_OWNER,
    "getTemplate": Audience.ORGANIZATION_OWNER,
    "updateTemplate": Audience.ORGANIZATION_OWNER,
    "deleteTemplate": Audience.ORGANIZATION_OWNER,
    "getTemplateVersion": Audience.ORGANIZATION_OWNER,
    "listTemplateApplications": Audience.ORGANIZATION_OWNER,
    "applyTemplate": Audience.ORGANIZATION_OWNER,
    "listTemplateRollouts": Audience.ORGANIZATION_OWNER,
    "getTemplateRollout": Audience.ORGANIZATION_OWNER,
    "listAppliedTemplates": READER,
    "getAppliedTemplate": READER,
    "detachTemplate": ADMINISTRATOR,
    "keepTemplateOverride": ADMINISTRATOR,
    "removeTemplateOverride": ADMINISTRATOR,
    "listTenantCosts": Audience.SIGNED_IN,  # the costs of the caller's tenants only
    # one view over every tenant: the rows of the caller's tenants only; a bulk action across tenants needs the
    # operator role in each tenant it starts in, which each tenant judges for itself
    "listCloudPcsAcrossTenants": Audience.SIGNED_IN,
    "listSessionHostsAcrossTenants": Audience.SIGNED_IN,
    "createBulkActionAcrossTenants": Audience.SIGNED_IN,
    # Cloud PCs
    "listCloudPcs": READER,
    "getCloudPc": READER,
    "listCloudPcEvents": READER,
    "listCloudPcSnapshots": READER,
    "getCloudPcLaunchInfo": READER,
    "getProvisioningExplanation": READER,
    "listDirectoryGroups": READER,
    "getDirectoryGroup": READER,
    "reprovisionCloudPc": OPERATOR,
    "retryCloudPc": OPERATOR,
    "endGracePeriodCloudPc": OPERATOR,
    "rebootCloudPc": OPERATOR,
    "powerOnCloudPc": OPERATOR,
    "powerOffCloudPc": OPERATOR,
    "troubleshootCloudPc": OPERATOR,
    "resizeCloudPc": OPERATOR,
    "renameCloudPc": OPERATOR,
    "restoreCloudPc": OPERATOR,
    "createCloudPcSnapshot": OPERATOR,
    "createBulkAction": OPERATOR,
    "listBulkActions": READER,
    "getBulkAction": READER,
}


def access_of(operation_name: str) -> Access:
    try:
        return ACCESS[operation_name]
    except KeyError:
        raise LookupError(
            f"Operation '{operation_name}' has no entry in triggers/http_access.py ACCESS: say who may call it."
        ) from None


def describe(access: Access) -> str:
    if isinstance(access, Role):
        return f"Needs the {access.value} role (or a higher one) on the tenant."
    return {
        Audience.ANYONE: "Needs no token.",
        Audience.SIGNED_IN: "Needs any valid token.",
        Audience.ORGANIZATION_OWNER: "Needs an organization owner (AUTH_BOOTSTRAP_ADMINS).",
        Audience.SPOT_HOST: "Needs a token of a Spot host's managed identity, from its tenant, for this app's API.",
    }[access]
