// Least-privilege data roles on the storage account for the app's identity, plus telemetry
// publishing on Application Insights. No control-plane roles (Owner, Contributor, Storage
// Account Contributor): the app never manages the account, and with shared keys off it
// could not list keys anyway.
@description('Storage account the roles apply to.')
param storageAccountName string

@description('Application Insights resource the telemetry role applies to.')
param applicationInsightsName string

@description('Principal (object) id of the app\'s user-assigned identity.')
param identityPrincipalId string

@description('Object id of the deploying user; gets the same storage data roles for az --auth-mode login. Empty to skip.')
param userPrincipalId string = ''

// Built-in role definition ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
// Storage Blob Data Owner: the Functions host docs list it for AzureWebJobsStorage and blob
// triggers (it manages the blob-receipt and lease containers). It includes
// Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action, which the
// upload SAS needs (Storage Blob Data Contributor, ba92f5b4-2d11-453d-a403-e96b0029c9fe, has it too).
var blobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var queueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var tableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher

var storageRoleIds = [blobDataOwnerRoleId, queueDataContributorRoleId, tableDataContributorRoleId]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource identityStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, identityPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityTelemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: if (!empty(userPrincipalId)) {
    name: guid(storage.id, userPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
    }
  }
]
