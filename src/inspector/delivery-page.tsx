/** @jsxImportSource hono/jsx */
import { storedEffectName } from '../core/stored-effect.js';
import type { ChainNode } from '../db/chain.js';
import type { DeliveryRow } from '../db/inspect.js';
import { redactValue } from '../log/redact.js';
import { AckMs, EffectTail, type HeaderFacts, Json, Layout, Status, Time } from './layout.js';
import { rawPayload } from './replay.js';
import type { RingEntry } from './ring.js';
import { StreamSection } from './stream-view.js';

/** Splits a stored event into Slack's payload and the normalized fields around it. */
function sides(event: Record<string, unknown>) {
  const { payload: _payload, body: _body, ...normalized } = event;
  return { raw: rawPayload(event).payload, normalized };
}

/** A delivery: what Slack sent, what it became, what the handler returned, each effect's attempts. */
export function DeliveryPage(props: {
  base: string;
  facts: HeaderFacts;
  ref: string;
  entry: RingEntry | null;
  row: DeliveryRow | null;
  /** The conversation from this delivery on: its effects, the steps they fed, theirs, … */
  chain?: ChainNode | null;
  /** Where this delivery came from, when it is a step. */
  origin?: { id: number; kind: string; name: string | null; position: number } | null;
  notice?: string;
}) {
  const { entry, row, base, ref } = props;
  // Stored redacted, and redacted again as it is shown (an older row, a row another process wrote).
  const stored = row ? redactValue(row.event) : null;
  const event = entry?.event ?? (isRecord(stored) ? stored : null);
  const key = entry?.key ?? row?.dedup_key ?? '';
  const title = `${entry?.kind ?? row?.kind} ${entry?.name ?? row?.name ?? ''}`;
  return (
    <Layout title={title} base={base} facts={props.facts}>
      <h2>{title}</h2>
      {props.notice ? <p class="warn">{props.notice}</p> : null}
      <table>
        <tbody>
          <tr>
            <th>key</th>
            <td>{key}</td>
            <th>received</th>
            <td>
              <Time at={entry?.at ?? row?.received_at ?? new Date(0)} />
            </td>
          </tr>
          <tr>
            <th>source</th>
            <td>{entry?.source ?? row?.source ?? ''}</td>
            <th>team / channel / user</th>
            <td>
              {entry?.team ?? row?.team_id ?? '–'} / {entry?.channel ?? row?.channel_id ?? '–'} /{' '}
              {entry?.user ?? row?.user_id ?? '–'}
            </td>
          </tr>
          <tr>
            <th>handler</th>
            <td>{entry?.handler ?? row?.handler ?? 'none'}</td>
            <th>dedup / ack</th>
            <td>
              <Status status={entry?.outcome ?? 'new'} /> <AckMs ms={entry?.ackMs ?? row?.ack_ms ?? null} />
            </td>
          </tr>
        </tbody>
      </table>
      {entry?.error ? <p class="err">{entry.error}</p> : null}
      {props.origin ? (
        <p data-testid="step-origin">
          A step of{' '}
          <a href={`${base}/deliveries/d${props.origin.id}`}>
            {props.origin.kind} {props.origin.name ?? ''}
          </a>
          : the result of its effect #{props.origin.position}.
        </p>
      ) : null}
      <h3>Effects</h3>
      <table data-testid="effects">
        <thead>
          <tr>
            <th>#</th>
            <th>effect</th>
            <th>status</th>
            <th>attempts</th>
            <th>last error</th>
            <th>next attempt</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {row
            ? row.effects.map((e) => (
                <tr data-effect={e.id}>
                  <td>{e.position}</td>
                  <td>
                    {row.streams?.some((s) => s.outboxId === e.id) ? (
                      <a href={`#stream-${e.id}`}>{storedEffectName(e.action)}</a>
                    ) : (
                      storedEffectName(e.action)
                    )}
                  </td>
                  <td>
                    <Status status={e.status} />
                  </td>
                  <td>
                    {e.attempts}
                    {e.manual_retries > 0 ? ` (manual retries: ${e.manual_retries})` : ''}
                  </td>
                  <EffectTail base={base} effect={{ ...e, last_error: redactText(e.last_error) }} />
                </tr>
              ))
            : (entry?.effects ?? []).map((e, i) => (
                <tr>
                  <td>{i}</td>
                  <td>{e.name}</td>
                  <td>
                    <Status status={e.status} />
                  </td>
                  <td>{e.attempts}</td>
                  <td class="err">{e.error ?? ''}</td>
                  <td />
                  <td />
                </tr>
              ))}
        </tbody>
      </table>
      {row ? (
        <StreamSection effects={row.effects} streams={row.streams ?? []} receivedAt={row.received_at} />
      ) : null}
      {props.chain?.effects.some((e) => e.step) ? (
        <>
          <h3>Conversation</h3>
          <Chain base={base} node={props.chain} />
        </>
      ) : null}
      <h3>Replay</h3>
      {event ? (
        <form method="post" action={`${base}/deliveries/${ref}/replay`}>
          <p class="warn">
            Replay sends this payload through today's route table as a new delivery (
            <code>replay:{key}:n</code>): <strong>its effects run again</strong> (messages are posted again).
            A dry run shows the actions and runs nothing.
          </p>
          <button type="submit" name="mode" value="dry-run">
            Replay dry-run
          </button>{' '}
          <button type="submit" name="mode" value="run">
            Replay
          </button>{' '}
          <a href={`${base}/deliveries/${ref}/fixture.json`}>Save as fixture</a>
        </form>
      ) : (entry?.kind ?? row?.kind) === 'step' ? (
        <p>A step is not replayed on its own: replay the delivery the conversation started from.</p>
      ) : (
        <p>
          The event was not kept (DELIVERY_PAYLOADS is off, and this process did not take it): it cannot be
          replayed here.
        </p>
      )}
      {entry ? (
        <>
          <h3>Ack body</h3>
          <Json value={entry.ackBody} />
          <h3>Actions</h3>
          <Json value={entry.actions} testid="actions" />
        </>
      ) : row ? (
        <>
          <h3>Actions</h3>
          <Json value={redactValue(row.effects.map((e) => e.action))} testid="actions" />
        </>
      ) : null}
      {event ? (
        <div class="side">
          <div>
            <h3>Slack's payload (redacted)</h3>
            <Json value={sides(event).raw} testid="raw" />
          </div>
          <div>
            <h3>Normalized event</h3>
            <Json value={sides(event).normalized} testid="normalized" />
          </div>
        </div>
      ) : null}
    </Layout>
  );
}

/** Each effect, and the step its result fed (with that step's own effects), as nested lists. */
function Chain(props: { base: string; node: ChainNode }) {
  return (
    <ul class="chain" data-testid="chain">
      {props.node.effects.map((effect) => (
        <li>
          {effect.name} <Status status={effect.status} />
          {effect.step ? (
            <>
              {' → step '}
              <a href={`${props.base}/deliveries/d${effect.step.id}`}>{effect.step.name ?? '?'}</a>
              {` (${effect.step.handler ?? 'no handler'})`}
              <Chain base={props.base} node={effect.step} />
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

const redactText = (text: string | null) => (text === null ? null : String(redactValue(text)));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
