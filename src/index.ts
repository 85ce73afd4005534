/**
 * The app's first entry file (package.json "main": dist/src/{index.js,functions/*.js}; the
 * worker loads matches in globby's order, this one first). With APPLICATIONINSIGHTS_CONNECTION_STRING
 * set it starts OpenTelemetry before any function file loads @azure/functions: the Azure Monitor
 * distro (spans of the Azure SDK's storage calls and of HTTP, standard metrics, logs) and the
 * Functions instrumentation, which hooks @azure/functions as it loads, so that each invocation
 * runs in the host's trace context and its logs are sent from here (the host, told so by the
 * WorkerOpenTelemetryEnabled capability, stops sending them twice). host.json's
 * "telemetryMode": "OpenTelemetry" makes the host send its own part (requests) the same way.
 * src/lib/telemetry/resultTelemetry.ts adds what each image tells. Without the setting nothing
 * here loads: the CLI, the tests and a plain `npm start` pay nothing for it.
 */
if (process.env.APPLICATIONINSIGHTS_CONNECTION_STRING) {
  // Telemetry is never worth the app: an entry file that throws stops the worker loading the
  // function files after it, so a bad connection string or a missing package only warns.
  try {
    startTelemetry();
  } catch (err) {
    console.warn(`OpenTelemetry was not started: ${(err as Error).message}`);
  }
}

function startTelemetry(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when telemetry is on */
  const { useAzureMonitor } =
    require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
  const { AzureFunctionsInstrumentation } =
    require('@azure/functions-opentelemetry-instrumentation') as typeof import('@azure/functions-opentelemetry-instrumentation');
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // In Azure the component refuses keys (DisableLocalAuth): the host and this exporter send with
  // the identity that APPLICATIONINSIGHTS_AUTHENTICATION_STRING names ("ClientId=...;Authorization=AAD").
  const auth = process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '';
  const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(auth)?.[1]?.trim();
  const credential = /(?:^|;)\s*Authorization=AAD\b/i.test(auth)
    ? new ManagedIdentityCredential(clientId ? { clientId } : {})
    : undefined;
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: process.env.APPLICATIONINSIGHTS_CONNECTION_STRING,
      credential,
    },
  });
  // Enabled as it is built, on the providers useAzureMonitor registered globally.
  new AzureFunctionsInstrumentation();
}
