import * as z from 'zod';
import type { ApiCall, Effect, EffectType, Respond, StoreWrite } from './action.js';
import type { LaterEffect, Next, TaskEffect } from './conversation.js';
import type { StopStreamEffect, StreamEffect } from './stream.js';
import { API_METHOD_NAME } from './web-api.js';

const ContinuationShape = z.object({ step: z.string().min(1), data: z.unknown().optional() });
const OriginShape = z.object({
  deliveryId: z.string(),
  teamId: z.string().nullable(),
  enterpriseId: z.string().nullable(),
  channelId: z.string().nullable(),
  userId: z.string().nullable(),
  threadTs: z.string().nullable(),
});
/** The `next` of a stored effect: the steps it feeds and where it came from. */
export const NextShape: z.ZodType<Next> = z.object({
  done: ContinuationShape.optional(),
  failed: ContinuationShape.optional(),
  origin: OriginShape.optional(),
});

const ApiShape = z.object({
  type: z.literal('api'),
  method: z.string().regex(API_METHOD_NAME),
  args: z.record(z.string(), z.unknown()),
  next: NextShape.optional(),
});
const RespondShape = z.object({
  type: z.literal('respond'),
  url: z.url(),
  body: z.record(z.string(), z.unknown()),
});
// Blocks were typed by the handler's builder; stored, they are Slack's plain objects.
const StreamShape = z.object({
  type: z.literal('stream'),
  name: z.string().min(1),
  input: z.unknown(),
  to: z.object({
    channel: z.string().min(1),
    thread_ts: z.string().min(1),
    recipient_user_id: z.string().optional(),
    recipient_team_id: z.string().optional(),
    task_display_mode: z.enum(['timeline', 'plan']).optional(),
  }),
  blocks: z.array(z.record(z.string(), z.unknown())).optional(),
  next: NextShape.optional(),
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
    task: z.object({
      type: z.literal('task'),
      name: z.string().min(1),
      input: z.unknown(),
      next: NextShape.optional(),
    }) satisfies z.ZodType<TaskEffect>,
    later: z.object({
      type: z.literal('later'),
      delayMs: z.number().nonnegative(),
      dueAt: z.number().optional(),
      next: NextShape,
    }) satisfies z.ZodType<LaterEffect>,
    stream: z.custom<StreamEffect>((value) => StreamShape.safeParse(value).success),
    stop_stream: z.object({
      type: z.literal('stop_stream'),
      channel: z.string().min(1),
      thread_ts: z.string().min(1),
    }) satisfies z.ZodType<StopStreamEffect>,
    store: writes,
  } satisfies Record<EffectType, z.ZodType>;
  return z.union([
    schemas.api,
    schemas.respond,
    schemas.uninstall,
    schemas.task,
    schemas.later,
    schemas.stream,
    schemas.stop_stream,
    schemas.store,
  ]);
}

const field = (value: object, key: string): unknown => (key in value ? Reflect.get(value, key) : undefined);

/**
 * The name of an effect as stored (a row's `action`, unchecked), as `effectName` names a typed one:
 * the method, `task <name>`, the store op, or the type.
 */
export function storedEffectName(action: unknown): string {
  if (typeof action !== 'object' || action === null) return 'effect';
  const type = field(action, 'type');
  const method = field(action, 'method');
  const name = field(action, 'name');
  const op = field(action, 'op');
  if (type === 'api' && typeof method === 'string') return method;
  if (type === 'task' && typeof name === 'string') return `task ${name}`;
  if (type === 'stream' && typeof name === 'string') return `stream ${name}`;
  if (type === 'store' && typeof op === 'string') return op;
  return typeof type === 'string' ? type : 'effect';
}
