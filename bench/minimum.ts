/**
 * The durable minimum (issue 13): the least a durable router must do for a mention, in plain Node.
 * Signature check, JSON.parse, the channel's organization looked up, dedup key + effect recorded in
 * one statement before the ack, ack, chat.postMessage over keep-alive, effect marked done. Every
 * database step is group-committed: one statement in flight, what arrives meanwhile goes next.
 * Imports nothing from src/ or test/; it uses the project's tables. Env: PORT, DATABASE_URL,
 * SLACK_SIGNING_SECRET, SLACK_API_URL, SLACK_BOT_TOKEN.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import postgres from 'postgres';

const env = (name: string) => process.env[name] ?? '';
// The key made once: a string secret would be copied into a new key for every request.
const secret = createSecretKey(Buffer.from(env('SLACK_SIGNING_SECRET'), 'utf8'));
const postUrl = new URL('chat.postMessage', env('SLACK_API_URL') || 'https://slack.com/api/');
const sql = postgres(env('DATABASE_URL'), { max: 3, onnotice: () => {} });
// Built once (the project builds each method's request options once too): no URL parsed per post.
const postOptions: http.RequestOptions = {
  method: 'POST',
  host: postUrl.hostname,
  port: postUrl.port,
  path: postUrl.pathname,
  agent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  headers: {
    'content-type': 'application/json; charset=utf-8',
    authorization: `Bearer ${env('SLACK_BOT_TOKEN')}`,
  },
};

type Waiter<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/** Group commit: `run` gets every item queued while the previous batch ran; one batch in flight. */
function batched<T, R>(run: (items: T[]) => Promise<R[]>): (item: T) => Promise<R> {
  let queue: Waiter<T, R>[] = [];
  let busy = false;
  const flush = async () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue;
    queue = [];
    try {
      const results = await run(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
    busy = false;
    void flush();
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!busy && queue.length === 1) setImmediate(flush);
    });
}

const orgOf = batched(async (keys: { team_id: string; channel_id: string }[]) => {
  const found = await sql<{ team_id: string; channel_id: string; name: string }[]>`
    select l.team_id, l.channel_id, o.name from channel_links l join organizations o on o.id = l.organization_id
    where (l.team_id, l.channel_id) in (select * from jsonb_to_recordset(${JSON.stringify(keys)}::text::jsonb)
      as k(team_id text, channel_id text))`;
  const names = new Map(found.map((r) => [`${r.team_id}:${r.channel_id}`, r.name]));
  return keys.map((k) => names.get(`${k.team_id}:${k.channel_id}`) ?? null);
});

type Effect = { dedup_key: string; team_id: string; action: { type: 'api'; method: string; args: PostArgs } };
type PostArgs = { channel: string; thread_ts: string; text: string };

/** Dedup key + effect, already leased to this process; null for a key seen before. */
const record = batched(async (items: Effect[]) => {
  const done = await sql<{ id: string; dedup_key: string }[]>`
    with input as (select * from jsonb_to_recordset(${JSON.stringify(items)}::text::jsonb)
      as x(dedup_key text, team_id text, action jsonb)
    ), d as (
      insert into deliveries (dedup_key, kind, team_id) select dedup_key, 'events_api', team_id from input
      on conflict (dedup_key) do nothing returning id, dedup_key
    ), o as (
      insert into outbox (delivery_id, position, action, team_id, status, attempts, locked_until)
      select d.id, 0, i.action, i.team_id, 'running', 1, now() + interval '60 seconds'
      from d join input i using (dedup_key) returning id, delivery_id
    ) select o.id, d.dedup_key from o join d on d.id = o.delivery_id`;
  const ids = new Map(done.map((r) => [r.dedup_key, r.id]));
  return items.map((item) => ids.get(item.dedup_key) ?? null);
});

const markDone = batched(async (ids: string[]) => {
  await sql`update outbox set status = 'done', locked_until = null, updated_at = now()
    where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb)::bigint)`;
  return ids;
});

function post(args: PostArgs): Promise<boolean> {
  const body = JSON.stringify(args);
  return new Promise((resolve) => {
    const req = http.request(postOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve((JSON.parse(joined(chunks)) as { ok?: boolean }).ok === true));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

function signed(req: http.IncomingMessage, raw: Buffer): boolean {
  const ts = Number(req.headers['x-slack-request-timestamp']);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const signature = req.headers['x-slack-signature'];
  if (typeof signature !== 'string' || signature.length !== 67 || !signature.startsWith('v0=')) return false;
  // Raw digests compared: no hex string made of ours, no buffers made of two hex strings.
  const got = Buffer.from(signature.slice(3), 'hex');
  const hmac = createHmac('sha256', secret).update(`v0:${ts}:`).update(raw).digest();
  return got.length === hmac.length && timingSafeEqual(got, hmac);
}

/** An empty answer: no headers object to go through; node:http adds `Content-Length: 0` itself. */
function answer(res: http.ServerResponse, status: number): void {
  res.statusCode = status;
  res.end();
}

type Mention = {
  event_id: string;
  team_id: string;
  event: { channel: string; ts: string; thread_ts?: string };
};

async function handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): Promise<void> {
  if (!signed(req, raw)) return answer(res, 401);
  let id: string | null;
  let args: PostArgs;
  try {
    const { event_id, team_id, event } = JSON.parse(raw.toString('utf8')) as Mention;
    const org = await orgOf({ team_id, channel_id: event.channel });
    const text = org
      ? `This channel is linked to ${org}.`
      : 'This channel is not linked to an organization yet.';
    args = { channel: event.channel, thread_ts: event.thread_ts ?? event.ts, text };
    id = await record({
      dedup_key: event_id,
      team_id,
      action: { type: 'api', method: 'chat.postMessage', args },
    });
  } catch {
    return answer(res, 503); // not recorded: no ack, Slack retries
  }
  answer(res, 200);
  // A failed post or mark stays `running`: its lease ends and a drain would retry it.
  if (id !== null && (await post(args))) await markDone(id).catch(() => {});
}

/** A body's chunks as one buffer: a small body comes in one chunk, and is not copied. */
const whole = (chunks: Buffer[]) => (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
const joined = (chunks: Buffer[]) => whole(chunks).toString('utf8');

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => void handle(req, whole(chunks), res));
});
server.listen(Number(env('PORT') || 3000), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => void sql.end({ timeout: 5 }).then(() => process.exit(0))));
