import { connect, createServer, type Server, type Socket } from 'node:net';

/** How the proxy treats traffic now. */
export type ProxyMode = 'pass' | 'down' | 'blackhole';

/**
 * A loopback TCP proxy in front of a server (PostgreSQL in the fault tests) that can cut every
 * connection, blackhole (accept and never answer, as a hung server or a dropped route does) and
 * restore. `url(databaseUrl)` rewrites a URL to go through it.
 */
export class TcpProxy {
  #server: Server | null = null;
  #mode: ProxyMode = 'pass';
  readonly #pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  #port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
    return this;
  }

  get port(): number {
    return this.#port;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.#port);
    return url.toString();
  }

  /** Connections open through the proxy. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** The database drops: every connection is closed, and new ones are closed at once until `restore()`. */
  cut(): void {
    this.#mode = 'down';
    this.#dropAll();
  }

  /**
   * From now on, nothing is forwarded either way on any connection, open or new: accepted, never
   * answered. Bytes sent meanwhile are lost.
   */
  blackhole(): void {
    this.#mode = 'blackhole';
  }

  /**
   * Traffic flows again. Connections that were blackholed are reset (their bytes were lost, so
   * the protocol on them cannot resume), as a server restart or an expired middlebox entry does.
   */
  restore(): void {
    if (this.#mode === 'blackhole') this.#dropAll();
    this.#mode = 'pass';
  }

  async stop(): Promise<void> {
    this.#dropAll();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #dropAll(): void {
    for (const pair of this.#pairs) this.#drop(pair);
  }

  #accept(client: Socket): void {
    if (this.#mode === 'down') {
      client.destroy();
      return;
    }
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    this.#pairs.add(pair);
    client.on('error', () => this.#drop(pair));
    client.on('close', () => this.#drop(pair));
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => this.#drop(pair));
    upstream.on('close', () => this.#drop(pair));
    client.on('data', (chunk) => {
      if (this.#mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.#mode === 'pass') client.write(chunk);
    });
  }

  #drop(pair: { client: Socket; upstream: Socket | null }): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
