#!/bin/sh
# azd postdeploy hook: subscribes each Event Grid-sourced blob trigger to the BlobCreated (and,
# for the drop folder, BlobDeleted) events of the container it watches. Bicep cannot do this:
# the webhook URL carries the app's eventgrid_extension system key, which exists only once the
# deployed code has been indexed. Re-running it updates the subscriptions in place (create is a PUT).
set -eu

# Event Grid functions (app.eventGrid('<name>', ...) in src/functions/) and the container
# whose BlobCreated events each receives, as <function name>=<container>.
# test/infra/consistency.test.ts checks these names against src/functions/ and src/lib/storage/names.ts.
BLOB_TRIGGERS="uploadsBlobCreated=uploads imagesBlobCreated=images"
# The same for BlobDeleted: a blob deleted from the drop folder takes its result along. Never
# uploads: retention deletes upload blobs, and their results expire on their own.
BLOB_DELETE_TRIGGERS="imagesBlobDeleted=images"

fail() {
  echo "postdeploy: $*" >&2
  exit 1
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required; install it and run az login."

# azd passes its environment to hooks; load it explicitly when run by hand.
if [ -z "${AZURE_FUNCTION_APP_NAME:-}" ]; then
  while IFS='=' read -r key value; do
    value=$(echo "$value" | sed 's/^"//; s/"$//')
    export "$key=$value"
  done <<ENV
$(azd env get-values)
ENV
fi
APP="${AZURE_FUNCTION_APP_NAME:?run azd provision first (AZURE_FUNCTION_APP_NAME is not set)}"
RG="${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set}"
TOPIC="${EVENT_GRID_SYSTEM_TOPIC_NAME:?EVENT_GRID_SYSTEM_TOPIC_NAME is not set}"
# Events Event Grid cannot deliver after its retries land here (the topic's identity writes them).
DEAD_LETTER="${EVENT_GRID_DEAD_LETTER_CONTAINER_ID:?run azd provision again (EVENT_GRID_DEAD_LETTER_CONTAINER_ID is not set)}"
APP_URI="${SERVICE_API_URI:-https://$APP.azurewebsites.net}"

# The host creates the eventgrid_extension key when it first loads an Event Grid trigger, and
# on a new deployment it cannot load until its role assignments have propagated (up to about
# 10 minutes on a fresh subscription). Asking for the key also wakes the app. So wait up to 15
# minutes, and if that is not enough, say how to finish: everything else is deployed already.
KEY=""
attempt=1
while [ -z "$KEY" ]; do
  KEY=$(az functionapp keys list --name "$APP" --resource-group "$RG" \
    --query "systemKeys.eventgrid_extension" --output tsv 2>/dev/null || true)
  [ -n "$KEY" ] && break
  [ "$attempt" -ge 60 ] && fail "no eventgrid_extension system key on $APP after 15 minutes. The app and its storage are deployed; only the Event Grid subscriptions (drop folder and uploads) are missing. Once $APP_URI/api/health answers, run: azd hooks run postdeploy. If it never does, see docs/deploy.md, Troubleshooting."
  echo "postdeploy: waiting for the eventgrid_extension key on $APP ($attempt/60)..."
  attempt=$((attempt + 1))
  sleep 15
done

# subscribe <function> <container> <event type> <subscription name> [advanced filter...]
subscribe() {
  function_name=$1
  container=$2
  event_type=$3
  subscription=$4
  shift 4
  endpoint="$APP_URI/runtime/webhooks/eventgrid?functionName=$function_name&code=$KEY"
  echo "postdeploy: subscribing $function_name to ${event_type#Microsoft.Storage.} in container $container ($subscription)"
  # Event Grid validates the webhook on creation; a cold instance may miss the first handshake.
  try=1
  until az eventgrid system-topic event-subscription create \
    --name "$subscription" \
    --resource-group "$RG" \
    --system-topic-name "$TOPIC" \
    --endpoint-type webhook \
    --endpoint "$endpoint" \
    --included-event-types "$event_type" \
    --subject-begins-with "/blobServices/default/containers/$container/" \
    "$@" \
    --deadletter-identity systemassigned \
    --deadletter-identity-endpoint "$DEAD_LETTER" \
    --output none; do
    [ "$try" -ge 3 ] && fail "could not create Event Grid subscription $subscription (webhook validation by $function_name failed). See docs/deploy.md, Troubleshooting."
    try=$((try + 1))
    echo "postdeploy: retrying in 20 s..."
    sleep 20
  done
}

for pair in $BLOB_TRIGGERS; do
  # A Data Lake CreateFile makes an empty file before its FlushWithClose: only the flush is a blob to classify.
  subscribe "${pair%%=*}" "${pair#*=}" Microsoft.Storage.BlobCreated "blob-created-${pair#*=}" \
    --advanced-filter data.api stringnotin CreateFile
done
for pair in $BLOB_DELETE_TRIGGERS; do
  # Every deletion (DeleteBlob, a Data Lake DeleteFile): no filter.
  subscribe "${pair%%=*}" "${pair#*=}" Microsoft.Storage.BlobDeleted "blob-deleted-${pair#*=}"
done

echo "postdeploy: Event Grid subscriptions are in place:"
az eventgrid system-topic event-subscription list --resource-group "$RG" --system-topic-name "$TOPIC" \
  --query "[].{name:name, state:provisioningState, events:join(',', filter.includedEventTypes), filter:filter.subjectBeginsWith}" --output table
