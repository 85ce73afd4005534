// The classifier's function app: identity-based settings for host storage and monitoring on
// top of the app settings main.bicep passes in.
@description('Function app name.')
param name string

@description('Region of the app.')
param location string = resourceGroup().location

@description('Tags for the app.')
param tags object = {}

@description('azd service name in azure.yaml; azd deploys to the app carrying this tag.')
param serviceName string = 'api'

@description('Resource id of the Flex Consumption plan.')
param planId string

@description('Storage account used by the host (AzureWebJobsStorage) and by the app.')
param storageAccountName string

@description('Blob container holding deployment packages.')
param deploymentContainerName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Application Insights resource name.')
param applicationInsightsName string

@description('Language runtime.')
param runtimeName string

@description('Runtime version.')
param runtimeVersion string

@description('Instance memory in MB.')
param instanceMemoryMB int

@description('Maximum number of instances.')
param maximumInstanceCount int

@description('Always-ready instances: [{ name, instanceCount }].')
param alwaysReady array = []

@description('App-specific settings, merged with the identity and monitoring settings below.')
param appSettings object = {}

@description('Origins other than the app itself whose pages may call the API.')
param corsAllowedOrigins array = []

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Identity-based host storage: https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
// The app's own clients (src/lib/storage) read the same service URIs and client id, so one
// identity and one set of roles serve both.
var identitySettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: stg.properties.primaryEndpoints.table
  // DefaultAzureCredential / ManagedIdentityCredential pick the user-assigned identity from this.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  // Local auth is off on the component, so telemetry is sent with the identity.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

module app '../core/host/functions-flexconsumption.bicep' = {
  name: '${serviceName}-flex-consumption'
  params: {
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    planId: planId
    deploymentContainerUrl: '${stg.properties.primaryEndpoints.blob}${deploymentContainerName}'
    identityId: identityId
    runtimeName: runtimeName
    runtimeVersion: runtimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
    appSettings: union(appSettings, identitySettings)
    corsAllowedOrigins: corsAllowedOrigins
  }
}

output name string = app.outputs.name
output uri string = app.outputs.uri
