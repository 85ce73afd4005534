// The whole Azure deployment of the image classifier (`azd up`): one resource group holding a
// Flex Consumption function app, its storage account, a user-assigned identity, monitoring and
// the Event Grid system topic that feeds the blob triggers. Layout follows the Azure-Samples azd
// Functions quickstarts (functions-quickstart-typescript-azd, functions-e2e-blob-pdf-to-text).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the resource token that makes every resource name unique.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user running azd (AZURE_PRINCIPAL_ID); gets data roles on the storage account for az --auth-mode login. Empty to skip.')
param principalId string = ''

@description('Model manifest id under models/ (CLASSIFIER_MODEL); the prepackage hook puts its weights into the package.')
param classifierModel string = 'mobilenetv2-12-int8'

// Flex Consumption refuses a maximum below 40 (its documented lowest value outside a few
// preview regions; the Azure-Samples Flex templates pin the same bounds).
@minValue(40)
@maxValue(1000)
@description('Upper bound of instances the app scales out to (40 to 1000, per function group); caps cost and the load on storage.')
param maximumInstanceCount int = 40

// A cold instance pays the model load (about a second) before its first result; always-ready
// instances are billed while idle. Example: [{ name: 'function:classifyQueued', instanceCount: 1 }]
// keeps one queue worker warm ('http' is the group of the HTTP functions; see docs/deploy.md).
@description('Always-ready instances, as Flex Consumption names them: [{ name, instanceCount }]. Empty: none (scale from zero).')
param alwaysReady array = []

// 2048 MB (about 1 vCPU): onnxruntime-node keeps the model session and its native arena in
// memory, and sharp/libvips decodes up to 50-megapixel images (CONTRACT.md) into raw RGB
// buffers of ~150 MB each, several at a time per instance. 512 MB would run out of memory
// on large images and gives only 0.25 vCPU to inference.
@allowed([512, 2048, 4096])
@description('Memory of each Flex Consumption instance in MB; CPU is allotted in proportion.')
param instanceMemoryMB int = 2048

@description('Extra origins allowed to PUT to the uploads container and to call POST /api/uploads (for example http://localhost:7071 when a local page uses this account).')
param additionalUploadOrigins array = []

@description('Send one ImageClassifier.ResultCompleted event per finished result to the events topic (and webhook), besides one JobCompleted per job.')
param perResultEvents bool = false

@description('A Standard Webhooks endpoint that also receives the events (docs/events.md); empty for none.')
param eventsWebhookUrl string = ''

@secure()
@description('Its secret: whsec_ and base64 of 24 to 64 random bytes. Required with eventsWebhookUrl.')
param eventsWebhookSecret string = ''

@description('Function app name; empty for func-<token>.')
param functionAppName string = ''

@description('Storage account name; empty for st<token>.')
param storageAccountName string = ''

@description('Resource group name; empty for rg-<environmentName>.')
param resourceGroupName string = ''

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}${resourceToken}'
// Flex Consumption deploys from a blob container (functionAppConfig.deployment.storage).
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(resourceToken, 7)}'
// The storage CORS rule needs the app's origin before the app exists, so it is derived from
// the name (the default *.azurewebsites.net host) instead of read from the site resource.
var appOrigin = 'https://${appName}.azurewebsites.net'
var uploadOrigins = concat([appOrigin], additionalUploadOrigins)

