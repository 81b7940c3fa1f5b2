// What a delivery sent by `npm run trigger` led to, read back from the server's inspector: the
// handler that ran and each effect recorded for it with its state, so the trigger reports what
// happened rather than what a template expects.

/** One effect recorded for the delivery, as the inspector lists it. */
export interface SeenEffect {
  name: string;
  status: string;
  error: string;
}

/** The inspector's row for a delivery. */
export interface Outcome {
  handler: string;
  /** The dedup outcome: `new`, `duplicate`, `none` (nothing to record), … */
  dedup: string;
  effects: SeenEffect[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
const text = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_m, name: string) => ENTITIES[name] ?? '');

/**
 * The first row of the inspector's list rows (`/_inspect/?rows=1`): its handler cell and effect
 * cell. The cells are, in order: time, delivery, team, channel, handler, dedup, ack, effects, status.
 */
export function parseRow(html: string): Outcome | null {
  const row = /<tr data-ref="[^"]*"[^>]*>([\s\S]*?)<\/tr>/.exec(html)?.[1];
  if (!row) return null;
  const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1] ?? '');
  const effects = [
    ...(cells[7] ?? '').matchAll(/<span title="([^"]*)">([^<]*?) <span class="st[^"]*">([^<]*)<\/span>/g),
  ].map((m) => ({ name: text(m[2] ?? '').trim(), status: text(m[3] ?? ''), error: text(m[1] ?? '') }));
  return { handler: text(cells[4] ?? '').trim(), dedup: text(cells[5] ?? '').trim(), effects };
}

/** One line saying what the delivery led to. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.dedup === 'duplicate') return 'a duplicate of a delivery the server has: acked, nothing ran';
  if (outcome.handler === '' || outcome.handler === 'no handler')
    return 'no handler for it: acked and ignored (routes are in src/app/routes.ts)';
  const effects = outcome.effects.map((e) => `${e.name} ${e.status}${e.error ? ` (${e.error})` : ''}`);
  return `handler ${outcome.handler}: ${effects.length > 0 ? effects.join(', ') : 'no effects'}`;
}

const settled = (outcome: Outcome) => outcome.effects.every((e) => e.status !== 'pending');

/**
 * Asks the inspector at `inspectUrl` for the delivery `key` until its effects have run (or `waitMs`
 * passed). Null when the inspector does not answer (hidden, or another server).
 */
export async function fetchOutcome(
  inspectUrl: URL,
  key: string,
  options: { waitMs?: number; headers?: Record<string, string> } = {},
): Promise<Outcome | null> {
  const url = new URL(inspectUrl);
  url.searchParams.set('rows', '1');
  url.searchParams.set('text', key);
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let last: Outcome | null = null;
  for (;;) {
    const response = await fetch(url, { headers: options.headers }).catch(() => null);
    if (!response?.ok) return last;
    last = parseRow(await response.text());
    if ((last && settled(last)) || Date.now() > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
