import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { FakeProduct } from '../../src/app/fake-product.js';
import { organizations } from '../../src/app/store/schema.js';
import { openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeSlackUrl: string;
    databaseUrl: string;
    oauthSlackUrl: string;
    productApiUrl: string;
  }
}

const WORKERD_INSTALL = {
  ok: true,
  access_token: 'xoxb-workerd-installed',
  token_type: 'bot',
  scope: 'chat:write',
  bot_user_id: 'U0WRKBOT1',
  app_id: 'A0APP0001',
  team: { id: 'T0WORKERD', name: 'Workerd Team' },
  enterprise: null,
  is_enterprise_install: false,
  authed_user: { id: 'U0WRKADM1' },
};

/** Fake servers cannot start inside workerd: the fake Slack and a fresh database are made here, in Node. */
export default async function setup(project: TestProject) {
  const fake = await new FakeSlack().start();
  // test/worker/oauth.test.ts installs with this code on a fake of its own (it cannot be scripted from workerd).
  const oauthFake = await new FakeSlack().start();
  project.provide('oauthSlackUrl', oauthFake.apiUrl);
  oauthFake.on('oauth.v2.access', (call) => ({
    body: call.args.code === 'code-workerd' ? WORKERD_INSTALL : { ok: false, error: 'invalid_code' },
  }));
  project.provide('fakeSlackUrl', `http://127.0.0.1:${fake.port}`);
  // The reference app's product API, for the conversation test (a mention's summary).
  const product = new FakeProduct([{ slug: 'acme', name: 'Acme Corp', summary: 'answered in workerd' }]);
  project.provide('productApiUrl', await product.start());

  const adminUrl = process.env.TEST_DATABASE_URL;
  let drop = async () => {};
  if (adminUrl) {
    const name = `router_worker_${process.pid}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const handle = await openDatabase(url.toString(), { migrate: true, max: 1 });
    await handle.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
    await handle.close();
    project.provide('databaseUrl', url.toString());
    drop = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    project.provide('databaseUrl', '');
  }
  return async () => {
    await fake.stop();
    await oauthFake.stop();
    await product.stop();
    await drop();
  };
}
