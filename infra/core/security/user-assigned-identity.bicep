// The app's one identity: used for host storage, the app's own storage clients, the deployment
// container and Application Insights. A user-assigned identity exists before the app, so its
// role assignments are in place when the host first starts.
@description('Identity name.')
param name string

@description('Region of the identity.')
param location string = resourceGroup().location

@description('Tags for the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
