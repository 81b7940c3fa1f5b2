/** Reading WebClient's errors: Slack's error code and a network failure's reason, as one line. */
import { ErrorCode, type Logger, LogLevel } from '@slack/web-api';
import * as z from 'zod';

const PlatformData = z.looseObject({
  error: z.string(),
  errors: z
    .array(z.looseObject({ message: z.string().optional(), pointer: z.string().optional() }))
    .optional(),
});

/** WebClient's logger, quiet: the commands print one line of their own. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** Slack's error code (`token_expired`) when `error` is a platform error, else undefined. */
export function platformData(error: unknown): z.infer<typeof PlatformData> | undefined {
  if (!(error instanceof Error) || !('code' in error) || error.code !== ErrorCode.PlatformError)
    return undefined;
  const parsed = PlatformData.safeParse('data' in error ? error.data : undefined);
  return parsed.success ? parsed.data : undefined;
}

/** The system error code (`ECONNREFUSED`) under WebClient's and fetch's wrappers, else the innermost message. */
export function networkReason(error: unknown): string {
  let current: unknown = error;
  let message = String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if ('code' in current && typeof current.code === 'string' && /^E[A-Z_]+$/.test(current.code))
      return current.code;
    message = current.message;
    current = 'original' in current && current.original instanceof Error ? current.original : current.cause;
  }
  return message;
}
