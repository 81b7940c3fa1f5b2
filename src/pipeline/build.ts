import type { FetchFunction } from '@slack/web-api';
import type { Config } from '../config/settings.js';
import type { Effect } from '../core/action.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, HandlerContext, Logger } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import { laneOf, parseBudgets } from '../core/rate-limits.js';
import { storedEffectSchema } from '../core/stored-effect.js';
import type { DatabaseHandle, StoreHandle } from '../db/database.js';
import { deleteInstallation } from '../db/installations.js';
import { LaneOrder } from '../db/lane-order.js';
import { LaneClock, type WaitingLane } from '../db/lanes.js';
import { DeliveryRecorder, MAX_WAITING_RECORDS } from '../db/record.js';
import { StreamStore } from '../db/streams.js';
import { SlackClients } from '../slack/client.js';
import { dryRunRunner } from '../slack/dry-run.js';
import { slackRunner } from '../slack/execute.js';
import { botTokens, tokenRefresh } from '../slack/tokens.js';
import { type RunnerTable, runnerFrom } from './effects.js';
import { type DrainReport, Executor, type ExecutorOptions } from './executor/executor.js';
import { EFFECT_MAX_MS, expiryLease, ownedLease } from './executor/lease.js';
import type { PaceTurn } from './executor/types.js';
import type { PipelineObserver } from './observer.js';
import { continueWith } from './steps.js';
import { STREAM_MAX_MS, type StreamRunnerOptions, streamRunner } from './stream/run-stream.js';
import { type Taken, takeDelivery } from './take-delivery.js';
import { runLater, taskRunner } from './tasks.js';

/** What every mount shares: take one delivery, drain leftovers, wait for running effects. */
export interface Pipeline {
  /** Routes, records and decides one delivery; the caller acks, then runs `taken.after()`. */
  take(event: NormalizedEvent, options?: { receivedAt?: number }): Promise<Taken>;
  /** Runs every due effect (retries, a crashed process's leftovers) and prunes old deliveries. */
  drain(): Promise<DrainReport>;
  /** Resolves when the effects started so far have finished. */
  idle(): Promise<void>;
  database: DatabaseHandle;
  /** The `kind:name` routes the app handles. */
  routes(): string[];
  /** Slack's rate-limit lanes whose calls wait now, and until when (for the inspector). */
  waitingLanes(): Promise<WaitingLane[]>;
}

export interface PipelineOptions<T extends AppTypes> {
  app: SlackApp<T, StoreHandle>;
  config: Config;
  /** The app's settings, parsed once by the caller (`app.settings(env)`). */
  settings: T['settings'];
  database: DatabaseHandle;
  logger: Logger;
  /** The Slack clients' fetch: keep-alive on Node, the workerd wrapper on Workers. */
  slackFetch?: FetchFunction;
  executor?: ExecutorOptions;
  /**
   * This process's owner id (a Node process holding its owner lock, `holdOwnerLock`): its leases end
   * when it dies. Unset (Workers, Lambda): leases end by expiry (`EXPIRY_LEASE_MS`).
   */
  owner?: string;
  /** Streamed answers' pacing and limits (tests shorten Slack's expiry). */
  streams?: Pick<StreamRunnerOptions, 'intervalMs' | 'expiryMs' | 'renewMs' | 'timeLimitMs'>;
  /** Metrics and traces (src/observe: `observers(metrics, traces)`); absent: nothing is counted. */
  observer?: PipelineObserver;
}

