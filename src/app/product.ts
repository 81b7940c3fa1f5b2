import * as z from 'zod';
import { EffectError } from '../core/errors.js';
import type { Settings } from './settings.js';

export const SummarySchema = z.object({ summary: z.string() });

/** An organization's one-line summary: `GET <PRODUCT_API_URL>/orgs/<slug>` → `{ summary }`. */
export async function readOrgSummary(
  settings: Settings,
  slug: string,
  options: { signal: AbortSignal; idempotencyKey: string; fetcher: typeof fetch },
): Promise<z.infer<typeof SummarySchema>> {
  if (!settings.productApi) throw new EffectError('PRODUCT_API_URL is not set', { retryable: false });
  const url = new URL(`orgs/${encodeURIComponent(slug)}`, settings.productApi);
  const response = await options.fetcher(url, {
    signal: options.signal,
    headers: { 'idempotency-key': options.idempotencyKey },
  });
  if (!response.ok) {
    await response.body?.cancel();
    // 4xx will not change; 5xx and 429 may.
    const retryable = response.status >= 500 || response.status === 429;
    throw new EffectError(`the product API answered ${response.status}`, { retryable });
  }
  return SummarySchema.parse(await response.json());
}
