import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isRecord } from './diff.js';
import { ManifestError } from './errors.js';

/** `${NAME}` or `${NAME:-default}`; names are environment-variable style. */
const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{[A-Z][A-Z0-9_]*(?::-[^}]*)?\}$/;

/**
 * The values placeholders are filled from: the environment, plus `APP_URL` (without its trailing
 * slash) and `APP_HOST` (its host name, as unfurl domains take it) from the parsed configuration,
 * so their defaults apply. `SLACK_SOCKET_MODE=1|0` reads as true|false, as the configuration reads it.
 */
export function placeholderValues(env: Record<string, string | undefined>, appUrl: URL): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && value !== '') values.set(name, value);
  values.set('APP_URL', appUrl.href.replace(/\/$/, ''));
  values.set('APP_HOST', appUrl.hostname);
  const socketMode = values.get('SLACK_SOCKET_MODE');
  if (socketMode === '1' || socketMode === '0') values.set('SLACK_SOCKET_MODE', String(socketMode === '1'));
  return values;
}

function fillString(text: string, values: Map<string, string>, path: string): string {
  return text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const value = values.get(name) ?? fallback;
    if (value === undefined)
      throw new ManifestError(`manifest.yaml: ${path} needs ${name}, which is not set`);
    return value;
  });
}

/**
 * Fills `${NAME}` / `${NAME:-default}` in every string of a parsed manifest.
 * A value that is one placeholder alone is read as a YAML scalar (`${SLACK_SOCKET_MODE:-true}` → true),
 * and is left out when it fills to nothing: Slack refuses null fields (a request URL in Socket Mode).
 * @example fillPlaceholders({ a: 'https://${APP_HOST}/x' }, values) // { a: 'https://app.example.com/x' }
 */
export function fillPlaceholders(node: unknown, values: Map<string, string>, path = ''): unknown {
  if (typeof node === 'string') {
    const filled = fillString(node, values, path || '(root)');
    if (!WHOLE.test(node)) return filled;
    return filled === '' ? undefined : parse(filled);
  }
  if (Array.isArray(node)) {
    return node
      .map((item, index) => fillPlaceholders(item, values, `${path}[${index}]`))
      .filter((item) => item !== undefined);
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const filled = fillPlaceholders(value, values, path ? `${path}.${key}` : key);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  return node;
}

/** Reads a manifest YAML file and fills its placeholders: the manifest this environment's app should have. */
export function loadManifest(file: string, values: Map<string, string>): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'error';
    throw new ManifestError(`cannot read ${file} (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ManifestError(`${file} is not valid YAML: ${message}`);
  }
  const filled = fillPlaceholders(parsed, values);
  if (!isRecord(filled)) throw new ManifestError(`${file} is not a manifest (expected a mapping at the top)`);
  return filled;
}
