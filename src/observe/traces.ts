import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  type Link,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { NormalizedEvent } from '../core/event.js';
import type { Outcome } from '../pipeline/executor/executor.js';
import type { PipelineObserver, StepOrigin } from '../pipeline/observer.js';
import type { Taken } from '../pipeline/take-delivery.js';

/** The instrumentation scope spans are reported under. */
export const TRACER_NAME = 'slack-event-router';

/**
 * Delivery rows whose span a later step or drain may link to, kept in memory (the oldest go first).
 * A step follows its effect's end at once and a retry within minutes; a new process starts empty.
 */
const REMEMBERED_ROWS = 2_000;

/** Whether an OpenTelemetry SDK registered a tracer provider (`provider.register()`, `NodeSDK.start()`). */
export function tracingRegistered(): boolean {
  const provider = trace.getTracerProvider();
  // The API's own provider is a proxy: it has a delegate only once an SDK registered one.
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/**
 * What ran an effect, from its name (`effectName`): `task`, `stream`, a framework type, `api` (a
 * Web API method: Slack's all have a dot) or `store` (the app's write op).
 */
export function effectType(name: string): string {
  if (name.startsWith('task ')) return 'task';
  if (name.startsWith('stream ')) return 'stream';
  if (name === 'stop_stream' || name === 'respond' || name === 'uninstall' || name === 'later') return name;
  return name.includes('.') ? 'api' : 'store';
}

/** Where routing and recording of one delivery ended, kept until its span is written. */
interface Timings {
  routedAt: number;
  routeMs: number;
  handler: string | null;
  recordedAt?: number;
  recordMs?: number;
  row?: number | null;
}

/**
 * Spans through `@opentelemetry/api`: `slack.delivery <kind>` per delivery (kind, name, team, dedup
 * outcome, ack ms) with children `slack.route` (the router and the handler) and `slack.record` (the
 * record transaction); `slack.step <name>` per step; per effect run after them a span linked to its
 * delivery's or step's (`slack.effect <name>`, `slack.effect_type`: api, task, stream, …).
 * Spans are written when the work has ended, with its start and end times: nothing is held open.
 * Null when no SDK is registered (checked once, here): the pipeline then calls nothing for traces.
 * Register the SDK before the pipeline is built.
 */
export function routerTraces(tracer: Tracer | null = null): PipelineObserver | null {
  if (!tracer && !tracingRegistered()) return null;
  const spans = tracer ?? trace.getTracer(TRACER_NAME);
  // The delivery's (or step's) span, by the event object the pipeline passes to `effects` after the ack.
  const delivered = new WeakMap<NormalizedEvent, SpanContext>();
  const timings = new WeakMap<NormalizedEvent, Timings>();
  // By delivery row: for a step continuing one of its effects, and for a drain retrying them.
  const rows = new Map<number, SpanContext>();
  // A sampled-out span's context is kept as one shared marker: per delivery, nothing is retained.
  const kept = (context: SpanContext) =>
    (context.traceFlags & TraceFlags.SAMPLED) === 0 ? INVALID_SPAN_CONTEXT : context;
  const remember = (row: number, context: SpanContext) => {
    rows.set(row, kept(context));
    if (rows.size > REMEMBERED_ROWS) rows.delete(rows.keys().next().value ?? row);
  };
  // A delivery its sampler dropped keeps its steps and effects out of traces too.
  const sampledOut = (context: SpanContext | undefined) =>
    context !== undefined && (context.traceFlags & TraceFlags.SAMPLED) === 0;
  const nowMs = () => performance.timeOrigin + performance.now();
  // Attributes are set once a span records (not passed to startSpan, which cleans them twice and
  // even for a span its sampler drops): a sampled-out delivery costs a span id and no more.
  const child = (parent: Context, name: string, end: number, ms: number, attributes: Attributes) => {
    const span = spans.startSpan(name, { startTime: end - ms }, parent);
    span.setAttributes(attributes);
    span.end(end);
  };
  const dedup = (taken: Taken) => (taken.status === 'ack' ? taken.recorded : taken.status);
  const failed = (span: Span, taken: Taken) => {
    if (taken.error) span.setStatus({ code: SpanStatusCode.ERROR, message: taken.error });
  };
  const describe = (event: NormalizedEvent, taken: Taken): Attributes => ({
    'slack.kind': event.kind,
    'slack.name': event.name,
    'slack.team_id': event.teamId ?? '',
    'slack.delivery_id': event.deliveryId,
    'slack.source': event.source,
    'slack.dedup': dedup(taken),
    'slack.handler': taken.status === 'ack' ? (taken.handler ?? 'none') : '',
  });
  return {
    routed(event: NormalizedEvent, ms: number, handler: string | null) {
      timings.set(event, { routedAt: nowMs(), routeMs: ms, handler });
    },
    recorded(ms: number, event: NormalizedEvent, row: number | null) {
      const timing = timings.get(event);
      if (!timing) return;
      timing.recordedAt = nowMs();
      timing.recordMs = ms;
      timing.row = row;
    },
    delivered(event: NormalizedEvent, taken: Taken, ackMs: number) {
      const end = nowMs();
      const timing = timings.get(event);
      // `ackMs` was taken a little before now (the log line between): the children start no earlier.
      const start = end - ackMs;
      const span = spans.startSpan(`slack.delivery ${event.kind}`, {
        kind: SpanKind.SERVER,
        startTime: timing ? Math.min(start, timing.routedAt - timing.routeMs) : start,
      });
      if (timing) timings.delete(event);
      if (span.isRecording()) {
        span.setAttributes(describe(event, taken));
        span.setAttribute('slack.ack_ms', ackMs);
        failed(span, taken);
      }
      if (timing && span.isRecording()) {
        const parent = trace.setSpan(ROOT_CONTEXT, span);
        child(parent, `slack.route ${timing.handler ?? 'none'}`, timing.routedAt, timing.routeMs, {
          'slack.handler': timing.handler ?? 'none',
          'slack.effects': taken.status === 'ack' ? taken.effects.length : 0,
        });
        if (timing.recordedAt !== undefined && timing.recordMs !== undefined)
          child(parent, 'slack.record', timing.recordedAt, timing.recordMs, {
            'slack.dedup': timing.row == null ? 'duplicate' : 'new',
            'slack.delivery_row': timing.row ?? -1,
          });
      }
      span.end(end);
      if (taken.status === 'ack' && taken.recorded === 'new') {
        const context = kept(span.spanContext());
        delivered.set(event, context);
        if (timing?.row != null) remember(timing.row, context);
      }
    },
    stepped(event: NormalizedEvent, from: StepOrigin, taken: Taken, ms: number, row: number | null) {
      const origin = rows.get(from.delivery);
      if (origin && sampledOut(origin)) {
        delivered.set(event, origin);
        if (row !== null) remember(row, origin);
        return;
      }
      const end = nowMs();
      const span = spans.startSpan(`slack.step ${event.name}`, {
        kind: SpanKind.INTERNAL,
        startTime: end - ms,
        links: origin ? [{ context: origin }] : [],
      });
      if (span.isRecording()) {
        span.setAttributes(describe(event, taken));
        span.setAttribute('slack.from_effect_id', from.effect);
        span.setAttribute('slack.from_delivery_row', from.delivery);
        failed(span, taken);
      }
      span.end(end);
      delivered.set(event, span.spanContext());
      if (row !== null) remember(row, span.spanContext());
    },
    effects(event: NormalizedEvent | null, outcomes: readonly Outcome[]) {
      const context = event ? delivered.get(event) : undefined;
      const end = nowMs();
      for (const outcome of outcomes) {
        const linked = context ?? rows.get(outcome.delivery);
        if (sampledOut(linked)) continue;
        const links: Link[] = linked ? [{ context: linked }] : [];
        const span = spans.startSpan(`slack.effect ${outcome.effect}`, {
          kind: SpanKind.CLIENT,
          startTime: end - outcome.ms,
          links,
        });
        if (span.isRecording()) {
          span.setAttributes({
            'slack.effect': outcome.effect,
            'slack.effect_type': effectType(outcome.effect),
            'slack.effect_id': outcome.id,
            'slack.outcome': outcome.status,
            'slack.attempt': outcome.attempts,
            'slack.delivery_row': outcome.delivery,
            'slack.drain': event === null,
          });
          if (outcome.status !== 'done')
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? outcome.status });
        }
        span.end(end);
      }
    },
    rateLimited() {},
    drained() {},
  };
}
