// The Key Vault, in a module of its own so that its name can use a value known only while deploying: the object id
// of the app's identity. Purge protection keeps a deleted vault's name taken for the whole retention period (90 days,
// no purge possible), and `azd down` deletes the identity with the resource group; so after `azd down` the next
// `azd up` makes a new identity, hence a vault of a new name, while every re-provision of a living environment keeps
// the same identity and the same vault.
targetScope = 'resourceGroup'

@description('The environment\'s unique token (main.bicep: uniqueString of subscription, resource group and environment).')
param token string

@description('Object id of the app\'s user-assigned identity; it names this incarnation of the environment.')
param appPrincipalId string

@description('Object id of the deploying user (AZURE_PRINCIPAL_ID); empty: no role for a user.')
param principalId string = ''

param location string
param tags object

// built-in role definitions (Azure RBAC)
var roles = {
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // the app: domain-join secrets and its own keys
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // the deploying user: reads secrets, writes none
}

// 'kv-' + the 13-character token + '-' + 7 characters of the identity's hash: 24, Key Vault's longest name
var vaultName = take('kv-${token}-${uniqueString(appPrincipalId)}', 24)

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // #checkov:skip=CKV_AZURE_189:the app runs without a virtual network, so the vault's public endpoint stays on; access is by Entra RBAC only
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow' // #checkov:skip=CKV_AZURE_109:the app runs without a virtual network; every read is authorized by Entra RBAC
      bypass: 'AzureServices'
    }
  }
}

// role assignments named by a GUID of what they grant to whom on what (idempotent re-deploys)
resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource userSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
