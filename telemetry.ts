/**
 * Azure Monitor OpenTelemetry, registered before anything else is loaded (so the HTTP server and
 * the Azure SDK are instrumented) when APPLICATIONINSIGHTS_CONNECTION_STRING is set. An exporter
 * that cannot reach Application Insights keeps what it could not send on disk and never holds the
 * app up: the stop gives it three seconds.
 */
import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';

let started = false;

export function startTelemetry(env: NodeJS.ProcessEnv): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return false;
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString },
    // Every trace: the product's own volume is small (a few requests a second at most).
    tracesPerSecond: 0,
    samplingRatio: 1,
    enableLiveMetrics: false,
    instrumentationOptions: { http: { enabled: true }, azureSdk: { enabled: true } },
  });
  started = true;
  return true;
}

/** Flushes what is left, for at most `timeoutMs`; never throws. */
export async function stopTelemetry(timeoutMs = 3_000): Promise<void> {
  if (!started) return;
  started = false;
  await Promise.race([shutdownAzureMonitor().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}
