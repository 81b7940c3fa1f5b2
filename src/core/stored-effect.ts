import * as z from 'zod';
import type { ApiCall, Effect, EffectType, Respond, StoreWrite } from './action.js';
import { API_METHOD_NAME } from './web-api.js';

const ApiShape = z.object({
  type: z.literal('api'),
  method: z.string().regex(API_METHOD_NAME),
  args: z.record(z.string(), z.unknown()),
});
const RespondShape = z.object({
  type: z.literal('respond'),
  url: z.url(),
  body: z.record(z.string(), z.unknown()),
});

/**
 * The schema of an effect read back from the outbox, for an app whose store writes `writes` parses.
 * Effects are written by our own handlers with their types checked; reading them back checks the
 * shape again, since a row may predate today's code. One schema per effect type, or this fails to compile.
 */
export function storedEffectSchema<W extends StoreWrite>(writes: z.ZodType<W>): z.ZodType<Effect<W>> {
  const schemas = {
    // Web API arguments were typed by `api()` when the handler built them: here they are WebClient's plain object.
    api: z.custom<ApiCall>((value) => ApiShape.safeParse(value).success),
    respond: z.custom<Respond>((value) => RespondShape.safeParse(value).success),
    uninstall: z.object({
      type: z.literal('uninstall'),
      teamId: z.string().nullable(),
      enterpriseId: z.string().nullable(),
    }),
    store: writes,
  } satisfies Record<EffectType, z.ZodType>;
  return z.union([schemas.api, schemas.respond, schemas.uninstall, schemas.store]);
}
