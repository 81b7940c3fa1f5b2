import type { Context } from 'hono';
import { decide } from './access.js';
import { notLocal } from './local-only.js';
import type { Inspector } from './views.js';

/** The 404 of a process without an inspector, or with a hidden one: as for any unknown path. */
export function notFound(c: Context): Response {
  return c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404);
}

/** Whether `origin` (a page's scheme, host and port) names one of `hosts` (Host, X-Forwarded-Host). */
function sameHost(origin: string, hosts: (string | undefined)[]): boolean {
  try {
    const { host } = new URL(origin);
    return hosts.some((h) => h?.toLowerCase() === host);
  } catch {
    return false; // `null` (a sandboxed page) or garbage
  }
}

/**
 * Why the inspector refuses this request, as the response to give; null: serve it.
 * Rule 1: the token decides when one is set (401), production without one hides the page (404).
 * Rule 2: without a token in development, only requests made on this machine (`notLocal`, 403, logged).
 * Rule 3: a form posted from another site is refused (403), so a page elsewhere cannot replay.
 */
export async function refusal(c: Context, inspector: Inspector): Promise<Response | null> {
  const decision = await decide(inspector.access, c.req.header('authorization'));
  if (decision === 'hidden') return notFound(c);
  if (decision === 'unauthorized') {
    c.header('www-authenticate', 'Basic realm="inspector", charset="UTF-8"');
    return c.json({ error: 'unauthorized', message: 'the inspector needs INSPECTOR_TOKEN' }, 401);
  }
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  if (decision === 'local') {
    const header = (name: string) => c.req.header(name);
    const refused = notLocal({ method: c.req.method, host, header, peer: inspector.peer?.(c) });
    if (refused) {
      inspector.refused?.({
        status: 403,
        code: refused.code,
        reason: refused.message,
        path: c.req.path,
        userAgent: c.req.header('user-agent'),
      });
      return c.json({ error: refused.code, message: refused.message }, 403);
    }
  }
  // A tunnel or proxy ends TLS before us: compare hosts, not origins (https:// there, http:// here).
  const origin = c.req.header('origin');
  if (c.req.method === 'POST' && origin && !sameHost(origin, [host, c.req.header('x-forwarded-host')])) {
    return c.json({ error: 'forbidden', message: 'a form from another origin' }, 403);
  }
  return null;
}