/** Wires the pipeline: the app's router and look-ups, the recorder, Slack clients and the executor. */
export function createPipeline<T extends AppTypes>(options: PipelineOptions<T>): Pipeline {
  const { app, config, database, logger, observer } = options;
  const botToken = botTokens({
    db: database.db,
    encryptionKey: config.TOKEN_ENCRYPTION_KEY,
    encryptionKeyOld: config.TOKEN_ENCRYPTION_KEY_OLD,
    refresh: tokenRefresh(config, options.slackFetch),
    fallback: config.SLACK_BOT_TOKEN,
    refreshed: observer && ((ok) => observer.tokenRefreshed?.(ok)),
  });
  // Slack's rate limits as lanes: shared through PostgreSQL by every process, in memory with PGlite.
  const budgets = config.SLACK_RATE_LIMITS === 'off' ? null : parseBudgets(config.SLACK_RATE_LIMITS);
  const lanes = new LaneClock(
    database.driver === 'postgres' ? { kind: 'database', raw: database.raw } : { kind: 'memory' },
    logger,
  );
  const slack = slackRunner({
    clients: new SlackClients({ slackApiUrl: config.SLACK_API_URL, fetch: options.slackFetch }),
    botToken,
    onRateLimited: (call, workspace, retryAfterMs) => {
      if (!budgets) return;
      const lane = laneOf(call.method, call.args, workspace, budgets);
      observer?.rateLimited(lane.key.split(':')[1] ?? 'unknown', call.method);
      logger.warn('Slack throttled a lane: its calls wait', {
        method: call.method,
        team: workspace.teamId ?? workspace.enterpriseId,
        channel: 'channel' in call.args ? String(call.args.channel) : undefined,
        retryAfterS: retryAfterMs / 1000,
        lane: lane.key,
      });
      lanes.push(lane, retryAfterMs).catch(() => {});
    },
  });
  // A channel's messages in the order recorded, across processes: decided by the outbox.
  const order = new LaneOrder(database.raw, logger);
  /**
   * How long a Web API call must wait for its lane (its slot taken). A recorded effect (`turn`) in a
   * lane that keeps its order first waits for its turn: `'blocked'` if it did not come in time.
   */
  const pace = async (
    method: string,
    args: object,
    workspace: { teamId: string | null; enterpriseId: string | null; id?: number },
    turn?: PaceTurn,
  ): Promise<number | 'blocked'> => {
    if (!budgets || config.SLACK_DRY_RUN) return 0;
    const lane = laneOf(method, args, workspace, budgets);
    if (lane.ordered && turn && workspace.id !== undefined) {
      if (!(await order.turn(lane.key, { id: workspace.id, ...turn }))) return 'blocked';
    }
    return lanes.reserve(lane);
  };
  // SLACK_DRY_RUN: print each Slack call instead of making it; the effect is recorded as done.
  const slackOrDry = config.SLACK_DRY_RUN ? dryRunRunner(logger) : slack;
  const lease = options.owner ? ownedLease(options.owner) : expiryLease;
  const tasks = app.tasks?.(options.settings) ?? {};
  // An answer may stream for minutes where a live owner holds its lease; under an expiry lease
  // (Workers, Lambda) it must end before the lease could (it is cut short and says so).
  const streamLimitMs = lease.owner ? STREAM_MAX_MS : EFFECT_MAX_MS - 10_000;
  const streams = streamRunner({
    tasks,
    // Each call of a stream waits for its lane, as an effect does.
    slack: async (call, target) => {
      const wait = await pace(call.method, call.args, {
        teamId: target.teamId,
        enterpriseId: target.enterpriseId,
      });
      if (typeof wait === 'number' && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return slackOrDry(call, target);
    },
    store: new StreamStore(database.raw),
    logger,
    timeLimitMs: streamLimitMs,
    ...options.streams,
  });
  const runners: RunnerTable<T['write']> = {
    api: slackOrDry,
    respond: slackOrDry,
    uninstall: async (effect) => {
      await deleteInstallation(database.db, effect);
      botToken.clear(); // its tokens are gone
    },
    store: (effect) => app.writes.apply(database, effect),
    task: taskRunner(tasks),
    later: runLater,
    stream: streams.stream,
    stop_stream: streams.stop_stream,
  };
  const ctx: HandlerContext<T> = {
    lookups: app.lookups(database),
    settings: options.settings,
    now: () => new Date(),
  };
  const steps = continueWith({
    router: app.router,
    ctx,
    store: database,
    lease,
    logger,
    executor: () => executor,
    observer,
  });
  const executor: Executor<Effect<T['write']>> = new Executor(
    database,
    runnerFrom(runners),
    storedEffectSchema(app.writes.schema),
    {
      logger,
      lease,
      steps,
      // Unpaced (`off`, a dry run): no pacing step at all on an effect's way.
      pace:
        budgets && !config.SLACK_DRY_RUN
          ? (effect, target, turn) =>
              effect.type === 'api' ? pace(effect.method, effect.args, target, turn) : Promise.resolve(0)
          : undefined,
      // The executor stops waiting for an answer a minute after its own limit.
      streamTimeoutMs: (options.streams?.timeLimitMs ?? streamLimitMs) + (lease.owner ? 60_000 : 5_000),
      drained: observer && ((outcome) => observer.effects(null, [outcome])),
      ...options.executor,
    },
  );
  const parts = {
    router: app.router,
    ctx,
    recorder: new DeliveryRecorder<Effect<T['write']>>(database.raw, {
      lease,
      deadlineMs: config.RECORD_DEADLINE_MS,
    }),
    executor,
    logger,
    outage: { refused: 0 },
    deadlineMs: config.RECORD_DEADLINE_MS,
    maxPending: MAX_WAITING_RECORDS,
    pending: { n: 0 },
    observer,
  };
  return {
    take: (event, takeOptions) => takeDelivery(parts, event, takeOptions),
    drain: observer
      ? () =>
          parts.executor.drain().then(
            (report) => {
              observer.drained(report);
              return report;
            },
            (cause: unknown) => {
              observer.drained(null);
              throw cause;
            },
          )
      : () => parts.executor.drain(),
    idle: () => parts.executor.idle(),
    database,
    routes: () => app.router.routes(),
    waitingLanes: () => lanes.waiting(),
  };
}
