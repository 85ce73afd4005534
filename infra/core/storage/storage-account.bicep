// Storage account with shared keys off: every client (host, app code, deployment, Event Grid
// delivery aside) authenticates with Microsoft Entra ID, and upload SAS tokens are user
// delegation SAS signed with a key obtained by the app's identity.
@description('Storage account name (3-24 lowercase letters and digits).')
param name string

@description('Region of the account.')
param location string = resourceGroup().location

@description('Tags for the account.')
param tags object = {}

@description('Blob container names to create.')
param containers array = []

@description('Queue names to create.')
param queues array = []

@description('Table names to create.')
param tables array = []

@description('Blob service CORS rules (Microsoft.Storage/storageAccounts/blobServices corsRules).')
param corsRules array = []

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // No account keys: identity-based AzureWebJobsStorage__* settings and user delegation SAS only.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      cors: { corsRules: corsRules }
    }
    resource container 'containers' = [
      for containerName in containers: {
        name: containerName
        properties: { publicAccess: 'None' }
      }
    ]
  }

  resource queueServices 'queueServices' = {
    name: 'default'
    resource queue 'queues' = [
      for queueName in queues: {
        name: queueName
      }
    ]
  }

  resource tableServices 'tableServices' = {
    name: 'default'
    resource table 'tables' = [
      for tableName in tables: {
        name: tableName
      }
    ]
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
