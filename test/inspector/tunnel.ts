import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running tunnel: its local entrance, standing for the public URL. */
export interface Tunnel {
  /** Where a test sends what the world would send to `https://<publicHost>`. */
  url: string;
  publicHost: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of `127.0.0.1:<port>` that behaves as a tunnel (ngrok, cloudflared) or a
 * reverse proxy on the same host does: it connects from loopback, passes the public `Host` (or
 * rewrites it to the target's, as `ngrok --host-header=rewrite` does) and adds X-Forwarded-For and
 * X-Forwarded-Proto. A bare TCP proxy (test/helpers/tcp-proxy.ts) adds no headers.
 */
export async function startTunnel(
  port: number,
  options: { publicHost?: string; rewriteHost?: boolean } = {},
): Promise<Tunnel> {
  const publicHost = options.publicHost ?? 'router-dev.ngrok.app';
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          host: options.rewriteHost ? `127.0.0.1:${port}` : publicHost,
          'x-forwarded-for': req.socket.remoteAddress ?? '203.0.113.9',
          'x-forwarded-proto': 'https',
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: entrance } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${entrance}`,
    publicHost,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
