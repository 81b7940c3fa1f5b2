/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import { AckMs, type HeaderFacts, Layout, Status, Time } from './layout.js';
import type { ListFilter, ListItem } from './views.js';

const KINDS = [
  'event',
  'command',
  'block_action',
  'view_submission',
  'view_closed',
  'shortcut',
  'message_shortcut',
  'options',
];
const STATUSES = ['failed', 'pending', 'duplicate', 'handler error', 'not taken', 'ok'];

/** The list's rows (also sent alone, for the live tail to swap in). */
export function Rows(props: { items: ListItem[]; base: string }) {
  if (props.items.length === 0) {
    return (
      <tr>
        <td colspan={9}>No deliveries yet.</td>
      </tr>
    );
  }
  return (
    <>
      {props.items.map((item) => (
        <tr data-ref={item.ref} data-status={item.status}>
          <td>
            <Time at={item.at} />
          </td>
          <td>
            <a href={`${props.base}/deliveries/${item.ref}`}>
              {item.kind}
              {item.name ? ` ${item.name}` : ''}
            </a>
          </td>
          <td>{item.team ?? ''}</td>
          <td>{item.channel ?? ''}</td>
          <td>{item.handler ?? (item.outcome === 'none' ? 'no handler' : '')}</td>
          <td>
            <Status status={item.outcome} />
          </td>
          <td>
            <AckMs ms={item.ackMs} />
          </td>
          <td>
            {item.effects.map((e) => (
              <span title={e.error ?? ''}>
                {e.name} <Status status={e.status} />{' '}
              </span>
            ))}
            {item.error ? <span class="err">{item.error}</span> : null}
          </td>
          <td>
            <Status status={item.status} />
          </td>
        </tr>
      ))}
    </>
  );
}

// The live tail: the one thing that needs JavaScript. It refetches the rows when the ring changes.
const LIVE = `
const status = document.getElementById('live');
const es = new EventSource(BASE + '/events');
// A change during a fetch is not dropped: one more fetch follows, so the last change is always shown.
let busy = false, again = false;
es.addEventListener('change', async () => {
  if (busy) { again = true; return; }
  busy = true;
  try {
    do {
      again = false;
      const url = new URL(location.href); url.searchParams.set('rows', '1');
      const res = await fetch(url); document.getElementById('rows').innerHTML = await res.text();
    } while (again);
  } finally { busy = false; }
});
es.onopen = () => { status.textContent = '● live'; };
es.onerror = () => { status.textContent = '○ reconnecting'; };
`;

/** The list of deliveries with its filters. */
export function ListPage(props: {
  base: string;
  facts: HeaderFacts;
  filter: ListFilter;
  items: ListItem[];
  more: boolean;
}) {
  const { filter, base } = props;
  const query = (page: number) => {
    const q = new URLSearchParams();
    for (const key of ['kind', 'status', 'team', 'channel', 'text'] as const) {
      const value = filter[key];
      if (value) q.set(key, value);
    }
    q.set('page', String(page));
    return `${base}?${q}`;
  };
  return (
    <Layout title="Deliveries" base={base} facts={props.facts}>
      <form method="get" action={base}>
        <select name="kind">
          <option value="">every kind</option>
          {KINDS.map((k) => (
            <option value={k} selected={filter.kind === k}>
              {k}
            </option>
          ))}
        </select>{' '}
        <select name="status">
          <option value="">every status</option>
          {STATUSES.map((s) => (
            <option value={s} selected={filter.status === s}>
              {s}
            </option>
          ))}
        </select>{' '}
        <input name="team" placeholder="team" value={filter.team ?? ''} size={12} />{' '}
        <input name="channel" placeholder="channel" value={filter.channel ?? ''} size={12} />{' '}
        <input name="text" placeholder="text" value={filter.text ?? ''} />{' '}
        <button type="submit">Filter</button> <span id="live" />
      </form>
      <table>
        <thead>
          <tr>
            <th>time</th>
            <th>kind / name</th>
            <th>team</th>
            <th>channel</th>
            <th>handler</th>
            <th>dedup</th>
            <th>ack</th>
            <th>effects</th>
            <th>status</th>
          </tr>
        </thead>
        <tbody id="rows">
          <Rows items={props.items} base={base} />
        </tbody>
      </table>
      <p>
        {filter.page > 0 ? <a href={query(filter.page - 1)}>← newer</a> : null}{' '}
        {props.more ? <a href={query(filter.page + 1)}>older →</a> : null}
      </p>
      <script>{raw(`const BASE = ${JSON.stringify(base)};${LIVE}`)}</script>
    </Layout>
  );
}
