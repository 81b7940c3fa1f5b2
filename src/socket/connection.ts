import type { FetchFunction } from '@slack/web-api';
import type { Logger } from '../core/context.js';
import { Connection, type Envelope, FATAL_OPEN_ERRORS, quietLogger, SocketModeFatalError } from './client.js';

export { type Envelope, SocketModeFatalError } from './client.js';

/** How long an old connection may finish acking in-flight envelopes before it is closed. */
const DRAIN_OLD_MS = 1_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** `too_many_websockets`: another process holds this app's connections; wait before trying again. */
const TOO_MANY_BACKOFF_MS = 30_000;

/** The connection slot a link rides on (slots.ts), and how it gets one more for a refresh's overlap. */
export interface LinkSlots {
  /** The slot of the first connection. */
  first: number;
  /** A free slot for the next connection during a refresh, or null: the old one then closes first. */
  spare(): Promise<number | null>;
  /** The connection on `slot` closed for good. */
  release(slot: number): void;
}

/** Why a connection opened: a link's first, Slack's refresh (`disconnect` frame), or after a drop or a refusal. */
export type ConnectionOpened = 'start' | 'refresh' | 'reconnect';

export interface SocketOptions {
  appToken: string;
  slackApiUrl: string;
  logger: Logger;
  fetch?: FetchFunction;
  onEnvelope(envelope: Envelope): void;
  /** Called once when Socket Mode cannot go on (link_disabled after start-up). */
  onFatal(error: SocketModeFatalError): void;
  /** Slack's `hello` frame: its count of the app's open connections (all processes), or null. */
  onHello?(numConnections: number | null): void;
  /** A connection opened (metrics: `slack_router_socket_opens_total`). */
  onOpened?(reason: ConnectionOpened): void;
  /** Wait after `too_many_websockets` (default 30 s). */
  tooManyBackoffMs?: number;
  /** Shared connection slots; absent: a refresh always opens the next connection first. */
  slots?: LinkSlots;
}

