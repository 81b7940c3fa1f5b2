/** `npm run dev`: the Socket Mode shim when SLACK_SOCKET_MODE=true, else the HTTP server. */
import { nodeConfig, runMain } from '../src/runtime/cli.js';

runMain(async () => {
  const config = nodeConfig();
  if (config.SLACK_SOCKET_MODE) await import('../src/runtime/socket.js');
  else await import('../src/runtime/node.js');
});
