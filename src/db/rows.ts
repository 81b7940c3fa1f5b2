import type * as z from 'zod';

/**
 * The rows of a raw `db.execute()` result, checked by `schema`. postgres.js returns an array,
 * PGlite an object with `rows`; bigint columns come back as strings from one and numbers from the other.
 */
export function rows<T extends z.ZodType>(result: unknown, schema: T): z.infer<T>[] {
  const list = Array.isArray(result)
    ? result
    : typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)
      ? result.rows
      : [];
  return list.map((row) => schema.parse(row));
}
