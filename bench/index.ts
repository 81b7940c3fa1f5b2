/** `npm run bench [-- case…]`: every case, or the ones named (storage, http, socket, worker, stream, lanes, traces). */

import { benchHttp } from './http.js';
import { benchSocket } from './socket.js';
import { machine } from './stats.js';
import { benchStorage } from './storage.js';
import { benchWorker } from './worker.js';

const CASES: Record<string, () => Promise<void>> = {
  storage: benchStorage,
  http: benchHttp,
  socket: benchSocket,
  worker: benchWorker,
  stream: () => import('./stream.js').then((m) => m.benchStream()),
  lanes: () => import('./lanes.js').then((m) => m.benchLanes()),
  traces: () => import('./traces.js').then((m) => m.benchTraces()),
};

const wanted = process.argv.slice(2).filter((arg) => arg in CASES);
console.log(`machine: ${machine()}`);
for (const [name, run] of Object.entries(CASES)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
