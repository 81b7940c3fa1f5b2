import { StartupError } from './cli.js';

/** A listen error with its errno-style code (`EADDRINUSE`, `ENOTFOUND`, …). */
const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

const HOST_HINT =
  'set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. in a container)';

/**
 * Turns what `server.listen` fails with into the one line a person can act on (a `StartupError`),
 * or returns the error unchanged when it is not one of the everyday mistakes.
 *
 * @example describeListenError(eaddrinuse, { host: '127.0.0.1', port: 3000 }).message
 * // 'port 3000 is in use on 127.0.0.1 (another dev:http?): stop that process, or pick another port with PORT=3001'
 */
export function describeListenError(error: unknown, at: { host: string; port: number }): unknown {
  const next = at.port < 65535 ? at.port + 1 : 3000;
  switch (codeOf(error)) {
    case 'EADDRINUSE':
      return new StartupError(
        `port ${at.port} is in use on ${at.host} (another dev:http?): stop that process, or pick another port with PORT=${next}`,
      );
    case 'EACCES':
      return new StartupError(
        `port ${at.port} needs root on this machine: pick a port above 1023 with PORT=3000`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`HOST=${at.host} is not a name this machine can resolve: ${HOST_HINT}`);
    case 'EADDRNOTAVAIL':
      return new StartupError(`HOST=${at.host} is not an address of this machine: ${HOST_HINT}`);
    default:
      return error;
  }
}
