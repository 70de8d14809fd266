// The service in one resource group: a Flex Consumption Function App running as a user-assigned identity, with
// identity-only storage, Key Vault (RBAC, vault.bicep), Log Analytics and Application Insights (Entra auth only), and
// either Azure Storage or the Durable Task Scheduler as the Durable backend. Plain resources: no registry modules.
// Flex Consumption refuses or ignores a list of site properties and app settings (tests/unit/test_infra_template.py
// keeps Microsoft's list): runtime, scale and deployment live in functionAppConfig, not in siteConfig or settings.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('azd environment name; names every resource (with a token unique to the subscription and group).')
param environmentName string

@description('Where everything goes.')
param location string = resourceGroup().location

@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
@description('Durable backend: azureStorage (in the app\'s storage account, up to 16 control-queue partitions) or durableTaskScheduler (a managed scheduler, for higher orchestration throughput).')
param durableBackend string = 'azureStorage'

@allowed([
  'Consumption'
  'Dedicated'
])
@description('Durable Task Scheduler SKU (durableTaskScheduler only): Consumption (preview, billed per action, up to 500 actions a second) or Dedicated (billed per capacity unit, 2,000 actions a second each).')
param schedulerSku string = 'Consumption'

@minValue(1)
@maxValue(3)
@description('Capacity units of a Dedicated scheduler (1 to 3; 3 for high availability); ignored by Consumption.')
param schedulerCapacity int = 1

@allowed([
  'LRS'
  'ZRS'
])
@description('Storage redundancy: LRS, or ZRS only in a region with availability zones (ZRS is refused elsewhere).')
param storageRedundancy string = 'LRS'

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID): read access to tables, queues, secrets and the scheduler\'s dashboard. Empty: no user role.')
param principalId string = ''

@description('Audiences a caller\'s token must name: the API app registration\'s client id, as Entra v2.0 tokens carry it.')
param authAudience string

@description('Issuers trusted: https://login.microsoftonline.com/<your tenant id>/v2.0.')
param authIssuers string

@description('Object ids of the first organization owners (comma-separated).')
param authBootstrapAdmins string

@description('Client id of the multi-tenant app registration the app acts as in customer tenants.')
param appClientId string

@description('The portal\'s app registration (an SPA platform); empty: the same as appClientId.')
param portalClientId string = ''

@description('Maximum instances of the Flex Consumption app.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
}
var appName = 'func-${environmentName}-${token}'
var storageName = toLower(take('st${replace(environmentName, '-', '')}${token}', 24))
var deploymentContainer = 'app-package-${take(token, 8)}'
var useScheduler = durableBackend == 'durableTaskScheduler'
var grantUser = !empty(principalId)

// built-in role definitions (Azure RBAC), least privilege for what the app does with each resource (the vault's
// roles are in vault.bicep)
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // host: leases, deployment package
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // triggers and Durable control queues
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // the app's tables and Durable history
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // telemetry with Entra auth
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402' // the Durable Task Scheduler's task hub
}
// the deploying user's roles (principalId): reading what the app stores, and the scheduler's dashboard, which needs
// Durable Task Data Contributor (Microsoft's dashboard page); the user's Key Vault Secrets User is in vault.bicep
var userRoles = {
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  durableTaskDataContributor: roles.durableTaskDataContributor
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${environmentName}-${token}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${environmentName}-${token}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${environmentName}-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true // telemetry only with the identity's Entra token
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // #checkov:skip=CKV_AZURE_59:Flex Consumption without a virtual network reaches its storage over the public endpoint; shared keys are off, so every request needs the identity's Entra token
  // #checkov:skip=CKV_AZURE_206:replicated within the region only (LRS, or ZRS where the deployer says it has zones: storageRedundancy); orchestration state has no use in another region without a second deployment there
  // #checkov:skip=CKV_AZURE_43:the name is computed while deploying (storageName: 'st', the environment name without hyphens and the token, lower-cased, at most 24 characters), which the check cannot evaluate
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_${storageRedundancy}'
  }
  properties: {
    allowSharedKeyAccess: false // identity only: no account key can be used
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow' // #checkov:skip=CKV_AZURE_35:Flex Consumption without a virtual network reaches storage over public endpoints; access is by Entra identity only (shared keys are off)
      bypass: 'AzureServices'
    }
  }

  resource blobs 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource packages 'containers' = {
      name: deploymentContainer
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queues 'queueServices' = {
    name: 'default'
    properties: {}
  }
}

