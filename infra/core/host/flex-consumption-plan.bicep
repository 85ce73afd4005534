// Flex Consumption plan (FC1, Linux only): per-execution billing, scale to zero, no always-ready
// instances unless configured on the app.
@description('Plan name.')
param name string

@description('Region of the plan.')
param location string = resourceGroup().location

@description('Tags for the plan.')
param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

output id string = plan.id
