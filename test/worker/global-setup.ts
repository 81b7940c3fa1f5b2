import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { organizations } from '../../src/app/store/schema.js';
import { openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeSlackUrl: string;
    databaseUrl: string;
  }
}

/** Fake servers cannot start inside workerd: the fake Slack and a fresh database are made here, in Node. */
export default async function setup(project: TestProject) {
  const fake = await new FakeSlack().start();
  project.provide('fakeSlackUrl', `http://127.0.0.1:${fake.port}`);

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
    await drop();
  };
}
