const MINUTE_MS = 60_000;

/** `30m`, `1h`, `2d` → milliseconds; null when it is none of those. */
export function parseSince(text: string): number | null {
  const match = /^(\d+)\s*([mhd])$/.exec(text.trim());
  if (!match) return null;
  const unit = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 24 * 60 * MINUTE_MS }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
