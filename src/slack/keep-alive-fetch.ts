import http from 'node:http';
import https from 'node:https';
import type { FetchFunction } from '@slack/web-api';

type FetchRequestInit = NonNullable<Parameters<FetchFunction>[1]>;
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** Where a URL's requests go, worked out once per URL: a URL parsed (and converted by node:http) per call cost ~3 µs. */
interface Target {
  transport: typeof http | typeof https;
  agent: http.Agent;
  protocol: string;
  hostname: string;
  port: string;
  path: string;
  auth: string | undefined;
  href: string;
}

/** URLs remembered (one per Web API method called); past it the memory starts over. */
const MAX_TARGETS = 256;

/**
 * A `fetch` for WebClient over node:http with keep-alive agents. On Node, the global fetch costs
 * several times more CPU per call (`npm run bench -- http`), and outbound calls set the executor's ceiling.
 * Bodies that are not strings (file uploads) go through the global fetch. A request with no `signal`
 * fails once it has waited `timeoutMs` since it was made (up to a fiftieth more), a free socket included:
 * one shared timer sweeps the requests in flight, instead of a socket timer and its listeners per call.
 */
export function keepAliveFetch(options: { maxSockets?: number; timeoutMs?: number } = {}): FetchFunction {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const targets = new Map<string, Target>();
  const timeouts = new Sweeper(timeoutMs);

  const targetOf = (input: string | URL): Target => {
    const key = typeof input === 'string' ? input : input.href;
    let target = targets.get(key);
    if (target) return target;
    const url = typeof input === 'string' ? new URL(input) : input;
    const secure = url.protocol === 'https:';
    target = {
      transport: secure ? https : http,
      agent: secure ? agents.https : agents.http,
      protocol: url.protocol,
      // An IPv6 literal without its brackets, as node:http wants it.
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      auth:
        url.username || url.password
          ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
          : undefined,
      href: url.href,
    };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(key, target);
    return target;
  };

  return function keepAliveFetch(input: string | URL, init: FetchRequestInit = {}): Promise<FetchResponse> {
    if (init.body !== undefined && typeof init.body !== 'string') return globalThis.fetch(input, init);
    const target = targetOf(input);
    const { body, signal } = init;
    return new Promise<FetchResponse>((resolve, reject) => {
      let inFlight: InFlight | null = null;
      const fail = (error: Error) => {
        if (inFlight) timeouts.delete(inFlight);
        reject(error);
      };
      const request = target.transport.request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          path: target.path,
          auth: target.auth,
          method: init.method ?? 'GET',
          headers: init.headers,
          agent: target.agent,
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            if (inFlight) timeouts.delete(inFlight);
            const body = (chunks.length === 1 && chunks[0]) || Buffer.concat(chunks);
            resolve(new NodeResponse(target.href, response, body));
          });
        },
      );
      request.on('error', fail);
      if (!signal) inFlight = timeouts.add(request);
      request.end(body);
    });
  };
}

/** A request in flight, in the sweeper's list (oldest first). */
interface InFlight {
  request: http.ClientRequest;
  started: number;
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * Fails requests that have waited `timeoutMs`: one timer, running only while requests are in
 * flight, checks the oldest every fiftieth of `timeoutMs`. A linked list, not a Map: requests held in
 * a Map were promoted out of the young generation, ~12 µs of GC per call.
 */
class Sweeper {
  #oldest: InFlight | null = null;
  #newest: InFlight | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(request: http.ClientRequest): InFlight {
    const entry: InFlight = { request, started: performance.now(), prev: this.#newest, next: null };
    if (this.#newest) this.#newest.next = entry;
    else this.#oldest = entry;
    this.#newest = entry;
    if (!this.#timer) {
      // Every fiftieth of the timeout: a 10 s request ends by 10.2 s, inside the lease's bound (lease.ts).
      this.#timer = setInterval(() => this.#sweep(), Math.max(1, Math.ceil(this.timeoutMs / 50)));
      this.#timer.unref();
    }
    return entry;
  }

  delete(entry: InFlight): void {
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.#oldest === entry) this.#oldest = entry.next;
    else return; // already out
    if (entry.next) entry.next.prev = entry.prev;
    else this.#newest = entry.prev;
    entry.prev = null;
    entry.next = null;
  }

  #sweep(): void {
    const before = performance.now() - this.timeoutMs;
    for (let entry = this.#oldest; entry && entry.started <= before; entry = this.#oldest) {
      this.delete(entry);
      entry.request.destroy(new Error(`no answer in ${this.timeoutMs} ms`));
    }
    if (this.#oldest) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The fetch `Response` WebClient reads, over a body already read; headers are looked up when asked for. */
class NodeResponse implements FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: FetchResponse['headers'];

  constructor(
    readonly url: string,
    response: http.IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = response.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.statusText = response.statusMessage ?? '';
    this.headers = new NodeHeaders(response.headers);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const { body } = this;
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8'));
  }

  async text(): Promise<string> {
    return this.body.toString('utf8');
  }
}

class NodeHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}

  get(name: string): string | null {
    return joined(this.raw[name.toLowerCase()]) ?? null;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.raw)) {
      const text = joined(value);
      if (text !== undefined) yield [name, text];
    }
  }
}

const joined = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);
