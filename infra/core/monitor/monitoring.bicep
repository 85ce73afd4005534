// Log Analytics workspace plus a workspace-based Application Insights resource. Local
// (instrumentation key) auth is off: the app sends telemetry with its managed identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, Monitoring Metrics Publisher role in rbac.bicep).
@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights resource name.')
param applicationInsightsName string

@description('Region of both resources.')
param location string = resourceGroup().location

@description('Tags for both resources.')
param tags object = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    sku: { name: 'PerGB2018' }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
