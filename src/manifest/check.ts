import * as z from 'zod';
import type { ApiMethod } from '../core/action.js';
import type { EventKind } from '../core/event.js';
import type { RouteDeclaration } from '../core/router.js';
import { METHOD_SCOPES } from './method-scopes.js';

/** The parts of a Slack app manifest the check reads. https://api.slack.com/reference/manifests */
export const ManifestSchema = z.looseObject({
  display_information: z.looseObject({ name: z.string().min(1) }),
  features: z.looseObject({
    bot_user: z.looseObject({ display_name: z.string() }).optional(),
    slash_commands: z.array(z.looseObject({ command: z.string(), description: z.string() })).default([]),
    unfurl_domains: z.array(z.string()).default([]),
    shortcuts: z.array(z.looseObject({ callback_id: z.string(), type: z.string() })).default([]),
    // The split-view assistant (Slack retires it in 2027) and the agent view that replaces it.
    assistant_view: z.looseObject({}).optional(),
    agent_view: z.looseObject({}).optional(),
  }),
  oauth_config: z.looseObject({ scopes: z.looseObject({ bot: z.array(z.string()).default([]) }) }),
  settings: z.looseObject({
    event_subscriptions: z.looseObject({ bot_events: z.array(z.string()).default([]) }).optional(),
    interactivity: z.looseObject({ is_enabled: z.boolean() }).optional(),
    socket_mode_enabled: z.boolean().optional(),
  }),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** The subscriptions that deliver `message` events, one per conversation type. */
const MESSAGE_EVENTS = ['message.channels', 'message.groups', 'message.im', 'message.mpim'] as const;

/** Bot scopes each event subscription needs. */
const EVENT_SCOPES: Record<string, string[]> = {
  app_mention: ['app_mentions:read'],
  link_shared: ['links:read'],
  'message.channels': ['channels:history'],
  'message.groups': ['groups:history'],
  'message.im': ['im:history'],
  'message.mpim': ['mpim:history'],
  assistant_thread_started: ['assistant:write'],
  assistant_thread_context_changed: ['assistant:write'],
};
/**
 * The `features` an event needs, any one of them: Slack sends assistant events to an app with either
 * view, and the agent events only with `agent_view`. https://docs.slack.dev/reference/events/app_context_changed
 */
const EVENT_FEATURES: Record<string, readonly ('assistant_view' | 'agent_view')[]> = {
  assistant_thread_started: ['assistant_view', 'agent_view'],
  assistant_thread_context_changed: ['assistant_view', 'agent_view'],
  app_context_changed: ['agent_view'],
  agent_session_stopped: ['agent_view'],
  agent_session_title_changed: ['agent_view'],
};
/** What the manifest must declare for a handler of each delivery kind. */
const KIND_NEEDS: Record<EventKind, 'event' | 'command' | 'interactivity' | 'nothing'> = {
  event: 'event',
  command: 'command',
  block_action: 'interactivity',
  view_submission: 'interactivity',
  view_closed: 'interactivity',
  shortcut: 'interactivity',
  message_shortcut: 'interactivity',
  options: 'interactivity',
  interactive: 'interactivity',
  step: 'nothing', // our own executor delivers steps
};
/** Deliveries Slack sends every app with event subscriptions, without a subscription of their own. */
const UNSUBSCRIBED_EVENTS: ReadonlySet<string> = new Set(['app_rate_limited']);
const isKind = (kind: string): kind is EventKind => Object.hasOwn(KIND_NEEDS, kind);
/** The `features.shortcuts` type a shortcut route needs. https://docs.slack.dev/reference/app-manifest */
const SHORTCUT_TYPES: Partial<Record<EventKind, string>> = {
  shortcut: 'global',
  message_shortcut: 'message',
};

/** Bot scopes of the methods a route calls, as the app declares or `METHOD_SCOPES` knows them. */
type DeclaredScopes = Partial<Record<ApiMethod, readonly string[]>>;

/**
 * What the manifest must declare for the app's routes (`router.declarations()`): each route's
 * event, command, shortcut or interactivity, and the scopes of the Web API methods it calls. Each
 * problem names what is missing and the route that needs it.
 */
export function checkManifest(
  manifest: Manifest,
  routes: readonly RouteDeclaration[],
  appUrl: URL,
  /** Scopes of methods `METHOD_SCOPES` does not list, as the app declares them. */
  declared: DeclaredScopes = {},
): string[] {
  const problems: string[] = [];
  const scopes = new Set(manifest.oauth_config.scopes.bot);
  const events = new Set(manifest.settings.event_subscriptions?.bot_events ?? []);
  const commands = new Set(manifest.features.slash_commands.map((c) => c.command));
  const shortcuts = new Set(manifest.features.shortcuts.map((s) => `${s.type}:${s.callback_id}`));
  // One line per missing scope, naming everything that needs it.
  const lacking = new Map<string, string[]>();
  const need = (scope: string, why: string) => {
    if (!scopes.has(scope)) lacking.set(scope, [...(lacking.get(scope) ?? []), why]);
  };
  for (const { route, calls } of routes) {
    const [kind, ...rest] = route.split(':');
    const name = rest.join(':');
    if (!kind || !isKind(kind)) {
      problems.push(`route ${route} has no delivery kind the manifest knows`);
      continue;
    }
    for (const method of calls) {
      const needs = declared[method] ?? METHOD_SCOPES[method];
      if (needs) for (const scope of needs) need(scope, `${method} in ${route}`);
      else
        problems.push(
          `${method} (called in ${route}): its scopes are unknown here: declare them in the app (scopes: { '${method}': [...] })`,
        );
    }
    const needs = KIND_NEEDS[kind];
    if (needs === 'nothing') continue;
    if (needs === 'event') {
      if (UNSUBSCRIBED_EVENTS.has(name)) continue;
      if (name === 'message') {
        // Slack subscribes to messages per conversation type; any one delivers `message`.
        const subscribed = MESSAGE_EVENTS.filter((event) => events.has(event));
        if (subscribed.length === 0)
          problems.push(`settings.event_subscriptions.bot_events lacks ${MESSAGE_EVENTS.join(' or ')}`);
        for (const event of subscribed)
          for (const scope of EVENT_SCOPES[event] ?? []) need(scope, `the ${event} event`);
        continue;
      }
      if (!events.has(name)) problems.push(`settings.event_subscriptions.bot_events lacks ${name}`);
      for (const scope of EVENT_SCOPES[name] ?? []) need(scope, `the ${name} event`);
      const views = EVENT_FEATURES[name];
      if (views && !views.some((view) => manifest.features[view]))
        problems.push(`features lacks ${views.join(' or ')} (needed by the ${name} event)`);
      continue;
    }
    if (needs === 'command') {
      if (!commands.has(name)) problems.push(`features.slash_commands lacks ${name}`);
      need('commands', name);
      continue;
    }
    if (!manifest.settings.interactivity?.is_enabled)
      problems.push(`settings.interactivity.is_enabled must be true (a ${kind} handler is registered)`);
    const type = SHORTCUT_TYPES[kind];
    if (!type) continue;
    if (!shortcuts.has(`${type}:${name}`))
      problems.push(`features.shortcuts lacks a ${type} shortcut with callback_id ${name}`);
    need('commands', `the ${name} shortcut`); // shortcuts, like slash commands, need `commands`
  }
  for (const [scope, whys] of lacking)
    problems.push(`oauth_config.scopes.bot lacks ${scope} (needed by ${whys.join(', ')})`);
  if (
    routes.some((r) => r.calls.includes('chat.unfurl')) &&
    !manifest.features.unfurl_domains.some((d) => appUrl.hostname === d || appUrl.hostname.endsWith(`.${d}`))
  ) {
    problems.push(`features.unfurl_domains does not cover ${appUrl.hostname} (APP_URL)`);
  }
  return [...new Set(problems)];
}
