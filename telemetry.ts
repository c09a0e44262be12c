/**
 * Azure Monitor OpenTelemetry, registered before anything else is loaded (so the HTTP server and
 * the Azure SDK are instrumented) when APPLICATIONINSIGHTS_CONNECTION_STRING is set. An exporter
 * that cannot reach Application Insights keeps what it could not send on disk and never holds the
 * app up: the stop gives it three seconds.
 */
import type { IncomingMessage } from 'node:http';

// The SDK is loaded only when telemetry is on: it costs some 60 MiB and 0.7 s at start otherwise.
type AzureMonitor = typeof import('@azure/monitor-opentelemetry');

/** App Service's health check asks every minute on every instance: no trace for that. */
const HEALTH_PATHS = /^\/(healthz|readyz)(\?|$)/;
// Passed to @opentelemetry/instrumentation-http as it is (Azure Monitor's own type names only `enabled`).
const http = { enabled: true, ignoreIncomingRequestHook: (request: IncomingMessage) => HEALTH_PATHS.test(request.url ?? '') };

let monitor: AzureMonitor | undefined;

export function startTelemetry(env: NodeJS.ProcessEnv): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  monitor = require('@azure/monitor-opentelemetry') as AzureMonitor;
  monitor.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString },
    // Every trace: the product's own volume is small (a few requests a second at most).
    tracesPerSecond: 0,
    samplingRatio: 1,
    enableLiveMetrics: false,
    instrumentationOptions: { http, azureSdk: { enabled: true } },
  });
  return true;
}

/** Flushes what is left, for at most `timeoutMs`; never throws. */
export async function stopTelemetry(timeoutMs = 3_000): Promise<void> {
  if (!monitor) return;
  const { shutdownAzureMonitor } = monitor;
  monitor = undefined;
  await Promise.race([shutdownAzureMonitor().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}
