// The app's own events out (docs/events.md): a custom Event Grid topic in the CloudEvents 1.0
// schema, to which the app publishes ImageClassifier.JobCompleted and, when enabled,
// ImageClassifier.ResultCompleted. Local auth (access keys and SAS) is off: only Microsoft Entra
// identities publish, and the app's identity gets the data-sender role on this topic alone,
// nothing broader. Subscribers (a Logic App, a function, a webhook) are added by the user with
// the tools they know; docs/deploy.md shows one with the Azure CLI.
@description('Topic name.')
param name string

@description('Region of the topic.')
param location string = resourceGroup().location

@description('Tags for the topic.')
param tags object = {}

@description('Principal id of the app\'s user-assigned identity, which publishes.')
param publisherPrincipalId string

var dataSenderRoleId = 'd5a91429-5739-47e2-a06b-3470a27159e7' // EventGrid Data Sender

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource publisherRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, publisherPrincipalId, dataSenderRoleId)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRoleId)
    principalId: publisherPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = topic.name
output id string = topic.id
output endpoint string = topic.properties.endpoint
