import {
  ACKABLE_KINDS,
  type Ack,
  type AckBody,
  type Action,
  type ApiMethod,
  type Effect,
  type StoreWrite,
} from './action.js';
import type { AppTypes, HandlerContext, Logger } from './context.js';
import { RouterError, StoreUnavailableError } from './errors.js';
import type {
  AppRateLimitedEvent,
  EventKind,
  EventsApiEvent,
  KnownEventType,
  NormalizedEvent,
  OtherCallbackEvent,
} from './event.js';
import { originOf } from './origin.js';

/** The event a handler registered under `kind` and `name` receives. */
export type EventFor<K extends EventKind, N extends string> = K extends 'event'
  ? N extends KnownEventType
    ? EventsApiEvent<N>
    : N extends 'app_rate_limited'
      ? AppRateLimitedEvent
      : EventsApiEvent<string> | OtherCallbackEvent
  : Extract<NormalizedEvent, { kind: K }>;

/**
 * A pure function from an event to the actions it causes; `T` is the app's look-ups, settings and
 * writes, `M` the Web API methods it may call (any, unless narrowed).
 */
export type Handler<T extends AppTypes = AppTypes, E = NormalizedEvent, M extends ApiMethod = ApiMethod> = (
  event: E,
  ctx: HandlerContext<T>,
) => Action<T['write'], M>[] | Promise<Action<T['write'], M>[]>;

/** What a route declares beside its handler: the Web API methods the handler may call. */
export interface RouteOptions<C extends readonly ApiMethod[]> {
  calls: C;
}

/** A registered route, as the manifest check reads it: `kind:name` and the methods it calls. */
export interface RouteDeclaration {
  route: string;
  calls: readonly ApiMethod[];
}

/** What the router decided for one delivery. */
export interface Routed<W extends StoreWrite = StoreWrite> {
  /** The body to ack with; null acks empty. */
  ack: AckBody | null;
  effects: Effect<W>[];
  /** `kind:name` of the handler that ran, or null when nobody handles this event. */
  handler: string | null;
  /** Set when the handler threw or broke a rule: the delivery is still acked, and nothing runs. */
  error: RouterError | null;
}

const ACKABLE: ReadonlySet<EventKind> = new Set(ACKABLE_KINDS);

/**
 * Effects that name a step get where they come from (the delivery, its workspace, channel, user and
 * thread) and timers their due time, so the step needs nothing but the effect. Others pass as they are.
 */
function stamped<E extends Effect>(effects: E[], event: NormalizedEvent, now: () => Date): E[] {
  if (!effects.some((effect) => 'next' in effect && effect.next !== undefined)) return effects;
  const origin = originOf(event);
  return effects.map((effect) => {
    if (!('next' in effect) || effect.next === undefined) return effect;
    const next = { ...effect.next, origin };
    return effect.type === 'later'
      ? { ...effect, next, dueAt: now().getTime() + effect.delayMs }
      : { ...effect, next };
  });
}

/** The one route table: handlers by kind and name, and one dispatch for every kind. */
export class Router<T extends AppTypes = AppTypes> {
  readonly #routes = new Map<string, Handler<T>>();
  readonly #calls = new Map<string, readonly ApiMethod[]>();

  constructor(private readonly logger: Logger = console) {}

  /**
   * Registers `handler` for `kind` + `name` (event type, command, action_id or callback_id), with
   * the Web API methods it may call (`calls`, from which the manifest check derives scopes). A
   * handler that can return an `api(method, …)` not in `calls` does not compile.
   * @example .on('block_action', 'refresh', actionRefresh, { calls: ['chat.postEphemeral'] })
   */
  on<K extends EventKind, N extends string, const C extends readonly ApiMethod[] = []>(
    kind: K,
    name: N,
    handler: Handler<T, EventFor<K, N>, NoInfer<C[number]>>,
    options?: RouteOptions<C>,
  ): this {
    const key = `${kind}:${name}`;
    if (this.#routes.has(key)) throw new Error(`a handler for ${key} is already registered`);
    // The table holds every kind; dispatch only calls a handler with the kind and name it was registered for.
    this.#routes.set(key, handler as Handler<T>);
    this.#calls.set(key, options?.calls ?? []);
    return this;
  }

  /** The `kind:name` keys registered, for manifest checks. */
  routes(): string[] {
    return [...this.#routes.keys()];
  }

  /** Every route with the Web API methods it declared: what the manifest check derives scopes from. */
  declarations(): RouteDeclaration[] {
    return [...this.#calls].map(([route, calls]) => ({ route, calls }));
  }

  /**
   * Runs the handler for `event`, if any, and splits its actions into the ack and the effects.
   * Throws only `StoreUnavailableError` (from a look-up): then nothing may be acked.
   */
  async dispatch(event: NormalizedEvent, ctx: HandlerContext<T>): Promise<Routed<T['write']>> {
    const key = `${event.kind}:${event.name}`;
    const handler = this.#routes.get(key);
    if (!handler) return { ack: null, effects: [], handler: null, error: null };
    let actions: Action<T['write']>[];
    try {
      actions = await handler(event, ctx);
    } catch (cause) {
      // A look-up that could not reach the store is not the handler's fault: the delivery must not be acked.
      if (cause instanceof StoreUnavailableError) throw cause;
      return this.#failed(event, key, new RouterError('handler_failed', `handler ${key} threw`, { cause }));
    }
    const acks = actions.filter((action): action is Ack => action.type === 'ack');
    const effects = actions.filter((action): action is Effect<T['write']> => action.type !== 'ack');
    const [first, ...more] = acks;
    if (more.length > 0) {
      return this.#failed(
        event,
        key,
        new RouterError('several_acks', `handler ${key} returned ${acks.length} acks`),
      );
    }
    if (first && first.for !== event.kind) {
      const code = ACKABLE.has(event.kind) ? 'ack_mismatch' : 'ack_not_allowed';
      const reason = ACKABLE.has(event.kind)
        ? `an ack body for ${first.for}, but this is a ${event.kind}`
        : `an ack body, but a ${event.kind} is acked empty`;
      return this.#failed(event, key, new RouterError(code, `handler ${key} returned ${reason}`));
    }
    return { ack: first?.body ?? null, effects: stamped(effects, event, ctx.now), handler: key, error: null };
  }

  #failed(event: NormalizedEvent, key: string, error: RouterError): Routed<T['write']> {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    this.logger.error(error.message, { deliveryId: event.deliveryId, code: error.code, cause });
    return { ack: null, effects: [], handler: key, error };
  }
}
