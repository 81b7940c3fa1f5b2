import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { BudgetOverrides } from '../core/rate-limits.js';
import { FakeLimits } from './fake-limits.js';
import { type FakeStream, FakeStreams } from './fake-streams.js';

export type { FakeStream, StreamChunk } from './fake-streams.js';

/** One request the fake received. */
export interface FakeCall {
  /** Web API method (`chat.postMessage`), or `respond:<path>` for a response_url post. */
  method: string;
  /** The bearer token, or null. */
  token: string | null;
  /** Arguments, with JSON-encoded values (blocks, view, unfurls) decoded. */
  args: Record<string, unknown>;
  /** The request's content type: JSON for Slack's write methods, a form for the rest. */
  contentType: string;
  at: number;
}

/** What the fake answers; `delayMs` sleeps first. */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

type Responder = (call: FakeCall, nth: number) => FakeReply | undefined;

/** An envelope sent over Socket Mode, and what became of it. */
export interface SentEnvelope {
  envelope: Record<string, unknown> & { envelope_id: string };
  sentAt: number;
  /** Times it was (re)delivered. */
  deliveries: number;
  /** The connection (index in `sockets`) it was last sent on, and when. */
  connection?: number;
  lastSentAt?: number;
  ack?: { payload: unknown; at: number };
}

