import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from '../core/context.js';
import { type Inspector, inspectorRoutes, refusal } from '../inspector/index.js';

/** The inspector's own loopback port, for a process with no HTTP server (dev:socket). */
export interface InspectorServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `/_inspect` on 127.0.0.1:`port` only; a port in use is a warning, not a failed start. */
export async function startInspectorServer(
  inspector: Inspector,
  options: {
    port: number;
    logger: Logger;
    /** `GET /healthz` on the same port (Socket Mode): its status and JSON body. */
    health?: () => Promise<{ status: 200 | 503; body: object }>;
    /** Prometheus metrics at `/metrics` on the same port, with the inspector's access rule. */
    metrics?: { scrape(): Promise<string>; contentType: string };
  },
): Promise<InspectorServer | null> {
  const app = new Hono();
  const { health, metrics } = options;
  if (metrics)
    app.get('/metrics', async (c) => {
      const refused = await refusal(c, inspector);
      if (refused) return refused;
      return c.body(await metrics.scrape(), 200, { 'content-type': metrics.contentType });
    });
  if (health)
    app.get('/healthz', async (c) => {
      const { status, body } = await health();
      return c.json(body, status);
    });
  app.route(
    '/_inspect',
    inspectorRoutes(async () => inspector),
  );
  const server = serve({ fetch: app.fetch, port: options.port, hostname: '127.0.0.1' });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    options.logger.warn(
      `inspector not started: 127.0.0.1:${options.port} is unavailable (${error instanceof Error ? error.message : String(error)}); set INSPECTOR_PORT`,
    );
    return null;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/_inspect`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
