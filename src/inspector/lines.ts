import type { DeliveryRow, OutboxRow } from '../db/inspect.js';
import { redactValue } from '../log/redact.js';
import { SLOW_ACK_MS } from './constants.js';
import { effectSeen } from './views.js';

/** One line for a recorded delivery: id, time, kind/name, team, channel, handler, ack, effects. */
export function deliveryLine(row: DeliveryRow): string {
  const ack =
    row.ack_ms === null
      ? 'ack=?'
      : `ack=${row.ack_ms.toFixed(1)}ms${row.ack_ms > SLOW_ACK_MS ? '(slow)' : ''}`;
  const effects = row.effects.map((e) => {
    const seen = effectSeen(e);
    return `${seen.name}:${seen.status}${seen.error ? `(${seen.error})` : ''}`;
  });
  return [
    `#${row.id}`,
    row.received_at.toISOString().replace('T', ' ').slice(0, 19),
    `${row.kind}:${row.name ?? '?'}`,
    row.team_id ?? '-',
    row.channel_id ?? '-',
    row.handler ?? '-',
    ack,
    effects.join(' ') || 'no effects',
  ].join('  ');
}

/** One line for an effect's new state: effect id, delivery, name, status, attempts, error. */
export function effectLine(row: OutboxRow): string {
  const seen = effectSeen(row);
  const retries = row.manual_retries > 0 ? ` manual_retries=${row.manual_retries}` : '';
  return `  effect ${row.id} of #${row.delivery_id} ${seen.name} ${seen.status} attempts=${row.attempts}${retries}${row.last_error ? ` error=${String(redactValue(row.last_error))}` : ''}`;
}
