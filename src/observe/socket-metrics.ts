import { Counter, Gauge, type Registry } from 'prom-client';
import { PREFIX } from './metrics.js';

/** Socket Mode's metrics, fed by the socket pool (`onOpened`) and read from it at scrape time. */
export interface SocketMetrics {
  /** A connection opened: `start`, `refresh` (Slack asked) or `reconnect` (after a drop or a refusal). */
  opened(reason: string): void;
}

/**
 * `slack_router_socket_connections` (open in this process, read from `open()` at scrape time) and
 * `slack_router_socket_opens_total{reason}`, in the router's registry.
 *
 * @example const socket = socketMetrics(metrics.registry, () => pool.status().here);
 */
export function socketMetrics(registry: Registry, open: () => number): SocketMetrics {
  new Gauge({
    name: `${PREFIX}socket_connections`,
    help: 'Socket Mode connections open in this process, read at scrape time',
    registers: [registry],
    collect() {
      this.set(open());
    },
  });
  const opens = new Counter({
    name: `${PREFIX}socket_opens_total`,
    help: 'Socket Mode connections opened, by reason: start, refresh (Slack asked), reconnect (after a drop)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    opened(reason: string) {
      opens.labels(reason).inc();
    },
  };
}