/** Waits until `connection` has sent its in-flight acks, at most `DRAIN_OLD_MS`. */
async function drained(connection: Connection): Promise<void> {
  const until = Date.now() + DRAIN_OLD_MS;
  while (connection.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

/** Keeps one Socket Mode connection up: make-before-break on refreshes, backoff on drops. */
export class SocketLink {
  #active: Connection | null = null;
  #stopping = false;
  #replacing = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #openedAt: Date | null = null;
  #slot: number | null;

  constructor(private readonly options: SocketOptions) {
    this.#slot = options.slots?.first ?? null;
  }

  /** The slot this link's connection holds (null without shared slots). */
  get slot(): number | null {
    return this.#slot;
  }

  /** The link's state and when its current connection opened (the inspector's header). */
  status(): { state: 'connected' | 'reconnecting' | 'stopped'; lastRefresh: Date | null } {
    const state = this.#stopping
      ? 'stopped'
      : this.#active && !this.#active.closed
        ? 'connected'
        : 'reconnecting';
    return { state, lastRefresh: this.#openedAt };
  }

  /** Opens the first connection; throws `SocketModeFatalError` for a token or app that cannot work. */
  async start(): Promise<void> {
    this.#active = await this.#open();
    this.options.onOpened?.('start');
  }

  /**
   * Closes the connection once its in-flight acks are sent (at most 1 s); envelopes arriving
   * meanwhile or left unacked are redelivered by Slack, on another connection.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const active = this.#active;
    this.#active = null;
    if (active) {
      active.removeAllListeners('disconnected');
      await drained(active);
      await active.disconnect();
    }
  }

  async #open(): Promise<Connection> {
    const connection: Connection = new Connection(
      {
        appToken: this.options.appToken,
        autoReconnectEnabled: false,
        logger: quietLogger(this.options.logger),
        clientOptions: {
          slackApiUrl: this.options.slackApiUrl,
          fetch: this.options.fetch,
          retryConfig: { retries: 2, minTimeout: 100, maxTimeout: 1_000 },
        },
      },
      (reason) => this.#onDisconnectFrame(connection, reason),
      (envelope) => this.options.onEnvelope(envelope),
      (count) => this.options.onHello?.(count),
    );
    connection.on('disconnected', () => {
      connection.closed = true;
      this.#onClosed(connection);
    });
    try {
      await connection.start();
    } catch (error) {
      connection.removeAllListeners('disconnected');
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code && FATAL_OPEN_ERRORS[code]) throw new SocketModeFatalError(FATAL_OPEN_ERRORS[code]);
      throw error;
    }
    this.#failures = 0;
    this.#openedAt = new Date();
    return connection;
  }

  /** Slack asked this connection to go: open the next one first, then close this one. */
  #onDisconnectFrame(old: Connection, reason: string): void {
    if (reason === 'link_disabled') {
      this.options.onFatal(new SocketModeFatalError(FATAL_OPEN_ERRORS.link_disabled ?? reason));
      return;
    }
    if (reason === 'too_many_websockets') {
      this.options.logger.warn(
        "Slack refused another connection (too_many_websockets): something outside the processes sharing this database holds the app's connections (a dev:socket elsewhere?)",
      );
      old.removeAllListeners('disconnected');
      void old.disconnect();
      if (old === this.#active) this.#schedule(this.options.tooManyBackoffMs ?? TOO_MANY_BACKOFF_MS);
      return;
    }
    if (old !== this.#active || this.#replacing || this.#stopping) return;
    this.#replacing = true;
    void this.#replace(old, reason)
      .catch((error: unknown) => this.#failed(error))
      .finally(() => {
        this.#replacing = false;
      });
  }

  /**
   * Make-before-break when a slot is free for the overlap; otherwise (every slot held) break, then
   * make: this process's other connections take the envelopes meanwhile, and Slack redelivers
   * whatever this one left unacked.
   */
  async #replace(old: Connection, reason: string): Promise<void> {
    const slots = this.options.slots;
    const spare = slots ? await slots.spare().catch(() => null) : null;
    if (slots && spare === null) {
      this.options.logger.info(
        `socket: ${reason}, no slot free for an overlap: closing this connection first`,
      );
      old.removeAllListeners('disconnected');
      await drained(old);
      await old.disconnect();
      if (this.#active === old) this.#active = null;
      if (this.#stopping) return;
      this.#active = await this.#open();
      this.options.onOpened?.('refresh');
      this.options.logger.info('socket: switched to the new connection');
      return;
    }
    this.options.logger.info(`socket: ${reason}, opening the next connection before closing this one`);
    let next: Connection;
    try {
      next = await this.#open();
    } catch (error) {
      if (spare !== null) slots?.release(spare);
      throw error;
    }
    if (this.#stopping) {
      await next.disconnect();
      if (spare !== null) slots?.release(spare);
      return;
    }
    this.#active = next;
    this.options.onOpened?.('refresh');
    old.removeAllListeners('disconnected');
    if (spare !== null && this.#slot !== null) {
      slots?.release(this.#slot);
      this.#slot = spare;
    }
    await drained(old);
    await old.disconnect();
    this.options.logger.info('socket: switched to the new connection');
  }

  /** The socket closed (dropped, ping timeout, or Slack closed it): reconnect at once, then back off. */
  #onClosed(connection: Connection): void {
    // A refresh in progress replaces it anyway.
    if (connection !== this.#active || this.#stopping || this.#replacing) return;
    this.#active = null;
    this.options.logger.warn('socket: connection lost, reconnecting');
    this.#schedule(
      this.#failures === 0 ? 0 : Math.min(BACKOFF_FIRST_MS * 2 ** (this.#failures - 1), BACKOFF_MAX_MS),
    );
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#stopping) return;
      this.#open()
        .then((next) => {
          if (this.#stopping) return void next.disconnect();
          this.#active = next;
          this.options.onOpened?.('reconnect');
          this.options.logger.info('socket: reconnected');
        })
        .catch((error: unknown) => this.#failed(error));
    }, ms);
  }

  #failed(error: unknown): void {
    if (error instanceof SocketModeFatalError) {
      this.options.onFatal(error);
      return;
    }
    if (this.#stopping) return;
    this.#failures++;
    const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (this.#failures - 1), BACKOFF_MAX_MS);
    this.options.logger.warn(
      `socket: could not connect (${error instanceof Error ? error.message : error}); retrying in ${delay} ms`,
    );
    // No connection left (a refresh whose old socket closed while the next one failed): try again.
    if (!this.#active || this.#active.closed) {
      this.#active = null;
      this.#schedule(delay);
    }
  }
}
