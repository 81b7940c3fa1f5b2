import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * The TCP peer's address of a request served by @hono/node-server (its `env.incoming`); undefined
 * where there is none (`app.request` in tests).
 */
export function nodePeer(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  return env.incoming instanceof IncomingMessage ? env.incoming.socket.remoteAddress : undefined;
}
