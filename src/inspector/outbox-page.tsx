/** @jsxImportSource hono/jsx */
import type { OutboxRow } from '../db/inspect.js';
import type { WaitingLane } from '../db/lanes.js';
import { EffectTail, type HeaderFacts, Layout, Status } from './layout.js';
import { effectSeen } from './views.js';

/** Effects not done: pending, retrying and failed, with their last error and next attempt. */
export function OutboxPage(props: {
  base: string;
  facts: HeaderFacts;
  rows: OutboxRow[];
  lanes?: WaitingLane[];
  notice?: string;
}) {
  const { base } = props;
  const lanes = props.lanes ?? [];
  return (
    <Layout title="Outbox" base={base} facts={props.facts}>
      <h2>Outbox</h2>
      {props.notice ? <p class="warn">{props.notice}</p> : null}
      <h3>Rate-limit lanes that wait</h3>
      {lanes.length === 0 ? (
        <p data-testid="lanes">No lane waits: every Slack call goes out when its effect runs.</p>
      ) : (
        <table data-testid="lanes">
          <thead>
            <tr>
              <th>lane (workspace, tier or channel)</th>
              <th>calls wait until</th>
            </tr>
          </thead>
          <tbody>
            {lanes.map((lane) => (
              <tr>
                <td>{lane.key}</td>
                <td>
                  {new Date(lane.until).toISOString()} (in{' '}
                  {Math.max(0, Math.round((lane.until - Date.now()) / 100) / 10)} s)
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action={`${base}/outbox/retry-failed`}>
        Retry all failed since{' '}
        <select name="since">
          <option value="1h">1 hour ago</option>
          <option value="6h">6 hours ago</option>
          <option value="24h">1 day ago</option>
          <option value="168h">7 days ago</option>
        </select>{' '}
        <button type="submit">Retry all failed</button>
      </form>
      <table data-testid="outbox">
        <thead>
          <tr>
            <th>id</th>
            <th>delivery</th>
            <th>effect</th>
            <th>status</th>
            <th>attempts</th>
            <th>last error</th>
            <th>next attempt</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={8}>Nothing waiting: every effect is done.</td>
            </tr>
          ) : (
            props.rows.map((row) => {
              const seen = effectSeen(row);
              return (
                <tr data-effect={row.id}>
                  <td>{row.id}</td>
                  <td>
                    <a href={`${base}/deliveries/d${row.delivery_id}`}>{row.dedup_key}</a>
                  </td>
                  <td>{seen.name}</td>
                  <td>
                    <Status status={seen.status === 'retry' ? 'retrying' : row.status} />
                  </td>
                  <td>{row.attempts}</td>
                  <EffectTail base={base} effect={row} />
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </Layout>
  );
}
