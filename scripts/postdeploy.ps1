# azd postdeploy hook (Windows): subscribes each Event Grid-sourced blob trigger to the BlobCreated
# (and, for the drop folder, BlobDeleted) events of the container it watches. Same steps as
# postdeploy.sh: the webhook URL carries the app's eventgrid_extension system key, which exists
# only once the deployed code has been indexed.
$ErrorActionPreference = 'Stop'

# Event Grid functions (app.eventGrid('<name>', ...) in src/functions/) and the container
# whose BlobCreated events each receives. test/infra/consistency.test.ts checks these
# names against src/functions/, src/lib/storage/names.ts and postdeploy.sh.
$BlobTriggers = [ordered]@{
  uploadsBlobCreated = 'uploads'
  imagesBlobCreated  = 'images'
}
# The same for BlobDeleted: a blob deleted from the drop folder takes its result along. Never
# uploads: retention deletes upload blobs, and their results expire on their own.
$BlobDeleteTriggers = [ordered]@{
  imagesBlobDeleted = 'images'
}

function Fail([string]$Message) {
  Write-Error "postdeploy: $Message" -ErrorAction Continue
  exit 1
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  Fail 'the Azure CLI (az) is required; install it and run az login.'
}

# azd passes its environment to hooks; load it explicitly when run by hand.
if (-not $env:AZURE_FUNCTION_APP_NAME) {
  foreach ($line in (& azd env get-values)) {
    if ($line -match '^([^=]+)=(.*)$') {
      [Environment]::SetEnvironmentVariable($Matches[1], ($Matches[2] -replace '^"|"$'))
    }
  }
}
$App = $env:AZURE_FUNCTION_APP_NAME
$Rg = $env:AZURE_RESOURCE_GROUP
$Topic = $env:EVENT_GRID_SYSTEM_TOPIC_NAME
# Events Event Grid cannot deliver after its retries land here (the topic's identity writes them).
$DeadLetter = $env:EVENT_GRID_DEAD_LETTER_CONTAINER_ID
if (-not $App -or -not $Rg -or -not $Topic -or -not $DeadLetter) {
  Fail 'AZURE_FUNCTION_APP_NAME, AZURE_RESOURCE_GROUP, EVENT_GRID_SYSTEM_TOPIC_NAME or EVENT_GRID_DEAD_LETTER_CONTAINER_ID is not set; run azd provision first.'
}
$AppUri = if ($env:SERVICE_API_URI) { $env:SERVICE_API_URI } else { "https://$App.azurewebsites.net" }

# The host creates the eventgrid_extension key when it first loads an Event Grid trigger, and on
# a new deployment it cannot load until its role assignments have propagated (up to about 10
# minutes on a fresh subscription): wait up to 15 minutes, then say how to finish.
$Key = ''
for ($attempt = 1; -not $Key; $attempt++) {
  $Key = az functionapp keys list --name $App --resource-group $Rg --query 'systemKeys.eventgrid_extension' --output tsv 2>$null
  if ($Key) { break }
  if ($attempt -ge 60) {
    Fail "no eventgrid_extension system key on $App after 15 minutes. The app and its storage are deployed; only the Event Grid subscriptions (drop folder and uploads) are missing. Once https://$App.azurewebsites.net/api/health answers, run: azd hooks run postdeploy. If it never does, see docs/deploy.md, Troubleshooting."
  }
  Write-Host "postdeploy: waiting for the eventgrid_extension key on $App ($attempt/60)..."
  Start-Sleep -Seconds 15
}

function Subscribe([string]$FunctionName, [string]$Container, [string]$EventType, [string]$Subscription, [string[]]$Filter) {
  $Endpoint = "$AppUri/runtime/webhooks/eventgrid?functionName=$FunctionName&code=$Key"
  # az is a .cmd on Windows; cmd.exe would split the URL at '&' unless it is quoted (as the
  # Azure-Samples post-up.ps1 does).
  if ($IsWindows -or $env:OS -eq 'Windows_NT') { $Endpoint = "`"$Endpoint`"" }
  Write-Host "postdeploy: subscribing $FunctionName to $($EventType -replace '^Microsoft\.Storage\.') in container $Container ($Subscription)"
  # Event Grid validates the webhook on creation; a cold instance may miss the first handshake.
  for ($try = 1; ; $try++) {
    az eventgrid system-topic event-subscription create `
      --name $Subscription `
      --resource-group $Rg `
      --system-topic-name $Topic `
      --endpoint-type webhook `
      --endpoint $Endpoint `
      --included-event-types $EventType `
      --subject-begins-with "/blobServices/default/containers/$Container/" `
      @Filter `
      --deadletter-identity systemassigned `
      --deadletter-identity-endpoint $DeadLetter `
      --output none
    if ($LASTEXITCODE -eq 0) { break }
    if ($try -ge 3) {
      Fail "could not create Event Grid subscription $Subscription (webhook validation by $FunctionName failed). See docs/deploy.md, Troubleshooting."
    }
    Write-Host 'postdeploy: retrying in 20 s...'
    Start-Sleep -Seconds 20
  }
}

foreach ($entry in $BlobTriggers.GetEnumerator()) {
  # A Data Lake CreateFile makes an empty file before its FlushWithClose: only the flush is a blob to classify.
  Subscribe $entry.Key $entry.Value 'Microsoft.Storage.BlobCreated' "blob-created-$($entry.Value)" `
    @('--advanced-filter', 'data.api', 'stringnotin', 'CreateFile')
}
foreach ($entry in $BlobDeleteTriggers.GetEnumerator()) {
  # Every deletion (DeleteBlob, a Data Lake DeleteFile): no filter.
  Subscribe $entry.Key $entry.Value 'Microsoft.Storage.BlobDeleted' "blob-deleted-$($entry.Value)" @()
}

Write-Host 'postdeploy: Event Grid subscriptions are in place:'
az eventgrid system-topic event-subscription list --resource-group $Rg --system-topic-name $Topic `
  --query "[].{name:name, state:provisioningState, events:join(',', filter.includedEventTypes), filter:filter.subjectBeginsWith}" --output table
