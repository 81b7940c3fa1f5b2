/**
 * A tiny fake Slack Web API for the HTTP bench: answers every call `{ ok: true }` (with a channel
 * and ts, so a step can update the post) and counts one method (chat.postMessage, or chat.update
 * for the flow with a step), nothing else, so its CPU stays small next to the servers it serves.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const REPLY = JSON.stringify({ ok: true, channel: 'C0BENCH01', ts: '1764100000.000100', message: {} });

/** The fake; `posted` counts chat.postMessage calls since the last `reset()`, `lastAt` is the newest one's time. */
export class FakeApi {
  posted = 0;
  lastAt = 0;
  #server: Server | null = null;
  #port = 0;
  readonly #counted: string;

  /** Counts calls of `method` as handled deliveries. */
  constructor(method = 'chat.postMessage') {
    this.#counted = `/api/${method}`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}/api/`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === this.#counted) {
          this.posted++;
          this.lastAt = performance.now();
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(REPLY);
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  reset(): void {
    this.posted = 0;
    this.lastAt = 0;
  }

  /** Resolves once `posted` reaches `count`, or after `timeoutMs` (the caller reads `posted`). */
  async waitFor(count: number, timeoutMs: number): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (this.posted < count && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
