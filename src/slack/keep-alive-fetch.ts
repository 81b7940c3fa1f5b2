import http from 'node:http';
import https from 'node:https';
import type { FetchFunction } from '@slack/web-api';

type FetchRequestInit = NonNullable<Parameters<FetchFunction>[1]>;
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/**
 * A `fetch` for WebClient over node:http with keep-alive agents. On Node, the global fetch costs
 * several times more CPU per call (`npm run bench -- http`), and outbound calls set the executor's ceiling.
 * Bodies that are not strings (file uploads) go through the global fetch. A request with no `signal`
 * times out after `timeoutMs` (a socket timer: cheaper than an AbortSignal per call).
 */
export function keepAliveFetch(options: { maxSockets?: number; timeoutMs?: number } = {}): FetchFunction {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  return function keepAliveFetch(input: string | URL, init: FetchRequestInit = {}): Promise<FetchResponse> {
    if (init.body !== undefined && typeof init.body !== 'string') return globalThis.fetch(input, init);
    const url = typeof input === 'string' ? new URL(input) : input;
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    return new Promise<FetchResponse>((resolve, reject) => {
      const request = transport.request(
        url,
        { method: init.method ?? 'GET', headers: init.headers, agent, signal: init.signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => resolve(toResponse(url, response, Buffer.concat(chunks))));
        },
      );
      request.on('error', reject);
      if (!init.signal)
        request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      request.end(init.body);
    });
  };
}

function toResponse(url: URL, response: http.IncomingMessage, body: Buffer): FetchResponse {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const status = response.statusCode ?? 0;
  const text = () => body.toString('utf8');
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: response.statusMessage ?? '',
    url: url.toString(),
    headers: {
      get: (name: string) => headers.get(name.toLowerCase()) ?? null,
      entries: () => headers.entries(),
    },
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    json: async () => JSON.parse(text()),
    text: async () => text(),
  };
}
