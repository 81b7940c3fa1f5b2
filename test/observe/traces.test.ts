import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/core/event.js';
import { routerTraces, tracingRegistered } from '../../src/observe/traces.js';
import type { Taken } from '../../src/pipeline/take-delivery.js';

// Spans collected with OpenTelemetry's in-memory exporter (@opentelemetry/sdk-trace 3, the SDK the OTLP exporter 0.301 uses): names, attributes and links.
const event = {
  kind: 'event',
  name: 'app_mention',
  deliveryId: 'Ev0TRACE01',
  teamId: 'T0001ACME',
  source: 'http',
} as unknown as NormalizedEvent; // only the fields spans read
const taken: Taken = {
  status: 'ack',
  body: null,
  handler: 'event:app_mention',
  recorded: 'new',
  effects: [],
  error: null,
  after: async () => [],
};

afterEach(() => trace.disable());

describe('routerTraces', () => {
  it('is null without a registered SDK: the pipeline calls nothing', () => {
    expect(tracingRegistered()).toBe(false);
    expect(routerTraces()).toBeNull();
  });

  it('writes a delivery span and effect spans linked to it', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    trace.setGlobalTracerProvider(provider);
    expect(tracingRegistered()).toBe(true);
    const observer = routerTraces();
    expect(observer).not.toBeNull();
    observer?.delivered(event, taken, 12.5);
    observer?.effects(event, [
      { id: 1, effect: 'chat.postMessage', status: 'done', ms: 40, delivery: 7, attempts: 1 },
    ]);
    const [delivery, effect] = exporter.getFinishedSpans();
    expect(delivery?.name).toBe('slack.delivery event');
    expect(delivery?.attributes).toMatchObject({
      'slack.kind': 'event',
      'slack.team_id': 'T0001ACME',
      'slack.dedup': 'new',
      'slack.ack_ms': 12.5,
    });
    expect(effect?.name).toBe('slack.effect chat.postMessage');
    expect(effect?.attributes).toMatchObject({ 'slack.outcome': 'done', 'slack.attempt': 1 });
    expect(effect?.links.map((l) => l.context.spanId)).toEqual([delivery?.spanContext().spanId]);
  });
});