function decode(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Options of a FakeSlack. */
export interface FakeSlackOptions {
  /** How long a streamed message takes text after `chat.startStream` (default 5 minutes, as on Slack). */
  streamExpiryMs?: number;
  /** Socket Mode connections open at once before another is refused with too_many_websockets (Slack: 10). */
  maxConnections?: number;
  /** Sends an envelope again when it is left unacked this long, as Slack does; default: only when its socket closes. */
  redeliverAfterMs?: number;
  /** Enforces Slack's published rate limits (429 + Retry-After past them); budgets may differ per tier or method. */
  rateLimits?: boolean | BudgetOverrides;
}

/**
 * A fake Slack on 127.0.0.1: the Web API under /api/ (every call recorded; replies scriptable per
 * method; `chat.*Stream` modelled, see `streams()`) and response_url endpoints under /respond/.
 * Point WebClient at `apiUrl`.
 */
export class FakeSlack {
  readonly calls: FakeCall[] = [];
  readonly #streams: FakeStreams;
  /** Slack's rate limits, when enforced (`rateLimits`); calls answered 429 are in `rateLimited`. */
  limits: FakeLimits | null = null;
  readonly rateLimited: FakeCall[] = [];
  readonly #responders = new Map<string, Responder>();
  readonly #counts = new Map<string, number>();
  readonly #waiters = new Set<() => void>();
  #server: Server | null = null;
  port = 0;

  // Socket Mode
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly sockets: WebSocket[] = [];
  readonly envelopes = new Map<string, SentEnvelope>();
  /** Every ack received, in order (a duplicate ack shows up twice). */
  readonly acks: { envelopeId: string; payload: unknown; at: number }[] = [];
  /** Intervals with no socket open after the first one connected: [closedAt, reopenedAt]. */
  readonly gaps: [number, number | null][] = [];
  /** Connections opened so far. */
  connections = 0;
  /** Connections refused with too_many_websockets so far. */
  refused = 0;
  /** The most connections open at once. */
  peakConnections = 0;
  readonly maxConnections: number;
  readonly #refusedSockets = new WeakSet<WebSocket>();
  #next = 0;
  #redeliverTimer: ReturnType<typeof setInterval> | undefined;
  #wasOpen = false;

  constructor(options: FakeSlackOptions = {}) {
    this.#streams = new FakeStreams(options.streamExpiryMs);
    if (options.rateLimits) this.enforceRateLimits(options.rateLimits === true ? {} : options.rateLimits);
    this.maxConnections = options.maxConnections ?? 10;
    const after = options.redeliverAfterMs;
    if (after) {
      this.#redeliverTimer = setInterval(
        () => {
          const now = Date.now();
          for (const sent of this.unacked())
            if (sent.deliveries > 0 && now - (sent.lastSentAt ?? 0) >= after)
              this.sendEnvelope(sent.envelope);
        },
        Math.min(250, after),
      );
      this.#redeliverTimer.unref();
    }
  }

  /** How long a streamed message takes text after `chat.startStream`; then appends answer `message_not_in_streaming_state`. */
  get streamExpiryMs(): number {
    return this.#streams.expiryMs;
  }

  set streamExpiryMs(ms: number) {
    this.#streams.expiryMs = ms;
  }

  /** Enforces Slack's rate limits from now on (budgets as `SLACK_RATE_LIMITS` reads them). */
  enforceRateLimits(budgets: BudgetOverrides = {}): this {
    this.limits = new FakeLimits(budgets);
    return this;
  }

  /** The messages streamed so far (`chat.startStream`), oldest first, as they stand now. */
  streams(): FakeStream[] {
    return this.#streams.all();
  }

  /** The streamed message with this `ts`, or undefined. */
  stream(ts: string): FakeStream | undefined {
    return this.#streams.get(ts);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url on this fake. */
  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/respond/${id}`;
  }

  /** Scripts the replies to `method` (nth counts from 1); return undefined for the default `{ ok: true }`. */
  on(method: string, responder: Responder): this {
    this.#responders.set(method, responder);
    return this;
  }

  /** Calls of one method. */
  callsOf(method: string): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves once `predicate` holds over the calls, or rejects after `timeoutMs`. */
  waitFor(predicate: (calls: FakeCall[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this.calls)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.calls)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `fake Slack: condition not met in ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  reset(): void {
    this.calls.length = 0;
    this.#responders.clear();
    this.#counts.clear();
    this.envelopes.clear();
    this.acks.length = 0;
    this.gaps.length = 0;
    this.#streams.clear();
    this.limits?.reset();
    this.rateLimited.length = 0;
  }

  /** The sockets still open (those refused with too_many_websockets left out). */
  openSockets(): WebSocket[] {
    return this.sockets.filter(
      (socket) => socket.readyState === socket.OPEN && !this.#refusedSockets.has(socket),
    );
  }

  /**
   * Sends an envelope on one open socket, each in turn, as Slack spreads them over an app's
   * connections; when that socket closes with it unacked, it goes again on another one.
   */
  sendEnvelope(envelope: Record<string, unknown> & { envelope_id: string }): void {
    const sent = this.#sent(envelope);
    const open = this.openSockets();
    const socket = open[this.#next++ % Math.max(1, open.length)];
    if (!socket) return; // delivered when a socket opens
    sent.deliveries++;
    sent.lastSentAt = Date.now();
    sent.connection = this.sockets.indexOf(socket);
    socket.send(
      JSON.stringify(
        sent.deliveries > 1
          ? { ...envelope, retry_attempt: sent.deliveries - 1, retry_reason: 'timeout' }
          : envelope,
      ),
    );
  }

  #sent(envelope: Record<string, unknown> & { envelope_id: string }): SentEnvelope {
    const known = this.envelopes.get(envelope.envelope_id);
    if (known) return known;
    const sent: SentEnvelope = { envelope, sentAt: Date.now(), deliveries: 0 };
    this.envelopes.set(envelope.envelope_id, sent);
    return sent;
  }

  /** Envelopes not acked yet. */
  unacked(): SentEnvelope[] {
    return [...this.envelopes.values()].filter((sent) => !sent.ack);
  }

  /** Sends Slack's `disconnect` frame; closes that socket `closeAfterMs` later, as Slack does. */
  disconnect(
    reason: 'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets',
    closeAfterMs = 1_000,
  ): void {
    const socket = this.openSockets().at(-1);
    socket?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake' } }));
    setTimeout(() => socket?.close(), closeAfterMs).unref();
  }

  /** Drops the newest socket without a word, as a network failure would. */
  dropSocket(): void {
    this.openSockets().at(-1)?.terminate();
  }

  #onSocket(socket: WebSocket): void {
    this.sockets.push(socket);
    if (this.openSockets().length > this.maxConnections) {
      // Slack's answer to an 11th connection of one app (bolt-js #2225): a disconnect frame, then it closes.
      this.#refusedSockets.add(socket);
      this.refused++;
      socket.send(
        JSON.stringify({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'fake' } }),
      );
      setTimeout(() => socket.close(), 100).unref();
      return;
    }
    this.connections++;
    this.peakConnections = Math.max(this.peakConnections, this.openSockets().length);
    const gap = this.gaps.at(-1);
    if (gap && gap[1] === null) gap[1] = Date.now();
    this.#wasOpen = true;
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.openSockets().length,
        debug_info: { host: 'fake' },
        connection_info: { app_id: 'A0APP0001' },
      }),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (!message.envelope_id) return;
      const at = Date.now();
      this.acks.push({ envelopeId: message.envelope_id, payload: message.payload, at });
      const sent = this.envelopes.get(message.envelope_id);
      if (sent && !sent.ack) sent.ack = { payload: message.payload, at };
      for (const waiter of this.#waiters) waiter();
    });
    socket.on('close', () => {
      if (this.#wasOpen && this.openSockets().length === 0) this.gaps.push([Date.now(), null]);
      // Slack redelivers what the closed socket left unacked, on another connection.
      const index = this.sockets.indexOf(socket);
      setTimeout(() => {
        for (const sent of this.unacked())
          if (sent.connection === index && this.openSockets().length > 0) this.sendEnvelope(sent.envelope);
      }, 50).unref();
    });
    // Envelopes that waited for a socket.
    for (const sent of this.unacked()) if (sent.deliveries === 0) this.sendEnvelope(sent.envelope);
  }

  async start(port = 0): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req, socket, head) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws));
    });
    this.#server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.#redeliverTimer);
    for (const socket of this.sockets) socket.terminate();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/_calls') {
      // For tests that run elsewhere (workerd): what this fake has received.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.calls));
      return;
    }
    const raw = await readBody(req);
    const type = req.headers['content-type'] ?? '';
    const args: Record<string, unknown> = {};
    if (type.includes('application/json') && raw) Object.assign(args, JSON.parse(raw));
    else for (const [key, value] of new URLSearchParams(raw)) args[key] = decode(value);
    const auth = req.headers.authorization;
    const method = path.startsWith('/api/') ? path.slice(5) : `respond:${path.slice('/respond/'.length)}`;
    const token = auth?.startsWith('Bearer ')
      ? auth.slice(7)
      : typeof args.token === 'string'
        ? args.token
        : null;
    const call: FakeCall = { method, token, args, contentType: type, at: Date.now() };
    const retryAfter = this.limits?.take(method, token, args, call.at) ?? null;
    if (retryAfter !== null) {
      this.rateLimited.push(call);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const nth = (this.#counts.get(method) ?? 0) + 1;
    this.#counts.set(method, nth);
    const reply = this.#responders.get(method)?.(call, nth) ?? {};
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const status = reply.status ?? 200;
    if (status === 200) {
      this.calls.push(call);
      for (const waiter of this.#waiters) waiter();
    }
    const body =
      reply.body ??
      (method.startsWith('respond:')
        ? 'ok'
        : ((status === 200 ? this.#streams.answer(method, args, Date.now()) : undefined) ?? {
            ok: true,
            ...defaults(method, args, this.port),
          }));
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      ...reply.headers,
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

function defaults(method: string, args: Record<string, unknown>, port: number): Record<string, unknown> {
  if (method === 'chat.postMessage') return { channel: args.channel, ts: `${Date.now() / 1000}` };
  if (method === 'apps.connections.open') return { url: `ws://127.0.0.1:${port}/link/?ticket=${Date.now()}` };
  if (method === 'auth.test') return { user_id: 'U0BOT0001', team_id: 'T0001ACME', bot_id: 'B0BOT0001' };
  return {};
}
