import { timingSafeEqual } from 'hono/utils/buffer';

/** Who may open the inspector: a token when one is set; else nobody in production, this machine in development. */
export interface InspectorAccess {
  /**
   * Hidden without a token: a built server (`npm start`) unless INSPECTOR_DEV=true, NODE_ENV=production,
   * a non-loopback HOST, and always on Workers and Lambda.
   */
  production: boolean;
  /** INSPECTOR_TOKEN: when set, every request needs it (bearer, or basic auth password). */
  token?: string;
}

/**
 * What a request may do: `open` (it gave the token), `local` (no token is set in development: only
 * requests made on this machine, see `notLocal`), `hidden` answers 404, `unauthorized` 401.
 */
export type AccessDecision = 'open' | 'local' | 'hidden' | 'unauthorized';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;

/** Whether a listening address is this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * The access rules for a Node process listening on `host`. `built`: it runs from dist/ (`npm start`),
 * where the inspector is hidden without a token unless INSPECTOR_DEV=true; under tsx (dev:http,
 * dev:socket) it is open to this machine unless INSPECTOR_DEV=false.
 */
export function nodeAccess(
  config: { HOST: string; NODE_ENV?: string; INSPECTOR_TOKEN?: string; INSPECTOR_DEV?: boolean },
  built = false,
): InspectorAccess {
  const dev = config.INSPECTOR_DEV ?? !built;
  return {
    production: !dev || config.NODE_ENV === 'production' || !isLoopback(config.HOST),
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

/**
 * Rule 1: a token set is always required, wherever the request comes from. Rule 2: without one,
 * production hides the page, and development serves this machine only (`local`).
 */
export async function decide(
  access: InspectorAccess,
  authorization: string | undefined,
): Promise<AccessDecision> {
  if (access.token) {
    const given = presented(authorization);
    if (given === null) return 'unauthorized';
    return (await timingSafeEqual(given, access.token)) ? 'open' : 'unauthorized';
  }
  return access.production ? 'hidden' : 'local';
}

/** What the start-up log says after `inspector: `: how `url` answers in this process. */
export function describeAccess(access: InspectorAccess, url: string): string {
  if (access.token) return `${url} (with INSPECTOR_TOKEN)`;
  if (access.production) return 'hidden: /_inspect answers 404 without INSPECTOR_TOKEN';
  return `${url} (no INSPECTOR_TOKEN: requests made on this machine only, not through a proxy or tunnel)`;
}
