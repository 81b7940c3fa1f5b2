import fc from 'fast-check';
import { type Fixture, fixture } from './fixtures.js';

/** The fast-check seed: `FC_SEED` when set (to replay a failure fast-check printed), else a fixed one. */
export const FC_SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 18;

type Path = (string | number)[];

const loaded = new Map<string, Fixture>();
/** `fixture(name)`, read once: properties ask for it on every case. Callers must not mutate it. */
function cached(name: string): Fixture {
  const known = loaded.get(name);
  if (known) return known;
  const f = fixture(name);
  loaded.set(name, f);
  return f;
}

/** One change to a payload, at `path`. */
export type Mutation =
  | { op: 'remove'; path: Path; label: string }
  | { op: 'set'; path: Path; value: unknown; label: string }
  | { op: 'insert'; path: Path; text: string; at: number; label: string };

/** A fixture with its mutations applied, for a property's report. */
export interface MutatedCase {
  name: string;
  kind: Fixture['kind'];
  mutations: Mutation[];
  /** The mutated payload (or envelope, when the cases were made with `wrap`). */
  payload: Record<string, unknown>;
}

/** Every path in `value` (objects and arrays included), the root excepted. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([key, v]) => [[...prefix, key], ...pathsOf(v, [...prefix, key])]);
}

function nest(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const HUGE = 100_000;

/** What a mutation puts in place of a value: wrong types, NULs, lone surrogates, huge, deep. */
const change = fc.oneof(
  fc.constant({ op: 'remove' as const, label: 'removed' }),
  fc
    .constantFrom<unknown>(42, -1.5, 0, true, false, null, [], {}, '', ' ', [1, 'two'], { id: 7 })
    .map((value) => ({ op: 'set' as const, value, label: `set to ${JSON.stringify(value)}` })),
  fc.tuple(fc.constantFrom('\u0000', '\ud800', '\udfff', '\u0000\ud83d'), fc.nat()).map(([text, at]) => ({
    op: 'insert' as const,
    text,
    at,
    label: `${JSON.stringify(text)} inserted`,
  })),
  fc.constantFrom('x', 'é', '\u{1f642}', '\u0000', '\ud800').map((unit) => ({
    op: 'set' as const,
    value: unit.repeat(HUGE / unit.length),
    label: `${HUGE} UTF-16 units of ${JSON.stringify(unit)}`,
  })),
  fc
    .tuple(fc.integer({ min: 64, max: 3000 }), fc.constantFrom('array' as const, 'object' as const))
    .map(([depth, kind]) => ({
      op: 'set' as const,
      value: nest(depth, kind),
      label: `${kind}s nested ${depth} deep`,
    })),
  fc
    .string({ unit: 'binary', maxLength: 40 })
    .map((value) => ({ op: 'set' as const, value, label: `set to ${JSON.stringify(value)}` })),
);

/**
 * Arbitrary mutated cases over the fixtures named: one to three mutations each, anywhere in the
 * payload, or anywhere in what `wrap` makes of the fixture (a Socket Mode envelope).
 */
export function mutatedFixture(
  names: string[],
  wrap: (f: Fixture) => Record<string, unknown> = (f) => f.payload,
): fc.Arbitrary<MutatedCase> {
  return fc.constantFrom(...names).chain((name) => {
    const original = wrap(cached(name));
    const mutation = fc
      .tuple(fc.constantFrom(...pathsOf(original)), change)
      .map(([path, c]): Mutation => ({ ...c, path, label: `${path.join('.')} ${c.label}` }));
    return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => ({
      name,
      kind: cached(name).kind,
      mutations,
      payload: mutate(original, mutations),
      // A failure prints this, not 100 KB strings.
      [fc.toStringMethod]: () => `${name}: ${mutations.map((m) => m.label).join('; ')}`,
    }));
  });
}

/** `payload` with `mutations` applied in turn (a path gone by then is skipped). */
export function mutate(payload: Record<string, unknown>, mutations: Mutation[]): Record<string, unknown> {
  const copy = structuredClone(payload);
  for (const m of mutations) {
    let parent: unknown = copy;
    for (const key of m.path.slice(0, -1)) {
      parent = typeof parent === 'object' && parent !== null ? Reflect.get(parent, key) : undefined;
    }
    const last = m.path.at(-1);
    if (typeof parent !== 'object' || parent === null || last === undefined) continue;
    if (m.op === 'remove') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else Reflect.deleteProperty(parent, last);
    } else if (m.op === 'set') {
      Reflect.set(parent, last, m.value);
    } else {
      const current = Reflect.get(parent, last);
      const text = typeof current === 'string' ? current : 'ab';
      const at = m.at % (text.length + 1);
      Reflect.set(parent, last, `${text.slice(0, at)}${m.text}${text.slice(at)}`);
    }
  }
  return copy;
}

/**
 * The fixture with fresh ids, so it is a new delivery (not a duplicate of an earlier one):
 * event_id and ts, trigger_id, view id.
 */
export function freshFixture(name: string, n: number): Fixture {
  const f = cached(name);
  const payload = structuredClone(f.payload);
  const serial = String(n).padStart(6, '0');
  if (typeof payload.event_id === 'string') payload.event_id = `Ev0FRESH${serial}`;
  const event = payload.event;
  if (typeof event === 'object' && event !== null && 'ts' in event) {
    Reflect.set(event, 'ts', `1764300000.${serial}`);
  }
  if (typeof payload.trigger_id === 'string') payload.trigger_id = `9000.${serial}.fresh`;
  const view = payload.view;
  if (typeof view === 'object' && view !== null && 'id' in view) Reflect.set(view, 'id', `V0FRESH${serial}`);
  return { ...f, payload };
}
