// A function app on a Flex Consumption plan, running as a user-assigned identity and deploying
// from a blob container that it reads with that identity.
@description('Function app name; also the *.azurewebsites.net host name.')
param name string

@description('Region of the app.')
param location string = resourceGroup().location

@description('Tags for the app (azd finds the service by its azd-service-name tag).')
param tags object = {}

@description('Resource id of the Flex Consumption plan.')
param planId string

@description('Blob container URL the package is deployed to.')
param deploymentContainerUrl string

@description('Resource id of the user-assigned identity.')
param identityId string

@allowed(['node'])
@description('Language runtime.')
param runtimeName string

@description('Runtime version.')
param runtimeVersion string

@description('Instance memory in MB.')
param instanceMemoryMB int

@description('Maximum number of instances.')
param maximumInstanceCount int

@description('Always-ready instances: [{ name, instanceCount }] ("http", "blob", "durable" or "function:<name>").')
param alwaysReady array = []

@description('Origins other than the app itself whose pages may call its HTTP API (App Service CORS, answered by the platform before the host).')
param corsAllowedOrigins array = []

@description('App settings (name to value). Flex Consumption sets FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION itself; do not pass them.')
param appSettings object

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
