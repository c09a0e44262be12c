/**
 * What Application Insights gets, through an in-memory OpenTelemetry SDK standing in for Azure
 * Monitor's: a span per ingest, the counter of leads received, the gauge of the oldest message
 * waiting, failures on their spans, and log lines that carry their trace id.
 */
import { Writable } from 'node:stream';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../services/logger';
import { traced } from '../../services/telemetry';
import { referral } from '../fixtures/referrals';
import { HOUR, worldsOnOneStorage } from '../support/world';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

const world = worldsOnOneStorage();

/** A metric's data points, as last collected. */
async function points(name: string) {
  await reader.forceFlush();
  const metric = metricExporter
    .getMetrics()
    .at(-1)
    ?.scopeMetrics.flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return metric?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })) ?? [];
}

describe('telemetry', () => {
  it('traces each ingest, and counts the leads it stored (a duplicate is not a new lead)', async () => {
    const w = await world();
    const [first, second] = [referral(), referral()];
    await w.app.ingest([first, second]);
    await w.app.ingest([first]);
    await w.settle();

    const ingests = spans.getFinishedSpans().filter((s) => s.name === 'leads.ingest');
    expect(ingests.map((s) => s.attributes['leads.count'])).toEqual([2, 1]);
    expect(await points('leads.received')).toEqual([{ attributes: { source: 'api' }, value: 2 }]);
  });

  it('says how long the oldest message due to Teams has waited', async () => {
    const w = await world({ connected: false });
    await w.app.ingest([referral()]);
    await w.settle();
    w.app.start();
    try {
      w.clock.advance(2 * HOUR);
      const oldest = (await points('outbox.oldestWaitingSeconds')).at(-1)?.value as number;
      expect(oldest).toBeGreaterThanOrEqual(2 * 3600);
    } finally {
      await w.app.stop();
    }
  });

  it('puts the trace and span ids on every log line written inside a span', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', {
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    });
    let ids = { traceId: '', spanId: '' };
    await traced('work', {}, async () => {
      ids = trace.getActiveSpan()!.spanContext();
      log.info('inside');
    });
    log.info('outside');

    expect(lines.map((l) => [l.msg, l.trace_id, l.span_id])).toEqual([
      ['inside', ids.traceId, ids.spanId],
      ['outside', undefined, undefined],
    ]);
  });

  it('records a failure on its span, and still throws it', async () => {
    await expect(traced('failing', { what: 'probe' }, async () => Promise.reject(new Error('storage down')))).rejects.toThrow('storage down');
    const failed = spans.getFinishedSpans().find((s) => s.name === 'failing');
    expect(failed?.status).toMatchObject({ code: 2, message: 'storage down' });
    expect(failed?.events.map((e) => e.name)).toEqual(['exception']);
  });
});
