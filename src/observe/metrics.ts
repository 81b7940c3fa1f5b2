import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { NormalizedEvent } from '../core/event.js';
import type { Database } from '../db/database.js';
import { outboxState } from '../db/observe.js';
import type { DrainReport, Outcome } from '../pipeline/executor/executor.js';
import type { PipelineObserver } from '../pipeline/observer.js';
import type { Taken } from '../pipeline/take-delivery.js';

/** Every metric's name starts with this. */
export const PREFIX = 'slack_router_';

/** Ack times in seconds: Slack gives up at 3 s; most acks take a few milliseconds. */
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3];
/** Recording one delivery (one transaction, group-committed). */
const RECORD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A Slack error code (`channel_not_found`) as a label; anything else (a message, a timeout) is `other`. */
const errorLabel = (error: string | undefined) =>
  error !== undefined && /^[a-z0-9_]{1,64}$/.test(error) ? error : 'other';

/** A delivery's outcome as the `outcome` label. */
function deliveryOutcome(taken: Taken): string {
  if (taken.status !== 'ack') return taken.status;
  return taken.recorded === 'none' ? 'no_effects' : taken.recorded;
}

/** Label children bound once per value and kept: the hot path only looks them up. */
function bound<C>(make: (value: string) => C): (value: string) => C {
  const children = new Map<string, C>();
  return (value) => {
    let child = children.get(value);
    if (child === undefined) {
      child = make(value);
      children.set(value, child);
    }
    return child;
  };
}

/** The router's Prometheus metrics, in a registry of their own, and the pipeline hooks that feed them. */
export interface RouterMetrics {
  registry: Registry;
  /** Feeds the metrics from the pipeline: pass it to `createPipeline({ observer })`. */
  observer: PipelineObserver;
  /** A request refused before it was read as a delivery (signature, size, type): by its code. */
  refused(code: string): void;
  /** Reads the outbox (one statement), then renders every metric in the text format. */
  scrape(): Promise<string>;
  contentType: string;
}

/**
 * The metrics of one process, named `slack_router_*` (see README "Metrics and traces"), plus Node's
 * default process metrics. `db`: where the outbox gauges are read at scrape time.
 *
 * @example const metrics = routerMetrics(database.db); createPipeline({ …, observer: metrics.observer });
 */
export function routerMetrics(db: Database, options: { defaults?: boolean } = {}): RouterMetrics {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const deliveries = new Counter({
    name: `${PREFIX}deliveries_total`,
    help: 'Deliveries by kind and outcome: new, duplicate, no_effects, rejected (by the store), unavailable (not acked), refused (by reason)',
    labelNames: ['kind', 'outcome', 'reason'] as const,
    registers,
  });
  const ack = new Histogram({
    name: `${PREFIX}ack_seconds`,
    help: 'From a delivery’s arrival to its ack decision (routing and recording), by kind',
    buckets: ACK_BUCKETS,
    labelNames: ['kind'] as const,
    registers,
  });
  const record = new Histogram({
    name: `${PREFIX}record_seconds`,
    help: 'Recording one delivery and its effects (only deliveries with effects are recorded)',
    buckets: RECORD_BUCKETS,
    registers,
  });
  const effects = new Counter({
    name: `${PREFIX}effects_total`,
    help: 'Effects run, by method and outcome (done, retry, failed) and Slack’s error code',
    labelNames: ['method', 'outcome', 'error'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: `${PREFIX}rate_limited_total`,
    help: 'Slack’s 429 answers by rate-limit lane (post, tier1–4) and method',
    labelNames: ['lane', 'method'] as const,
    registers,
  });
  const drains = new Counter({
    name: `${PREFIX}drains_total`,
    help: 'Drain runs, by result (ok, failed)',
    labelNames: ['result'] as const,
    registers,
  });
  const refreshes = new Counter({
    name: `${PREFIX}token_refreshes_total`,
    help: 'Rotating bot token refreshes, by result (ok, refused)',
    labelNames: ['result'] as const,
    registers,
  });
  const depth = new Gauge({
    name: `${PREFIX}outbox_effects`,
    help: 'Effects in the outbox waiting (pending) or running, read at scrape time',
    labelNames: ['status'] as const,
    registers,
  });
  const oldest = new Gauge({
    name: `${PREFIX}outbox_oldest_pending_seconds`,
    help: 'Age of the delivery of the oldest pending effect (0: none waits), read at scrape time',
    registers,
  });

  // kind → outcome → child: two map look-ups per delivery, no string built.
  const byKind = bound((kind) => bound((outcome) => deliveries.labels(kind, outcome, '')));
  const ackByKind = bound((kind) => ack.labels(kind));
  const byMethod = bound((method) =>
    bound((key) => {
      const [outcome = 'done', error = ''] = key.split(' ');
      return effects.labels(method, outcome, error);
    }),
  );
  const observer: PipelineObserver = {
    delivered(event: NormalizedEvent, taken: Taken, ackMs: number) {
      const outcome = deliveryOutcome(taken);
      if (taken.status === 'rejected') deliveries.labels(event.kind, outcome, 'store_refused').inc();
      else byKind(event.kind)(outcome).inc();
      ackByKind(event.kind).observe(ackMs / 1000);
    },
    recorded(ms: number) {
      record.observe(ms / 1000);
    },
    effects(_event: NormalizedEvent | null, outcomes: readonly Outcome[]) {
      for (const outcome of outcomes) {
        const key = outcome.status === 'failed' ? `failed ${errorLabel(outcome.error)}` : outcome.status;
        byMethod(outcome.effect)(key).inc();
      }
    },
    rateLimited(lane: string, method: string) {
      rateLimited.labels(lane, method).inc();
    },
    drained(report: DrainReport | null) {
      drains.labels(report ? 'ok' : 'failed').inc();
    },
    tokenRefreshed(ok: boolean) {
      refreshes.labels(ok ? 'ok' : 'refused').inc();
    },
  };
  return {
    registry,
    observer,
    refused: (code) => deliveries.labels('request', 'refused', code).inc(),
    async scrape() {
      // The store down must not hide the other metrics: the gauges keep their last values.
      const state = await outboxState(db).catch(() => null);
      if (state) {
        depth.labels('pending').set(state.pending);
        depth.labels('running').set(state.running);
        oldest.set(state.oldestPendingSeconds);
      }
      return registry.metrics();
    },
    contentType: registry.contentType,
  };
}
