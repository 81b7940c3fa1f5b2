/**
 * `npm run deliveries -- list|show|tail|replay|retry|save`: the delivery inspector in a terminal,
 * against DATABASE_URL (an operator can read production PostgreSQL from a laptop). Redacted always.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { linkApp } from '../src/app/index.js';
import { requireKeys } from '../src/config/settings.js';
import { chainLines, deliveryChain, stepOrigin } from '../src/db/chain.js';
import {
  type DeliveryRow,
  effectsChangedSince,
  getDelivery,
  listDeliveries,
  retryEffect,
  retryFailedSince,
} from '../src/db/inspect.js';
import { openDatabase } from '../src/db/open.js';
import { deliveryLine, effectLine } from '../src/inspector/lines.js';
import { observe } from '../src/inspector/observe.js';
import { dryRunner, rawPayload, replayEvent } from '../src/inspector/replay.js';
import { Ring } from '../src/inspector/ring.js';
import { parseSince } from '../src/inspector/since.js';
import { createLogger } from '../src/log/logger.js';
import { redactValue } from '../src/log/redact.js';
import { createPipeline } from '../src/pipeline/build.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

const USAGE = `usage: npm run deliveries -- <command>
  list [--failed | --pending] [--team T…] [--kind K] [--since 1h] [--limit 50]
  show <id>                       one delivery: its event (redacted), actions and effects
  tail                            new deliveries and effect outcomes, one line each (Ctrl-C stops)
  replay <id> [--dry-run]         the stored event through today's handlers, as a new delivery
  retry <effect-id> | retry --failed [--since 1h]
  save <id> <name>                the delivery as test/fixtures/slack/<name>.json (redacted)`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    failed: { type: 'boolean' },
    pending: { type: 'boolean' },
    team: { type: 'string' },
    kind: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
});

const since = (): Date | undefined => {
  if (!flags.since) return undefined;
  const ms = parseSince(flags.since);
  if (ms === null)
    throw new StartupError(`--since takes a duration such as 30m, 1h or 2d (got "${flags.since}")`);
  return new Date(Date.now() - ms);
};
const idOf = (text: string | undefined, what: string): number => {
  const id = Number.parseInt((text ?? '').replace(/^#/, ''), 10);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new StartupError(`${what} is a number such as 12 (got "${text ?? ''}"). ${USAGE}`);
  return id;
};
const storedEvent = (row: DeliveryRow): Record<string, unknown> => {
  if (typeof row.event !== 'object' || row.event === null) {
    throw new StartupError(
      `delivery #${row.id} has no stored event (DELIVERY_PAYLOADS was off): replay it from the page of the process that took it`,
    );
  }
  return Object.fromEntries(Object.entries(row.event));
};

runMain(async () => {
  const [command, first, second] = positionals;
  const commands = ['list', 'show', 'tail', 'replay', 'retry', 'save'];
  if (!command || !commands.includes(command)) throw new StartupError(USAGE);
  const config = nodeConfig();
  const database = await openDatabase(config.DATABASE_URL, {
    migrate: !config.DATABASE_URL?.startsWith('postgres'),
    max: 2,
  });
  const { db } = database;
  const find = async (text: string | undefined) => {
    const row = await getDelivery(db, { id: idOf(text, 'the delivery id') });
    if (!row)
      throw new StartupError(
        `no delivery #${text} (pruned, or never recorded: only deliveries with effects are)`,
      );
    return row;
  };
  try {
    switch (command) {
      case 'list': {
        const status = flags.failed ? 'failed' : flags.pending ? 'pending' : undefined;
        const limit = flags.limit ? idOf(flags.limit, '--limit') : 50;
        const found = await listDeliveries(db, {
          status,
          team: flags.team,
          kind: flags.kind,
          since: since(),
          limit,
        });
        if (found.length === 0) console.log('no deliveries match');
        for (const row of found) console.log(deliveryLine(row));
        break;
      }
      case 'show': {
        const row = await find(first);
        console.log(deliveryLine(row));
        console.log(`key: ${row.dedup_key}  source: ${row.source ?? '?'}  user: ${row.user_id ?? '-'}`);
        const origin = await stepOrigin(db, row.dedup_key);
        if (origin)
          console.log(
            `step of delivery ${origin.id} (${origin.kind} ${origin.name ?? ''}), effect #${origin.position}`,
          );
        for (const effect of row.effects) {
          console.log(effectLine({ ...effect, dedup_key: row.dedup_key }));
          console.log(`    ${JSON.stringify(redactValue(effect.action))}`);
        }
        const chain = await deliveryChain(db, row.id);
        if (chain?.effects.some((effect) => effect.step)) {
          console.log('conversation:');
          for (const line of chainLines(chain, '  ')) console.log(line);
        }
        console.log(
          row.event ? JSON.stringify(row.event, null, 2) : '(event not stored: DELIVERY_PAYLOADS is off)',
        );
        break;
      }
      case 'tail': {
        let lastId = (await listDeliveries(db, { limit: 1 }))[0]?.id ?? 0;
        let changed = new Date();
        console.log(`following ${database.where} (Ctrl-C stops)`);
        for (;;) {
          for (const row of await listDeliveries(db, { afterId: lastId, limit: 200 })) {
            console.log(deliveryLine(row));
            lastId = row.id;
          }
          for (const row of await effectsChangedSince(db, changed)) {
            console.log(effectLine(row));
            changed = row.updated_at;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
      case 'replay': {
        const row = await find(first);
        const logger = createLogger(config.LOG_LEVEL);
        const app = linkApp(logger);
        const settings = app.settings(process.env);
        const pipeline = observe(createPipeline({ app, settings, config, database, logger }), new Ring(10), {
          payloads: true,
          logger,
        });
        const event = await replayEvent(pipeline, null, row.dedup_key, storedEvent(row));
        if (flags['dry-run']) {
          const routed = await dryRunner(app, settings, database)(event);
          console.log(
            `dry run of #${row.id} as ${event.deliveryId}: handler ${routed.handler ?? 'none'}; nothing recorded or run`,
          );
          console.log(JSON.stringify(redactValue({ ack: routed.ack, effects: routed.effects }), null, 2));
          break;
        }
        requireKeys(config, ['SLACK_BOT_TOKEN']);
        console.log(`replaying #${row.id} as ${event.deliveryId}: its effects run again`);
        const taken = await pipeline.take(event);
        if (taken.status !== 'ack') throw new StartupError(`the replay was not taken: ${taken.error}`);
        for (const outcome of await taken.after()) {
          console.log(
            `  ${outcome.effect} ${outcome.status}${outcome.error ? ` error=${outcome.error}` : ''}`,
          );
        }
        await pipeline.idle();
        break;
      }
      case 'retry': {
        const now = new Date();
        if (flags.failed) {
          const n = await retryFailedSince(db, since() ?? new Date(0), now);
          console.log(`${n} failed effects are pending again; the next drain of a running process runs them`);
        } else {
          const id = idOf(first, 'the effect id');
          const done = await retryEffect(db, id, now);
          console.log(
            done
              ? `effect ${id} is pending again; the next drain runs it`
              : `effect ${id} is not failed: nothing to retry`,
          );
          if (!done) process.exitCode = 1;
        }
        break;
      }
      case 'save': {
        const row = await find(first);
        if (!second || !/^[a-z0-9_]+$/.test(second))
          throw new StartupError(
            `a fixture name is lower_snake_case, such as event_app_mention_bug (got "${second ?? ''}")`,
          );
        const path = `test/fixtures/slack/${second}.json`;
        if (existsSync(path)) throw new StartupError(`${path} exists already: pick another name`);
        mkdirSync('test/fixtures/slack', { recursive: true });
        writeFileSync(path, `${JSON.stringify(redactValue(rawPayload(storedEvent(row))), null, 2)}\n`);
        console.log(`wrote ${path} (redacted); load it in a test with fixture('${second}')`);
        break;
      }
    }
  } finally {
    await database.close();
  }
});
