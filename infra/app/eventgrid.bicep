// Event Grid system topic for the storage account. Flex Consumption runs blob triggers only
// with source 'EventGrid', so BlobCreated events must reach the blobs extension webhook. The
// subscriptions themselves need the app's eventgrid_extension system key, which exists only after
// the code is deployed, so scripts/postdeploy.* create them (as the Azure-Samples do).
@description('System topic name.')
param name string

@description('Region of the topic (the storage account\'s region).')
param location string = resourceGroup().location

@description('Tags for the topic.')
param tags object = {}

@description('Resource id of the storage account whose events the topic publishes.')
param storageAccountId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = systemTopic.name
