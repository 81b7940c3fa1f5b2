/** @jsxImportSource hono/jsx */
import { storedEffectName } from '../core/stored-effect.js';
import type { EffectRow } from '../db/inspect.js';
import type { StreamCall, StreamMessage, StreamRow } from '../db/streams.js';
import { redactValue } from '../log/redact.js';

const CSS = `
.stream td.n,.stream th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.stream table{margin-bottom:.8em}.stream code{font-size:12px;color:#444;white-space:pre-wrap}.stream em{color:#888}.stream h4{margin:.8em 0 .3em}
`;

/** The Slack method behind each call the streamer records. */
const METHOD: Record<StreamCall['call'], string> = {
  start: 'chat.startStream',
  append: 'chat.appendStream',
  stop: 'chat.stopStream',
  close: 'chat.stopStream (close)',
};

/** The coloured tag of a stream's status or a message's end, in the classes the other tables use. */
const TAG: Record<string, string> = {
  streaming: 'pending',
  open: 'pending',
  complete: 'done',
  continued: 'done',
  stopped: 'none',
  time_limit: 'retry',
  interrupted: 'retry',
  failed: 'failed',
};

const EXCERPT_CHARS = 100;

/** How the answer ended, in a sentence. */
function ending(stream: StreamRow): string {
  switch (stream.status) {
    case 'complete':
      return 'written whole, ended with chat.stopStream';
    case 'stopped':
      return 'stopped by the user: the message keeps what was written';
    case 'time_limit':
      return 'cut at the time limit: the message keeps what was written';
    case 'failed':
      return 'failed: the message was closed and the outbox redoes the answer';
    case 'streaming':
      return stream.stopRequested
        ? 'streaming; a stop was asked for and reaches it at its next call'
        : 'streaming (or its process died: the retry closes the message with a note)';
  }
}

/** A call's text, redacted and cut, newlines shown. */
function excerpt(text: string): { short: string; kept: string } {
  const kept = String(redactValue(text)).replace(/\n/g, '↵');
  return { short: kept.length > EXCERPT_CHARS ? `${kept.slice(0, EXCERPT_CHARS)}…` : kept, kept };
}

const since = (at: string, first: number) => `+${Math.round(Date.parse(at) - first)}`;

/**
 * The streams of a delivery's stream effects: how each ended, the messages it was written into,
 * and every Slack call with its time (ms after the first), duration, characters and text.
 */
export function StreamSection(props: { effects: EffectRow[]; streams: StreamRow[]; receivedAt: Date }) {
  const byId = new Map(props.streams.map((s) => [s.outboxId, s]));
  const effects = props.effects.filter((e) => storedEffectName(e.action).startsWith('stream '));
  if (effects.length === 0) return null;
  return (
    <div class="stream" data-testid="streams">
      <style>{CSS}</style>
      <h3>Streams</h3>
      {effects.map((effect) => {
        const stream = byId.get(effect.id);
        const name = `#${effect.position} ${storedEffectName(effect.action)}`;
        return stream ? (
          <Stream name={name} stream={stream} receivedAt={props.receivedAt} />
        ) : (
          <p id={`stream-${effect.id}`}>{name}: not started yet.</p>
        );
      })}
    </div>
  );
}

function Stream(props: { name: string; stream: StreamRow; receivedAt: Date }) {
  const { stream } = props;
  // A message's time is taken just before its chat.startStream call's: the earlier is time zero.
  const times = [...stream.calls, ...stream.messages].map((x) => Date.parse(x.at));
  const first = times.length > 0 ? Math.min(...times) : props.receivedAt.getTime();
  const last = stream.calls.at(-1);
  const written = stream.calls.filter((c) => !c.error && c.call !== 'close').reduce((n, c) => n + c.chars, 0);
  const firstText = stream.calls.find((c) => !c.error && c.chars > 0);
  return (
    <section id={`stream-${stream.outboxId}`} data-stream={stream.outboxId}>
      <h4>
        {props.name} <span class={`st st-${TAG[stream.status]}`}>{stream.status}</span>
      </h4>
      <p data-testid="stream-end">
        {ending(stream)}. To {stream.channel}, thread {stream.threadTs}: {stream.messages.length}{' '}
        {stream.messages.length === 1 ? 'message' : 'messages'}, {written} chars in {stream.calls.length}{' '}
        calls
        {last ? ` over ${Math.round(Date.parse(last.at) + last.ms - first)} ms` : ''}
        {firstText
          ? `; first text ${Math.round(Date.parse(firstText.at) + firstText.ms - props.receivedAt.getTime())} ms after the delivery was received`
          : ''}
        .
      </p>
      <table data-testid="stream-messages">
        <thead>
          <tr>
            <th>message ts</th>
            <th class="n">started (ms)</th>
            <th class="n">attempt</th>
            <th>end</th>
          </tr>
        </thead>
        <tbody>
          {stream.messages.map((m: StreamMessage) => (
            <tr>
              <td>{m.ts}</td>
              <td class="n">{since(m.at, first)}</td>
              <td class="n">{m.attempt}</td>
              <td>
                <span class={`st st-${TAG[m.end ?? 'open']}`}>{m.end ?? 'open'}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table data-testid="stream-calls">
        <thead>
          <tr>
            <th class="n">#</th>
            <th>Slack call</th>
            <th class="n">at (ms)</th>
            <th class="n">took (ms)</th>
            <th>message ts</th>
            <th class="n">chars</th>
            <th class="n">other parts</th>
            <th>text</th>
            <th>error</th>
          </tr>
        </thead>
        <tbody>
          {stream.calls.map((c, i) => {
            const text = excerpt(c.text);
            return (
              <tr data-call={c.call}>
                <td class="n">{i + 1}</td>
                <td>{METHOD[c.call]}</td>
                <td class="n">{since(c.at, first)}</td>
                <td class="n">{c.ms}</td>
                <td>{c.ts ?? '–'}</td>
                <td class="n">{c.chars}</td>
                <td class="n">{c.parts || ''}</td>
                <td>
                  {c.text === '' && c.chars > 0 ? (
                    <em>(not kept)</em>
                  ) : (
                    <code title={text.kept}>{text.short}</code>
                  )}
                </td>
                <td class="err">{c.error ? String(redactValue(c.error)) : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
