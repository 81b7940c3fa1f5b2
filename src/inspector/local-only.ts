/**
 * Headers a proxy or tunnel adds (ngrok, cloudflared, nginx, Caddy, load balancers and CDNs). A
 * request made on this machine carries none of them; one that came through the events port's
 * public URL carries at least one.
 */
export const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'cdn-loop',
  'via',
] as const;

/** A loopback name, with any port: what a browser on this machine sends as `Host`. */
const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d{1,5})?$/i;
/** A page served from this machine, as a browser names it in `Origin`. */
const LOOPBACK_ORIGIN = /^https?:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d{1,5})?$/i;
/** A loopback peer address, IPv4-mapped included. */
const LOOPBACK_PEER = /^((::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/i;

/** What is known about where a request came from. */
export interface RequestFacts {
  method: string;
  /** The `Host` header, else the host of the request's URL. */
  host: string;
  header(name: string): string | undefined;
  /** The TCP peer's address, where the runtime tells it (Node); undefined elsewhere. */
  peer?: string;
}

/** Why a request may not open the inspector without a token: a code for the log and the body, and words. */
export interface NotLocal {
  code: 'forwarded' | 'foreign_host' | 'foreign_peer' | 'foreign_origin';
  message: string;
}

const refuse = (code: NotLocal['code'], why: string): NotLocal => ({
  code,
  message: `${why}; without INSPECTOR_TOKEN the inspector serves requests made on this machine only`,
});

/**
 * Whether a request to the token-less dev inspector did not come from this machine directly. Tunnels
 * and reverse proxies forward to loopback, so a loopback listener is not enough; and a page whose own
 * name resolves to 127.0.0.1 (DNS rebinding) reaches it with its own `Host` and `Origin`.
 *
 * @example notLocal({ method: 'GET', host: 'abc.ngrok.app', header: () => undefined }) // { code: 'foreign_host', … }
 */
export function notLocal(request: RequestFacts): NotLocal | null {
  // Rule 1: nothing a proxy adds.
  const forwarded = FORWARDING_HEADERS.find((name) => request.header(name) !== undefined);
  if (forwarded) return refuse('forwarded', `the request came through a proxy or tunnel (${forwarded})`);
  // Rule 2: a loopback name as Host. Another name is a tunnel's public name, or a rebound one.
  if (!LOOPBACK_HOST.test(request.host))
    return refuse('foreign_host', 'its Host is not 127.0.0.1, localhost or [::1]');
  // Rule 3: a loopback peer, where the runtime says who it is.
  if (request.peer !== undefined && !LOOPBACK_PEER.test(request.peer))
    return refuse('foreign_peer', 'the request came from another machine');
  // Rule 4: a form posted from a page on this machine (or no Origin at all: curl, not a browser).
  const origin = request.header('origin');
  if (request.method !== 'GET' && request.method !== 'HEAD' && origin !== undefined) {
    if (!LOOPBACK_ORIGIN.test(origin))
      return refuse('foreign_origin', 'the form was posted from a page not on this machine');
  }
  return null;
}
