/**
 * A second, tiny app built only from the public pieces: one command, one look-up, one store write.
 * It proves an app lives outside the core: nothing here is the reference app's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { ack } from '../../src/core/action.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes, HandlerContext } from '../../src/core/context.js';
import { Router } from '../../src/core/router.js';
import type { StoreHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { createApp } from '../../src/http/app.js';
import { createPipeline } from '../../src/pipeline/build.js';
import { FakeSlack, httpForm, runHandler, SIGNING_SECRET, signedRequest } from '../../src/testing/index.js';
import { fixture } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';

const RememberSchema = z.object({
  type: z.literal('store'),
  op: z.literal('remember'),
  teamId: z.string(),
  note: z.string(),
});

interface Notes extends AppTypes {
  lookups: { notesOf(teamId: string): Promise<number> };
  settings: { prefix: string };
  write: z.infer<typeof RememberSchema>;
}

const router = new Router<Notes>(quiet).on('command', '/remember', async (event, { lookups, settings }) => {
  const count = await lookups.notesOf(event.payload.team_id);
  return [
    ack.message(`${settings.prefix} note ${count + 1}: ${event.payload.text}`),
    { type: 'store', op: 'remember', teamId: event.payload.team_id, note: event.payload.text },
  ];
});

const notesApp = defineApp<Notes, StoreHandle>({
  router,
  settings: (env) => ({ prefix: typeof env.NOTES_PREFIX === 'string' ? env.NOTES_PREFIX : 'Noted' }),
  lookups: ({ raw }) => ({
    async notesOf(teamId) {
      const [row] = await raw('select count(*)::int as n from notes where team_id = $1', [teamId]);
      return z.object({ n: z.coerce.number() }).parse(row).n;
    },
  }),
  writes: {
    schema: RememberSchema,
    apply: async ({ raw }, write) =>
      void (await raw('insert into notes (team_id, note) values ($1, $2)', [write.teamId, write.note])),
  },
});

const remember = {
  ...fixture('command_other'),
  payload: { ...fixture('command_other').payload, command: '/remember', text: 'buy milk' },
};

describe('a second app, from the public pieces only', () => {
  it('runs its handler on a fixture with fake look-ups', async () => {
    const ctx: HandlerContext<Notes> = {
      lookups: { notesOf: async () => 2 },
      settings: { prefix: 'Ok' },
      now: () => new Date(0),
    };
    const routed = await runHandler(router, remember, ctx);
    expect([routed.ack, routed.effects]).toEqual([
      { response_type: 'ephemeral', text: 'Ok note 3: buy milk' },
      [{ type: 'store', op: 'remember', teamId: 'T0001ACME', note: 'buy milk' }],
    ]);
  });

  describe('behind the HTTP mount', () => {
    const fake = new FakeSlack();
    let database: Awaited<ReturnType<typeof openDatabase>>;
    beforeAll(async () => {
      await fake.start();
      database = await openDatabase('memory://');
      await migrate(database);
      await database.raw('create table notes (team_id text not null, note text not null)', []);
    });
    afterAll(async () => {
      await database.close();
      await fake.stop();
    });

    it('acks with its look-up, records its write in the outbox, and applies it after the ack', async () => {
      const config = loadConfig({ SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl });
      const pipeline = createPipeline({
        app: notesApp,
        settings: notesApp.settings({}),
        config,
        database,
        logger: quiet,
      });
      const deferred: Promise<unknown>[] = [];
      const http = createApp({
        services: async () => ({ pipeline: async () => pipeline, signingSecret: SIGNING_SECRET }),
        defer: (_c, work) => void deferred.push(work()),
        logger: quiet,
        version: 'test',
      });
      const send = async () => http.fetch(await signedRequest('http://x/slack/events', httpForm(remember)));
      const first = await send();
      expect([first.status, await first.json()]).toEqual([
        200,
        { response_type: 'ephemeral', text: 'Noted note 1: buy milk' },
      ]);
      await Promise.all(deferred);
      await pipeline.idle();
      expect(await database.raw('select team_id, note from notes', [])).toEqual([
        { team_id: 'T0001ACME', note: 'buy milk' },
      ]);
      // The same delivery again is a duplicate: acked, nothing written twice.
      expect((await send()).status).toBe(200);
      await Promise.all(deferred);
      expect(await database.raw('select count(*)::int as n from notes', [])).toEqual([{ n: 1 }]);
    });
  });
});
