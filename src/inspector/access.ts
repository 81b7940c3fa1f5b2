import { timingSafeEqual } from 'hono/utils/buffer';

/** Who may open the inspector: open on a loopback dev process, a token in production, else nobody. */
export interface InspectorAccess {
  /** NODE_ENV=production, a non-loopback HOST, and always on Workers and Lambda. */
  production: boolean;
  /** INSPECTOR_TOKEN: when set, every request needs it (bearer, or basic auth password). */
  token?: string;
}

/** What a request may do: `hidden` answers 404, `unauthorized` 401. */
export type AccessDecision = 'open' | 'hidden' | 'unauthorized';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;

/** Whether a listening address is this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** The access rules for a Node process listening on `host`. */
export function nodeAccess(config: {
  HOST: string;
  NODE_ENV?: string;
  INSPECTOR_TOKEN?: string;
}): InspectorAccess {
  return {
    production: config.NODE_ENV === 'production' || !isLoopback(config.HOST),
    token: config.INSPECTOR_TOKEN,
  };
}

/** The credential in an Authorization header: a bearer token, or a basic auth password. */
function presented(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() !== 'basic') return null;
  try {
    const decoded = atob(value);
    return decoded.slice(decoded.indexOf(':') + 1);
  } catch {
    return null;
  }
}

/** Rule 1: a token set is always required. Rule 2: without one, production hides the page. */
export async function decide(
  access: InspectorAccess,
  authorization: string | undefined,
): Promise<AccessDecision> {
  if (access.token) {
    const given = presented(authorization);
    if (given === null) return 'unauthorized';
    return (await timingSafeEqual(given, access.token)) ? 'open' : 'unauthorized';
  }
  return access.production ? 'hidden' : 'open';
}
