/**
 * A field-by-field diff of two Slack app manifests (live → local). Pure: no I/O.
 * Lists of scalars (scopes, events, domains, redirect URLs) are sets; lists of objects with a
 * key field (slash commands by `command`, shortcuts by `callback_id`) are matched by that key.
 */

/** One difference. `added`: only in the local file; `removed`: only in the live app; `changed`: both, unequal. */
export interface ManifestChange {
  kind: 'added' | 'removed' | 'changed';
  /** `settings.event_subscriptions.bot_events` or `features.slash_commands[/link].description`. */
  path: string;
  /** A set element (or keyed list item) rather than a field. */
  element: boolean;
  live?: unknown;
  local?: unknown;
}

/** Any value: the field may be absent or hold whatever Slack puts there. */
export const ANY = Symbol('any');

/**
 * Fields Slack adds on export that a local file may leave out: equal when one side lacks the field
 * and the other holds this value. Slack's manifest reference gives these defaults.
 * https://docs.slack.dev/reference/app-manifest
 */
export const EXPORT_DEFAULTS: Readonly<Record<string, unknown>> = {
  _metadata: ANY, // manifest schema version, e.g. { major_version: 1, minor_version: 1 }
  'settings.org_deploy_enabled': false,
  'settings.is_hosted': false,
  'settings.token_rotation_enabled': false,
  'settings.socket_mode_enabled': false,
  'oauth_config.token_management_enabled': false,
  'oauth_config.pkce_enabled': false,
  'features.bot_user.always_online': false,
};

/** Fields that identify an item in a list of objects, tried in order. */
const KEY_FIELDS = ['command', 'callback_id', 'name'];

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so key order never counts. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

function isDefault(path: string, value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return true; // an empty list equals no list
  if (!(path in EXPORT_DEFAULTS)) return false;
  const expected = EXPORT_DEFAULTS[path];
  return expected === ANY || same(expected, value);
}

/** A field that names every item of both lists, once per list. */
function keyField(lists: unknown[][]): string | undefined {
  return KEY_FIELDS.find((field) =>
    lists.every((items) => {
      const keys = items.map((item) => (isRecord(item) ? item[field] : undefined));
      return keys.every((key) => typeof key === 'string') && new Set(keys).size === keys.length;
    }),
  );
}

function diffLists(path: string, live: unknown[], local: unknown[], out: ManifestChange[]): void {
  if ([...live, ...local].every(isScalar)) {
    const liveSet = new Map(live.map((item) => [canonical(item), item]));
    const localSet = new Map(local.map((item) => [canonical(item), item]));
    for (const [key, item] of localSet)
      if (!liveSet.has(key)) out.push({ kind: 'added', path, element: true, local: item });
    for (const [key, item] of liveSet)
      if (!localSet.has(key)) out.push({ kind: 'removed', path, element: true, live: item });
    return;
  }
  const field = keyField([live, local]);
  if (field) {
    const byKey = (items: unknown[]) =>
      new Map(items.filter(isRecord).map((item) => [String(item[field]), item] as const));
    const liveItems = byKey(live);
    const localItems = byKey(local);
    for (const [key, item] of localItems) {
      const other = liveItems.get(key);
      if (other) diffValues(`${path}[${key}]`, other, item, out);
      else out.push({ kind: 'added', path, element: true, local: item });
    }
    for (const [key, item] of liveItems)
      if (!localItems.has(key)) out.push({ kind: 'removed', path, element: true, live: item });
    return;
  }
  for (let i = 0; i < Math.max(live.length, local.length); i++) {
    diffValues(`${path}[${i}]`, live[i], local[i], out);
  }
}

function diffValues(path: string, live: unknown, local: unknown, out: ManifestChange[]): void {
  if (live === undefined && local === undefined) return;
  if (live === undefined) {
    if (!isDefault(path, local)) out.push({ kind: 'added', path, element: false, local });
  } else if (local === undefined) {
    if (!isDefault(path, live)) out.push({ kind: 'removed', path, element: false, live });
  } else if (isRecord(live) && isRecord(local)) {
    for (const key of new Set([...Object.keys(local), ...Object.keys(live)]))
      diffValues(path ? `${path}.${key}` : key, live[key], local[key], out);
  } else if (Array.isArray(live) && Array.isArray(local)) {
    diffLists(path, live, local, out);
  } else if (!same(live, local)) {
    out.push({ kind: 'changed', path, element: false, live, local });
  }
}

/** What differs between the live app's manifest and the local one; empty when they are equal. */
export function diffManifests(
  live: Record<string, unknown>,
  local: Record<string, unknown>,
): ManifestChange[] {
  const out: ManifestChange[] = [];
  diffValues('', live, local, out);
  return out;
}

/** Changes the live app has that the local file does not: pushing the local file would lose them. */
export function liveDrift(changes: ManifestChange[]): ManifestChange[] {
  return changes.filter((change) => change.kind !== 'added');
}

function show(value: unknown, bare: boolean): string {
  if (value === undefined) return '(absent)';
  return bare && typeof value === 'string' ? value : canonical(value);
}

/**
 * One line per change: `bot_events[+] reaction_added` (only local), `bot_events[-] x` (only live),
 * `display_information.name: "Live" → "Local"`.
 */
export function formatChange(change: ManifestChange): string {
  if (change.element) {
    return change.kind === 'added'
      ? `${change.path}[+] ${show(change.local, true)}`
      : `${change.path}[-] ${show(change.live, true)}`;
  }
  return `${change.path}: ${show(change.live, false)} → ${show(change.local, false)}`;
}
