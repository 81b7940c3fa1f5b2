/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { OutboxRow } from '../db/inspect.js';
import { SLOW_ACK_MS } from './constants.js';
import type { EffectSeen, EntryStatus } from './ring.js';

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1c1d;background:#fafafa}
header{background:#3f0e40;color:#fff;padding:.6em 1em;display:flex;gap:1.5em;flex-wrap:wrap;align-items:baseline}
header a{color:#fff}header h1{font-size:1.1em;margin:0}
main{padding:1em}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.slow{color:#c00;font-weight:bold}.st{padding:0 .4em;border-radius:3px;font-size:.9em;white-space:nowrap}
.st-done,.st-ok{background:#d9f2e3}.st-failed,.st-retry{background:#fbd9d9}.st-pending{background:#fff3c4}
.st-duplicate,.st-none{background:#e6e6e6}.st-handler-error,.st-not-taken{background:#f9d2f0}
.err{color:#c00}.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}
pre{background:#fff;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:40em;font-size:12px}
form.inline{display:inline}.warn{background:#fff3c4;padding:.5em;border:1px solid #e0c060}
nav a{margin-right:1em}#live{font-size:.9em;color:#7a7}
`;

/** The header's facts about this process. */
export interface HeaderFacts {
  mode: string;
  connection: string | null;
  database: string;
  version: string;
  /** Deliveries of this process by status. */
  lastHour: Record<string, number>;
  /** Effects in the database by status (every process). */
  effectsLastHour: Record<string, number>;
  /** `app_rate_limited` deliveries this process took in the last hour: the team and the time (UTC). */
  rateLimited?: string[];
}

/** The frame of every page: the process header, the navigation and the content. */
export function Layout(props: { title: string; base: string; facts: HeaderFacts; children: Child }) {
  const { facts, base } = props;
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>{props.title} · inspector</title>
          <style>{CSS}</style>
        </head>
        <body>
          <header>
            <h1>
              <a href={base}>Deliveries</a>
            </h1>
            <span data-testid="mode">{facts.mode}</span>
            {facts.connection ? <span>connection: {facts.connection}</span> : null}
            <span>database: {facts.database}</span>
            <span>version {facts.version}</span>
            <span data-testid="last-hour">
              last hour:{' '}
              {Object.entries(facts.lastHour)
                .map(([status, n]) => `${status} ${n}`)
                .join(' · ') || 'nothing'}
            </span>
            <span data-testid="effects-last-hour">
              effects:{' '}
              {Object.entries(facts.effectsLastHour)
                .map(([status, n]) => `${status} ${n}`)
                .join(' · ') || 'none'}
            </span>
          </header>
          {facts.rateLimited?.length ? (
            <p class="warn" data-testid="rate-limited">
              Slack rate-limited this app's events in the last hour (app_rate_limited: over 30,000 a workspace
              an hour, the rest of the minute dropped): {facts.rateLimited.join(', ')}. Subscribe to fewer
              events in manifest.yaml.
            </p>
          ) : null}
          <main>
            <nav>
              <a href={base}>Deliveries</a>
              <a href={`${base}/outbox`}>Outbox</a>
              <a href={`${base}/charts`}>Charts</a>
            </nav>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A status as a coloured tag. */
export function Status(props: { status: EntryStatus | EffectSeen['status'] | string }) {
  return <span class={`st st-${props.status.replace(/ /g, '-')}`}>{props.status}</span>;
}

/** Ack time, red past 2.5 s. */
export function AckMs(props: { ms: number | null }) {
  if (props.ms === null) return <span>–</span>;
  return <span class={props.ms > SLOW_ACK_MS ? 'slow' : ''}>{props.ms.toFixed(1)} ms</span>;
}

/** A value as indented JSON. */
export function Json(props: { value: unknown; testid?: string }) {
  return <pre data-testid={props.testid}>{JSON.stringify(props.value, null, 2) ?? 'null'}</pre>;
}

/** A time as HH:MM:SS (UTC), with the full date in its title. */
export function Time(props: { at: Date }) {
  return <time title={props.at.toISOString()}>{props.at.toISOString().slice(11, 19)}</time>;
}

/** An outbox row's last cells: its last error, when it runs next, and Retry for one that failed. */
export function EffectTail(props: {
  base: string;
  effect: Pick<OutboxRow, 'id' | 'status' | 'last_error' | 'next_attempt_at'>;
}) {
  const { base, effect } = props;
  return (
    <>
      <td class="err">{effect.last_error ?? ''}</td>
      <td>{effect.status === 'pending' ? <Time at={effect.next_attempt_at} /> : ''}</td>
      <td>
        {effect.status === 'failed' ? (
          <form class="inline" method="post" action={`${base}/outbox/${effect.id}/retry`}>
            <button type="submit">Retry</button>
          </form>
        ) : null}
      </td>
    </>
  );
}
