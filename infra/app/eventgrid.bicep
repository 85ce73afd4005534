// Event Grid system topic for the storage account. Flex Consumption runs blob triggers only
// with source 'EventGrid', so BlobCreated events must reach the blobs extension webhook. The
// subscriptions themselves need the app's eventgrid_extension system key, which exists only after
// the code is deployed, so scripts/postdeploy.* create them (as the Azure-Samples do). The topic
// has a system-assigned identity, allowed to write only into the dead-letter container: with
// shared keys off, that is how Event Grid dead-letters events it could not deliver.
@description('System topic name.')
param name string

@description('Region of the topic (the storage account\'s region).')
param location string = resourceGroup().location

@description('Tags for the topic.')
param tags object = {}

@description('Resource id of the storage account whose events the topic publishes.')
param storageAccountId string

@description('Name of that storage account (for the dead-letter container).')
param storageAccountName string

@description('Container of that account where undeliverable events are dead-lettered.')
param deadLetterContainerName string

var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetter 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

// Scoped to the dead-letter container alone: the topic never reads or writes anything else.
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetter.id, systemTopic.id, blobDataContributorRoleId)
  scope: storage::blobService::deadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = systemTopic.name
output deadLetterContainerId string = storage::blobService::deadLetter.id