module vault 'vault.bicep' = {
  name: 'vault-${token}'
  params: {
    token: token
    appPrincipalId: identity.properties.principalId
    principalId: principalId
    location: location
    tags: tags
  }
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = if (useScheduler) {
  name: 'dts-${environmentName}-${token}'
  location: location
  tags: tags
  properties: {
    sku: (schedulerSku == 'Dedicated') ? {
      name: 'Dedicated'
      capacity: schedulerCapacity
    } : {
      name: 'Consumption'
    }
    ipAllowlist: [
      '0.0.0.0/0' // the app has no fixed outbound address on Flex Consumption; calls need the identity's token
    ]
  }

  resource hub 'taskHubs' = {
    name: 'CloudPcProvisioning'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // #checkov:skip=CKV_AZURE_225:Flex Consumption zone redundancy needs a region with zones and then at least two always-ready instances for each group that has any; this template keeps one for durable, so zone redundancy is a per-region, per-cost choice
  name: 'plan-${environmentName}-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var hostStorage = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
}
var appSettings = {
  AZURE_CLIENT_ID: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  ARM_ENDPOINT: environment().resourceManager
  GRAPH_ENDPOINT: 'https://graph.microsoft.com'
  KEY_VAULT_URL: vault.outputs.uri
  APP_CLIENT_ID: appClientId
  NOTIFICATION_URL: 'https://${appName}.azurewebsites.net/api/directoryNotifications'
  AUTH_AUDIENCE: authAudience
  AUTH_ISSUERS: authIssuers
  AUTH_BOOTSTRAP_ADMINS: authBootstrapAdmins
  PORTAL_CLIENT_ID: empty(portalClientId) ? appClientId : portalClientId
  PORTAL_URL: 'https://${appName}.azurewebsites.net/api/portal/'
  CLOUDPC_GRACE_PERIOD: 'P7D'
  CLOUDPC_CLEANUP_DELAY: 'PT3H'
  PROVISIONING_MAX_ATTEMPTS: '3'
  DIRECTORY_EVENTS_QUEUE: 'directory-events'
  BULK_ACTIONS_QUEUE: 'bulk-actions'
  TEMPLATE_ROLLOUTS_QUEUE: 'template-rollouts'
  DIRECTORY_SUBSCRIPTIONS_QUEUE: 'directory-subscriptions'
  ALERT_EVALUATIONS_QUEUE: 'alert-evaluations'
  TIMER_WORK_QUEUE: 'timer-work'
  ALERT_DELIVERIES_QUEUE: 'alert-deliveries'
  // the Python worker exports its own OpenTelemetry to Application Insights (host.json telemetryMode OpenTelemetry)
  PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
}
// the Scheduler replaces the host.json storage provider through the host's own override settings
var schedulerSettings = {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${useScheduler ? scheduler.properties.endpoint : ''};Authentication=ManagedIdentity;ClientID=${identity.properties.clientId}'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // #checkov:skip=CKV_AZURE_222:the API and the portal are public by design; every call needs an Entra ID token (AUTH_AUDIENCE, AUTH_ISSUERS)
  // #checkov:skip=CKV_AZURE_17:callers authenticate with Entra bearer tokens, not client certificates
  // #checkov:skip=CKV_AZURE_212:Flex Consumption has no worker count (siteConfig.numberOfWorkers): it scales by demand, with one always-ready instance for the durable group (functionAppConfig)
  // #checkov:skip=CKV_AZURE_78:Flex Consumption has no FTP or FTPS at all and refuses siteConfig.ftpsState
  name: appName
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      healthCheckPath: '/api/health'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        // Microsoft's advice for Durable Functions on Flex Consumption: one instance always ready for the durable
        // group (orchestrators, activities, entities), so a new orchestration does not wait for a cold start
        alwaysReady: [
          {
            name: 'durable'
            instanceCount: 1
          }
        ]
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }

  resource settings 'config' = {
    // app settings, not a site: the checks below read them as one and do not apply
    // #checkov:skip=CKV_AZURE_66:not a site (app settings); failed request tracing is a site-level setting
    // #checkov:skip=CKV_AZURE_63:not a site (app settings); requests are logged to Application Insights
    // #checkov:skip=CKV_AZURE_222:not a site (app settings)
    // #checkov:skip=CKV_AZURE_80:not a site (app settings); the app is Python, no .NET Framework
    // #checkov:skip=CKV_AZURE_13:not a site (app settings); the app validates Entra tokens itself (shared/cloud/azure/entra_tokens.py)
    // #checkov:skip=CKV_AZURE_88:not a site (app settings); the app keeps no files: its state is in Table Storage
    // #checkov:skip=CKV_AZURE_65:not a site (app settings); detailed errors go to Application Insights, never to callers
    name: 'appsettings'
    properties: union(hostStorage, appSettings, useScheduler ? schedulerSettings : {})
  }
}

// the identity's roles, each named by a GUID derived from what it grants to whom on what (idempotent re-deploys)
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource schedulerContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useScheduler) {
  name: guid(resourceGroup().id, identity.id, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
  }
}

// the deploying user's roles, only when azd gives a principalId (AZURE_PRINCIPAL_ID)
resource userTableReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUser) {
  name: guid(storage.id, principalId, userRoles.storageTableDataReader)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', userRoles.storageTableDataReader)
  }
}

resource userQueueReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUser) {
  name: guid(storage.id, principalId, userRoles.storageQueueDataReader)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', userRoles.storageQueueDataReader)
  }
}

resource userSchedulerDashboard 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useScheduler && grantUser) {
  name: guid(resourceGroup().id, principalId, userRoles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: principalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', userRoles.durableTaskDataContributor)
  }
}

output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = app.name
output API_URL string = 'https://${app.properties.defaultHostName}/api'
output PORTAL_URL string = 'https://${app.properties.defaultHostName}/api/portal/'
output AZURE_KEY_VAULT_URL string = vault.outputs.uri
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output DURABLE_BACKEND string = durableBackend
