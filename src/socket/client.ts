import { LogLevel, SocketModeClient } from '@slack/socket-mode';
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
export const FATAL_OPEN_ERRORS: Record<string, string> = {
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

/**
 * One SocketModeClient per connection, without its own reconnects (3.1.0 waits 5 s after a
 * `disconnect` frame). This subclass sees the frame first, so the manager can open the next
 * connection before the old one closes. Pinned in package.json: it overrides a protected method,
 * and test/socket/shim.test.ts holds the refresh gap at zero.
 */
export class Connection extends SocketModeClient {
  inFlight = 0;
  /** The socket is gone (set before the manager hears of it). */
  closed = false;
  constructor(
    options: ConstructorParameters<typeof SocketModeClient>[0],
    private readonly onDisconnectFrame: (reason: string) => void,
    private readonly onEnvelope: (envelope: Envelope) => void,
    private readonly onHello: (numConnections: number | null) => void,
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
    if (frame.type === 'hello') {
      // Slack's count of this app's open connections, from every process.
      this.onHello(typeof frame.num_connections === 'number' ? frame.num_connections : null);
      return super.onWebSocketMessage(data, isBinary);
    }
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
export function quietLogger(logger: Logger) {
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