// Public storage names (CONTRACT.md "Storage", src/lib/storage/names.ts); test/infra checks they match.
var blobContainerNames = ['images', 'uploads', 'results', 'eventgrid-deadletter']
var queueNames = ['classify', 'classify-poison', 'jobs', 'jobs-poison', 'events', 'events-poison']
var tableNames = ['results', 'jobs', 'content', 'search']

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'core/security/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containers: concat(blobContainerNames, [deploymentContainerName])
    queues: queueNames
    tables: tableNames
    // The upload page PUTs straight to Blob Storage with a user delegation SAS (POST /api/uploads).
    corsRules: [
      {
        allowedOrigins: uploadOrigins
        allowedMethods: ['PUT', 'OPTIONS']
        allowedHeaders: ['x-ms-blob-type', 'content-type', 'x-ms-*']
        exposedHeaders: ['x-ms-*', 'etag']
        maxAgeInSeconds: 3600
      }
    ]
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    location: location
    tags: tags
    planId: plan.outputs.id
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    runtimeName: 'node'
    runtimeVersion: '22'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
    // A page served from another origin PUTs to storage (the storage CORS rule above) and calls
    // POST /api/uploads on the app: the site's own CORS must allow it too. The app's own page is
    // same-origin and needs neither.
    corsAllowedOrigins: additionalUploadOrigins
    appSettings: {
      CLASSIFIER_MODEL: classifierModel
      // Filled by scripts/prepackage.* at package time; read-only at run time (run from package).
      MODEL_CACHE_DIR: '/home/site/wwwroot/models/cache'
      // Comma-separated; the upload page is served by the app itself (GET /).
      UPLOAD_ALLOWED_ORIGINS: join(uploadOrigins, ',')
      // The contract's defaults, declared so operators find and tune them in one place.
      CLASSIFIER_MAX_BYTES: '20971520'
      CLASSIFIER_MAX_PIXELS: '50000000'
      CLASSIFIER_MAX_DECODE_SECONDS: '30'
      // The host's cap on any request body (default 100 MB): what the largest accepted request
      // needs, a base64 JSON image of CLASSIFIER_MAX_BYTES (src/lib/sync/base64Image.ts,
      // jsonLimitFor; a test keeps them equal). Raise both together.
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '28866425'
      // Micro-batcher: most images per onnxruntime call, and how long an idle session waits
      // to fill one (0: a lone image never waits). Measured by `npm run bench -- batching`.
      CLASSIFIER_MAX_BATCH: '8'
      CLASSIFIER_BATCH_WAIT_MS: '0'
      // Synchronous POST /api/classify calls classifying at once per instance: the rest wait,
      // so a burst of them never fills the decode slots ahead of the queue's work.
      CLASSIFIER_SYNC_CONCURRENCY: '2'
      // A batch takes tens of milliseconds: past this the inference thread is taken for hung,
      // ended and started again, and its batch's messages are retried.
      CLASSIFIER_INFERENCE_TIMEOUT_SECONDS: '60'
      // Memory for loaded models (docs/models.md): half the instance, so one more model's load
      // and the images in flight still fit; past it the least recently used model is unloaded.
      CLASSIFIER_MODELS_MEMORY_MB: string(instanceMemoryMB / 2)
      // Reliability (docs/reliability.md): how long a message waits while the model cannot load,
      // and how many days uploaded images and results are kept before cleanupExpired deletes them.
      MODEL_WAIT_SECONDS: '30'
      RETENTION_DAYS_UPLOADS: '7'
      RETENTION_DAYS_RESULTS: '30'
      // Events out (docs/events.md): the topic the app publishes to with its identity, the
      // links in job events, and an optional webhook.
      CLASSIFIER_EVENTS_TOPIC_ENDPOINT: eventsTopic.outputs.endpoint
      CLASSIFIER_EVENTS_PER_RESULT: perResultEvents ? 'true' : 'false'
      CLASSIFIER_EVENTS_WEBHOOK_URL: eventsWebhookUrl
      CLASSIFIER_EVENTS_WEBHOOK_SECRET: eventsWebhookSecret
      CLASSIFIER_PUBLIC_URL: appOrigin
      // The page function owns '/', so the host's default home page must step aside.
      AzureWebJobsDisableHomepage: 'true'
      // The package's .npmrc (ignore-scripts) already keeps the remote build's npm from running
      // onnxruntime-node's CUDA download; this is the package's own switch, in case a build
      // step ever runs its script anyway (the CPU binaries ship in the npm package).
      ONNXRUNTIME_NODE_INSTALL: 'skip'
      // onnxruntime's own telemetry off (the app sets it too): it reads the machine id and
      // command line and uploads over HTTPS; see src/lib/model/modelSession.ts.
      ORT_DISABLE_TELEMETRY: '1'
    }
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
  }
}

module eventsTopic 'app/events-topic.bicep' = {
  name: 'events-topic'
  scope: rg
  params: {
    name: '${abbrs.eventGridTopics}${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
    storageAccountName: storage.outputs.name
    deadLetterContainerName: 'eventgrid-deadletter'
  }
}

// azd stores these in .azure/<env>/.env; the hook scripts read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name
output EVENT_GRID_DEAD_LETTER_CONTAINER_ID string = eventGrid.outputs.deadLetterContainerId
output EVENTS_TOPIC_NAME string = eventsTopic.outputs.name
output EVENTS_TOPIC_ID string = eventsTopic.outputs.id
output CLASSIFIER_MODEL string = classifierModel
