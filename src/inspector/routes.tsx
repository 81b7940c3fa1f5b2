/** @jsxImportSource hono/jsx */
import { type Context, type Env, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { deliveryChain, stepOrigin } from '../db/chain.js';
import { listOutbox, retryEffect, retryFailedSince } from '../db/inspect.js';
import { deliveriesPerMinute, failedEffectsPerMinute } from '../db/observe.js';
import { redactValue } from '../log/redact.js';
import { ChartsPage } from './charts-page.js';
import { DeliveryPage } from './delivery-page.js';
import { notFound, refusal } from './gate.js';
import { Json, Layout } from './layout.js';
import { ListPage, Rows } from './list-page.js';
import { OutboxPage } from './outbox-page.js';
import { ReplayError, rawPayload, replayEvent } from './replay.js';
import { facts, filterOf } from './request.js';
import { parseSince } from './since.js';
import { findDelivery, type Inspector, listItems } from './views.js';

const HOUR_MS = 3_600_000;

/**
 * The delivery inspector's pages, mounted at `base`. `resolve` gives the process's inspector (none:
 * 404). Who may open them: see `refusal`.
 */
export function inspectorRoutes<E extends Env>(
  resolve: (c: Context<E>) => Promise<Inspector | null | undefined>,
  base = '/_inspect',
): Hono<E> {
  const app = new Hono<E>();
  // Generic over the host app's environment, so the inspector found for a request is kept by request.
  const found = new WeakMap<Request, Inspector>();
  const the = (c: Context<E>): Inspector => {
    const inspector = found.get(c.req.raw);
    if (!inspector) throw new Error('the inspector access check did not run');
    return inspector;
  };

  app.use('*', async function inspectorAccess(c, next) {
    const inspector = await resolve(c);
    if (!inspector) return notFound(c);
    const refused = await refusal(c, inspector);
    if (refused) return refused;
    found.set(c.req.raw, inspector);
    await next();
  });

  app.get('/', async (c) => {
    const inspector = the(c);
    const filter = filterOf(c);
    const { items, more } = await listItems(inspector, filter);
    if (c.req.query('rows')) return c.html(<Rows items={items} base={base} />);
    return c.html(
      <ListPage base={base} facts={await facts(inspector)} filter={filter} items={items} more={more} />,
    );
  });

  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const unsubscribe = the(c).ring.subscribe((change) => {
        void stream.writeSSE({
          event: 'change',
          data: JSON.stringify({ type: change.type, ref: `r${change.entry.seq}` }),
        });
      });
      stream.onAbort(unsubscribe);
      while (!stream.aborted) {
        await stream.writeSSE({ event: 'ping', data: '' });
        await stream.sleep(15_000);
      }
      unsubscribe();
    }),
  );

  app.get('/deliveries/:ref', async (c) => {
    const inspector = the(c);
    const found = await findDelivery(inspector, c.req.param('ref'));
    if (!found) return c.html(<p>No such delivery.</p>, 404);
    const { db } = (await inspector.pipeline()).database;
    const chain = found.row ? await deliveryChain(db, found.row.id) : null;
    const origin = found.row ? await stepOrigin(db, found.row.dedup_key) : null;
    return c.html(
      <DeliveryPage
        base={base}
        facts={await facts(inspector)}
        ref={c.req.param('ref')}
        {...found}
        chain={chain}
        origin={origin}
        notice={c.req.query('notice')}
      />,
    );
  });

  app.get('/deliveries/:ref/fixture.json', async (c) => {
    const found = await findDelivery(the(c), c.req.param('ref'));
    const event = found?.entry?.event ?? found?.row?.event;
    if (!event || typeof event !== 'object')
      return c.json({ error: 'not_found', message: 'no stored event' }, 404);
    const fixture = redactValue(rawPayload(Object.fromEntries(Object.entries(event))));
    const name = `${found?.entry?.kind ?? found?.row?.kind}_${found?.entry?.name ?? found?.row?.name ?? 'delivery'}`;
    c.header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]+/g, '_')}.json"`);
    return c.body(`${JSON.stringify(fixture, null, 2)}\n`, 200, { 'content-type': 'application/json' });
  });

  app.post('/deliveries/:ref/replay', async (c) => {
    const inspector = the(c);
    const ref = c.req.param('ref');
    const found = await findDelivery(inspector, ref);
    const event = found?.entry?.event ?? found?.row?.event;
    const key = found?.entry?.key ?? found?.row?.dedup_key;
    if (!event || typeof event !== 'object' || !key) return c.html(<p>Nothing to replay.</p>, 404);
    const form = await c.req.parseBody();
    const pipeline = await inspector.pipeline();
    try {
      const replayed = await replayEvent(
        pipeline,
        inspector.ring,
        key,
        Object.fromEntries(Object.entries(event)),
      );
      if (form.mode === 'dry-run') {
        if (!inspector.dryRun) return c.html(<p>No dry run in this process.</p>, 400);
        const routed = await inspector.dryRun(replayed);
        return c.html(
          <Layout title="Replay dry-run" base={base} facts={await facts(inspector)}>
            <h2>Replay dry-run of {key}</h2>
            <p>
              Handler: {routed.handler ?? 'none'}
              {routed.error ? `; error: ${routed.error.message}` : ''}. Nothing was recorded or run.
            </p>
            <h3>Ack body</h3>
            <Json value={redactValue(routed.ack)} />
            <h3>Actions</h3>
            <Json value={redactValue(routed.effects)} testid="dry-run-actions" />
            <a href={`${base}/deliveries/${ref}`}>Back</a>
          </Layout>,
        );
      }
      const taken = await pipeline.take(replayed);
      if (taken.status !== 'ack') return c.html(<p class="err">Replay not taken: {taken.error}</p>, 503);
      await taken.after();
      await pipeline.idle(); // the ring takes the replay on the next turn
      const entry = inspector.ring.list().find((e) => e.key === replayed.deliveryId);
      const notice = `Replayed as ${replayed.deliveryId}.`;
      return c.redirect(
        `${base}/deliveries/${entry ? `r${entry.seq}` : ref}?notice=${encodeURIComponent(notice)}`,
        303,
      );
    } catch (error) {
      if (error instanceof ReplayError) return c.html(<p class="err">{error.message}</p>, 400);
      throw error;
    }
  });

  app.get('/charts', async (c) => {
    const inspector = the(c);
    const { db } = (await inspector.pipeline()).database;
    const now = new Date();
    const since = new Date(now.getTime() - HOUR_MS);
    const [deliveries, failed] = await Promise.all([
      deliveriesPerMinute(db, since),
      failedEffectsPerMinute(db, since),
    ]);
    return c.html(
      <ChartsPage
        base={base}
        facts={await facts(inspector)}
        now={now}
        deliveries={deliveries}
        acks={inspector.acks?.minutes(since, now) ?? []}
        failed={failed}
      />,
    );
  });

  app.get('/outbox', async (c) => {
    const inspector = the(c);
    const pipeline = await inspector.pipeline();
    const [rows, lanes] = await Promise.all([listOutbox(pipeline.database.db), pipeline.waitingLanes()]);
    return c.html(
      <OutboxPage
        base={base}
        facts={await facts(inspector)}
        rows={rows}
        lanes={lanes}
        notice={c.req.query('notice')}
      />,
    );
  });

  app.post('/outbox/:id/retry', async (c) => {
    const id = Number.parseInt(c.req.param('id'), 10);
    const db = (await the(c).pipeline()).database.db;
    const retried = Number.isFinite(id) && (await retryEffect(db, id, new Date()));
    const notice = retried
      ? `Effect ${id} is pending again; the next drain runs it.`
      : `Effect ${id} is not failed.`;
    return c.redirect(`${base}/outbox?notice=${encodeURIComponent(notice)}`, 303);
  });

  app.post('/outbox/retry-failed', async (c) => {
    const form = await c.req.parseBody();
    const ms = parseSince(String(form.since ?? '1h')) ?? HOUR_MS;
    const db = (await the(c).pipeline()).database.db;
    const n = await retryFailedSince(db, new Date(Date.now() - ms), new Date());
    return c.redirect(
      `${base}/outbox?notice=${encodeURIComponent(`${n} failed effects are pending again.`)}`,
      303,
    );
  });

  return app;
}
