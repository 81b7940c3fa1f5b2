import { LogLevel, SocketModeClient } from '@slack/socket-mode';
import type { FetchFunction } from '@slack/web-api';
import type { Logger } from '../core/context.js';

/** A Socket Mode envelope as Slack sent it, and how to ack it. */
export interface Envelope {
  raw: Record<string, unknown>;
  /** Acks on the socket the envelope came on; `payload` only where Slack accepts one. */
  ack(payload?: object): Promise<void>;
}

/** Socket Mode cannot go on: the process should stop with this message. */
export class SocketModeFatalError extends Error {
  override readonly name = 'SocketModeFatalError';
}

/** Errors of apps.connections.open that no retry fixes. */
const FATAL_OPEN_ERRORS: Record<string, string> = {
  invalid_auth:
    'SLACK_APP_TOKEN was refused by Slack (invalid_auth): create a new app-level token with connections:write',
  not_authed:
    'SLACK_APP_TOKEN was refused by Slack (not_authed): create an app-level token with connections:write',
  not_allowed_token_type:
    'SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type): create one with connections:write under Basic Information → App-Level Tokens',
  account_inactive: 'SLACK_APP_TOKEN belongs to an app or workspace that is inactive (account_inactive)',
  team_disabled: 'the workspace is disabled (team_disabled)',
  link_disabled:
    'Socket Mode is turned off for this app: turn it on under Settings → Socket Mode, or run `npm run dev:http`',
};

/** How long an old connection may finish acking in-flight envelopes before it is closed. */
const DRAIN_OLD_MS = 1_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** `too_many_websockets`: another process holds this app's connections; wait before trying again. */
const TOO_MANY_BACKOFF_MS = 30_000;

/**
 * One SocketModeClient per connection, without its own reconnects (3.1.0 waits 5 s after a
 * `disconnect` frame). This subclass sees the frame first, so the manager can open the next
 * connection before the old one closes. Pinned in package.json: it overrides a protected method,
 * and test/socket/shim.test.ts holds the refresh gap at zero.
 */
class Connection extends SocketModeClient {
  inFlight = 0;
  /** The socket is gone (set before the manager hears of it). */
  closed = false;
  constructor(
    options: ConstructorParameters<typeof SocketModeClient>[0],
    private readonly onDisconnectFrame: (reason: string) => void,
    private readonly onEnvelope: (envelope: Envelope) => void,
  ) {
    super(options);
  }

  /**
   * Envelopes and `disconnect` frames are handled here; `hello` and the rest go to the stock code.
   * (The stock code reads `payload.event.type` unchecked: a malformed envelope would reject there.)
   */
  protected override async onWebSocketMessage(data: string | ArrayBuffer, isBinary: boolean): Promise<void> {
    if (isBinary) return super.onWebSocketMessage(data, isBinary);
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // not JSON: nothing to ack
    }
    if (frame.type === 'disconnect') {
      // Keep this socket open for the acks in flight; the manager replaces it.
      this.onDisconnectFrame(typeof frame.reason === 'string' ? frame.reason : 'unknown');
      return;
    }
    const envelopeId = frame.envelope_id;
    if (frame.type === 'hello') return super.onWebSocketMessage(data, isBinary);
    if (typeof envelopeId !== 'string') {
      // Nothing to ack it with; the stock code would throw on it (an unhandled rejection). The
      // shim refuses it with one log line.
      this.onEnvelope({ raw: frame, ack: () => Promise.resolve() });
      return;
    }
    this.inFlight++;
    let acked = false;
    this.onEnvelope({
      raw: frame,
      ack: (payload) => {
        if (acked) return Promise.resolve();
        acked = true;
        this.inFlight--;
        return this.#send(JSON.stringify({ envelope_id: envelopeId, payload: payload ?? {} }));
      },
    });
  }

  #send(message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.websocket;
      if (!socket?.isActive()) {
        reject(new Error('the socket closed before the ack could be sent; Slack will redeliver'));
        return;
      }
      socket.send(message, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** Routes @slack/socket-mode's own log lines to ours, at debug level: we log what matters ourselves. */
function quietLogger(logger: Logger) {
  let level = LogLevel.DEBUG;
  const debug = (...parts: unknown[]) => logger.debug(`socket-mode: ${parts.map(String).join(' ')}`);
  return {
    debug,
    info: debug,
    warn: debug,
    error: debug,
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

export interface SocketOptions {
  appToken: string;
  slackApiUrl: string;
  logger: Logger;
  fetch?: FetchFunction;
  onEnvelope(envelope: Envelope): void;
  /** Called once when Socket Mode cannot go on (link_disabled after start-up). */
  onFatal(error: SocketModeFatalError): void;
  /** Wait after `too_many_websockets` (default 30 s). */
  tooManyBackoffMs?: number;
}

/** Keeps one Socket Mode connection up: make-before-break on refreshes, backoff on drops. */
export class SocketLink {
  #active: Connection | null = null;
  #stopping = false;
  #replacing = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #openedAt: Date | null = null;

  constructor(private readonly options: SocketOptions) {}

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
  }

  /** Closes the connection; envelopes arriving meanwhile are left unacked for Slack to redeliver. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#active?.disconnect();
    this.#active = null;
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
        "Slack refused another connection (too_many_websockets): another process holds this app's connections",
      );
      old.removeAllListeners('disconnected');
      void old.disconnect();
      if (old === this.#active) this.#schedule(this.options.tooManyBackoffMs ?? TOO_MANY_BACKOFF_MS);
      return;
    }
    if (old !== this.#active || this.#replacing || this.#stopping) return;
    this.options.logger.info(`socket: ${reason}, opening the next connection before closing this one`);
    this.#replacing = true;
    void this.#open()
      .then(async (next) => {
        if (this.#stopping) {
          await next.disconnect();
          return;
        }
        this.#active = next;
        old.removeAllListeners('disconnected');
        const until = Date.now() + DRAIN_OLD_MS;
        while (old.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        await old.disconnect();
        this.options.logger.info('socket: switched to the new connection');
      })
      .catch((error: unknown) => this.#failed(error))
      .finally(() => {
        this.#replacing = false;
      });
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
          this.#active = next;
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
