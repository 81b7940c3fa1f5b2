import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { ManifestError } from './errors.js';

/** Where a person gets a configuration token pair. */
export const CREATE_CONFIG_TOKENS =
  'create them at https://api.slack.com/apps → "Your App Configuration Tokens" → Generate Token, and set SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN in .env';

/** An app configuration token (12 hours) and the refresh token that replaces it, once. */
export interface ConfigTokenPair {
  token: string | undefined;
  refreshToken: string | undefined;
}

const TokensSchema = z.object({
  SLACK_CONFIG_TOKEN: z.string().startsWith('xoxe.', 'must start with xoxe.xoxp-').optional(),
  SLACK_CONFIG_REFRESH_TOKEN: z.string().startsWith('xoxe-', 'must start with xoxe-').optional(),
});

/** Reads the pair from the environment; one line naming the variable when missing or malformed (never its value). */
export function readConfigTokens(env: Record<string, string | undefined>): ConfigTokenPair {
  const parsed = TokensSchema.safeParse({
    SLACK_CONFIG_TOKEN: env.SLACK_CONFIG_TOKEN || undefined,
    SLACK_CONFIG_REFRESH_TOKEN: env.SLACK_CONFIG_REFRESH_TOKEN || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(
      `${String(issue?.path[0])} is invalid (${issue?.message}): ${CREATE_CONFIG_TOKENS}`,
      'token',
    );
  }
  const { SLACK_CONFIG_TOKEN: token, SLACK_CONFIG_REFRESH_TOKEN: refreshToken } = parsed.data;
  if (!token && !refreshToken)
    throw new ManifestError(
      `SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN are required: ${CREATE_CONFIG_TOKENS}`,
      'token',
    );
  return { token, refreshToken };
}

const LINE = /^(export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/;

/**
 * `text` (a .env file) with the lines of `values`' keys replaced and any missing ones appended;
 * every other byte is kept.
 */
export function replaceEnvLines(text: string, values: Record<string, string>): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const seen = new Set<string>();
  const lines = text.split(/(?<=\n)/).map((line) => {
    const match = LINE.exec(line);
    const key = match?.[2];
    if (!key || !(key in values)) return line;
    seen.add(key);
    const ending = /\r?\n$/.exec(line)?.[0] ?? '';
    return `${match[1] ?? ''}${key}=${values[key]}${ending}`;
  });
  let out = lines.join('');
  const missing = Object.keys(values).filter((key) => !seen.has(key));
  if (missing.length > 0) {
    if (out !== '' && !out.endsWith('\n')) out += eol;
    out += missing.map((key) => `${key}=${values[key]}${eol}`).join('');
  }
  return out;
}

/** Throws unless `file` can be written (checked before a rotation, which spends the refresh token). */
export function assertWritable(file: string): void {
  try {
    accessSync(existsSync(file) ? file : dirname(file), constants.W_OK);
  } catch {
    throw new ManifestError(
      `cannot rotate the config token: ${file} is not writable, and the new pair must be saved there`,
      'token',
    );
  }
}

/** Writes the pair into `file` (created if absent), replacing the two lines; atomic, mode kept. */
export function writeConfigTokens(file: string, pair: { token: string; refreshToken: string }): void {
  const exists = existsSync(file);
  const before = exists ? readFileSync(file, 'utf8') : '';
  const after = replaceEnvLines(before, {
    SLACK_CONFIG_TOKEN: pair.token,
    SLACK_CONFIG_REFRESH_TOKEN: pair.refreshToken,
  });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, after, { mode: exists ? statSync(file).mode & 0o777 : 0o600 });
  renameSync(temp, file);
}
