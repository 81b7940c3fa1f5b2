/**
 * One process of the lanes bench's multi-process row (`fork`ed by bench/lanes.ts, under tsx): its own
 * pipeline on LANES_DATABASE_URL, holding its owner lock, sending to the parent's fake Slack at
 * LANES_API_URL. It takes what the parent sends over IPC and answers each request by its id.
 */
import type { NormalizedEvent } from '../src/core/event.js';
import { openDatabase } from '../src/db/open.js';
import { inProcess, processOn } from './lanes.js';

type Request =
  | { type: 'take'; id: number; events: NormalizedEvent[] }
  | { type: 'idle' | 'close'; id: number }
  | { type: 'drain' };

const url = process.env.LANES_DATABASE_URL;
const apiUrl = process.env.LANES_API_URL;
if (!url || !apiUrl) throw new Error('LANES_DATABASE_URL and LANES_API_URL are set by bench/lanes.ts');
const send = (message: object) => process.send?.(message);

const runner = inProcess(
  await processOn(await openDatabase(url), url, process.env.LANES_LIMITS || undefined, apiUrl),
);
process.on('message', (request: Request) => {
  if (request.type === 'drain') return runner.drain();
  const answer = (acks?: number[]) => send({ type: 'done', id: request.id, acks });
  if (request.type === 'take') void runner.take(request.events).then(answer);
  else if (request.type === 'idle') void runner.idle().then(() => answer());
  else
    void runner.close().then(() => {
      answer();
      process.exit(0);
    });
});
send({ type: 'ready' });
