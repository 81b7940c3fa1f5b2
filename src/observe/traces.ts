import {
  type Link,
  ProxyTracerProvider,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { NormalizedEvent } from '../core/event.js';
import type { Outcome } from '../pipeline/executor/executor.js';
import type { PipelineObserver } from '../pipeline/observer.js';
import type { Taken } from '../pipeline/take-delivery.js';

/** The instrumentation scope spans are reported under. */
export const TRACER_NAME = 'slack-event-router';

/** Whether an OpenTelemetry SDK registered a tracer provider (`provider.register()`, `NodeSDK.start()`). */
export function tracingRegistered(): boolean {
  const provider = trace.getTracerProvider();
  // The API's own provider is a proxy: it has a delegate only once an SDK registered one.
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/**
 * Spans through `@opentelemetry/api`: `slack.delivery` per delivery (kind, name, team, dedup outcome,
 * ack ms), and per effect run after it a span linked to its delivery's (`slack.effect <method>`).
 * Spans are written when the work has ended, with its start and end times: nothing is held open.
 * Null when no SDK is registered (checked once, here): the pipeline then calls nothing for traces.
 * Register the SDK before the pipeline is built.
 */
export function routerTraces(tracer: Tracer | null = null): PipelineObserver | null {
  if (!tracer && !tracingRegistered()) return null;
  const spans = tracer ?? trace.getTracer(TRACER_NAME);
  // The delivery's span, by the event object the pipeline passes to `effects` after the ack.
  const delivered = new WeakMap<NormalizedEvent, SpanContext>();
  const nowMs = () => performance.timeOrigin + performance.now();
  return {
    delivered(event: NormalizedEvent, taken: Taken, ackMs: number) {
      const end = nowMs();
      const span = spans.startSpan(`slack.delivery ${event.kind}`, {
        kind: SpanKind.SERVER,
        startTime: end - ackMs,
        attributes: {
          'slack.kind': event.kind,
          'slack.name': event.name,
          'slack.team_id': event.teamId ?? '',
          'slack.delivery_id': event.deliveryId,
          'slack.source': event.source,
          'slack.dedup': taken.status === 'ack' ? taken.recorded : taken.status,
          'slack.ack_ms': ackMs,
          'slack.handler': taken.status === 'ack' ? (taken.handler ?? 'none') : '',
        },
      });
      if (taken.status !== 'ack') span.setStatus({ code: SpanStatusCode.ERROR, message: taken.error });
      else if (taken.error) span.setStatus({ code: SpanStatusCode.ERROR, message: taken.error });
      span.end(end);
      if (taken.status === 'ack' && taken.recorded === 'new') delivered.set(event, span.spanContext());
    },
    recorded() {},
    effects(event: NormalizedEvent | null, outcomes: readonly Outcome[]) {
      const context = event ? delivered.get(event) : undefined;
      const links: Link[] = context ? [{ context }] : [];
      const end = nowMs();
      for (const outcome of outcomes) {
        const span = spans.startSpan(`slack.effect ${outcome.effect}`, {
          kind: SpanKind.CLIENT,
          startTime: end - outcome.ms,
          links,
          attributes: {
            'slack.effect': outcome.effect,
            'slack.outcome': outcome.status,
            'slack.attempt': outcome.attempts,
            'slack.delivery_row': outcome.delivery,
            'slack.drain': event === null,
          },
        });
        if (outcome.status !== 'done')
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? outcome.status });
        span.end(end);
      }
    },
    rateLimited() {},
    drained() {},
  };
}
