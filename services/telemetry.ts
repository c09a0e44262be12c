/**
 * What the product tells Azure Monitor: a span per Teams invoke, ingest, Partner Center call and
 * card send, counters of leads received, cards sent and 429s, and gauges of what waits. Through
 * the OpenTelemetry API only: without an SDK registered (no APPLICATIONINSIGHTS_CONNECTION_STRING,
 * tests) every call is a no-op. telemetry.ts beside main.ts registers Azure Monitor's SDK before
 * anything else loads.
 */
import { context, metrics, SpanStatusCode, trace, type Attributes, type Counter } from '@opentelemetry/api';

const NAME = 'partner-leads';

let instruments: { leadsReceived: Counter; cardsSent: Counter; throttled: Counter } | undefined;

/** Made on first use: the meter is the SDK's only once it is registered (at start). */
function counters() {
  if (!instruments) {
    const meter = metrics.getMeter(NAME);
    instruments = {
      leadsReceived: meter.createCounter('leads.received', { description: 'New leads stored, by source (api, partnerCenter)' }),
      cardsSent: meter.createCounter('cards.sent', { description: 'Messages posted or updated in Teams, by kind and operation' }),
      throttled: meter.createCounter('throttled', { description: '429 answers, by service (teams, partnerCenter, graph)' }),
    };
  }
  return instruments;
}

export const count = {
  leadsReceived: (n: number, source: 'api' | 'partnerCenter') => n > 0 && counters().leadsReceived.add(n, { source }),
  cardSent: (kind: string, op: 'post' | 'update') => counters().cardsSent.add(1, { kind, op }),
  throttled: (service: 'teams' | 'partnerCenter' | 'graph') => counters().throttled.add(1, { service }),
};

/** A gauge read when metrics are collected (once a minute); a failed read is left out, never thrown. */
export function gauge(name: string, description: string, read: () => Promise<number | undefined>): void {
  metrics
    .getMeter(NAME)
    .createObservableGauge(name, { description })
    .addCallback(async (result) => {
      const value = await read().catch(() => undefined);
      if (value !== undefined) result.observe(value);
    });
}

/** Runs `work` in a span of its own (a child of the request's span, if any), recording a failure. */
export function traced<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return trace.getTracer(NAME).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message?.slice(0, 200) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The current trace and span ids, for a log line (none outside a span). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  return ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
