import { describe, expect, it } from 'vitest';
import { ack } from '../../src/core/action.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeEnvelope, normalizeHttp } from '../../src/core/normalize.js';
import { Router } from '../../src/core/router.js';
import { type Fixture, fixture, httpForm, socketForm } from '../helpers/fixtures.js';

/** The fixture's event over HTTP, after checking Socket Mode gives the same. */
function normalized(f: Fixture): NormalizedEvent {
  const http = normalizeHttp(httpForm(f));
  if (!http.ok) throw http.error;
  if (http.value.type !== 'event') throw new Error(`not an event: ${http.value.type}`);
  const socket = normalizeEnvelope(socketForm(f));
  if (!socket.ok) throw socket.error;
  expect({ ...socket.value.event, source: 'http' }).toEqual(http.value.event);
  return http.value.event;
}

const of = (
  name: string,
  change: (payload: Record<string, unknown>) => Record<string, unknown> = (p) => p,
) => {
  const f = fixture(name);
  return normalized({ ...f, payload: change(structuredClone(f.payload)) });
};
const ctx = { lookups: {}, settings: {}, now: () => new Date(0) };

describe('deliveries of an org-wide (Enterprise Grid) install', () => {
  it('lift a null team and the enterprise from an app_uninstalled without team_id', () => {
    expect(of('event_app_uninstalled_org')).toMatchObject({
      kind: 'event',
      name: 'app_uninstalled',
      teamId: null,
      enterpriseId: 'E0ORG0001',
      deliveryId: 'event:Ev0ORGUNINST1',
    });
  });

  it('lift a null team from tokens_revoked with team_id null', () => {
    expect(of('event_tokens_revoked_org')).toMatchObject({ teamId: null, enterpriseId: 'E0ORG0001' });
  });

  it('key a message without a team by its enterprise, channel and ts', () => {
    const event = of('event_app_mention_enterprise', (p) => ({ ...p, team_id: null }));
    expect(event.deliveryId).toBe(`app_mention:${event.enterpriseId}:${event.channelId}:1764100500.000700`);
  });

  it('route team_access_granted as an event the router does not model', () => {
    expect(of('event_team_access_granted')).toMatchObject({
      kind: 'event',
      name: 'team_access_granted',
      teamId: null,
      enterpriseId: 'E0ORG0001',
      deliveryId: 'event:Ev0ACCESS01',
    });
  });
});

describe('app_rate_limited', () => {
  it('is an event named app_rate_limited, keyed by its team and minute', () => {
    expect(of('app_rate_limited')).toMatchObject({
      kind: 'event',
      name: 'app_rate_limited',
      teamId: 'T0001ACME',
      deliveryId: 'app_rate_limited:T0001ACME:1764100380',
      eventId: null,
      eventTime: 1764100380,
    });
  });

  it('gets a new key for the next minute and the same key again for the same minute', () => {
    const next = of('app_rate_limited', (p) => ({ ...p, minute_rate_limited: 1764100440 }));
    expect(next.deliveryId).toBe('app_rate_limited:T0001ACME:1764100440');
    expect(of('app_rate_limited').deliveryId).toBe(of('app_rate_limited').deliveryId);
  });

  it('is refused when its team is missing (Slack always sends it)', () => {
    const { team_id: _, ...payload } = fixture('app_rate_limited').payload;
    const result = normalizeHttp({ body: JSON.stringify(payload), contentType: 'application/json' });
    expect(result.ok ? null : result.error.message).toMatch(/^app_rate_limited: team_id/);
  });

  it('a top-level type Slack adds later becomes an event of that name with a stable key', () => {
    const body = { type: 'app_future_notice', team_id: 'T0001ACME', note: 'hello' };
    const first = normalizeHttp({ body: JSON.stringify(body), contentType: 'application/json' });
    const again = normalizeHttp({ body: JSON.stringify(body), contentType: 'application/json' });
    const other = normalizeHttp({
      body: JSON.stringify({ ...body, note: 'bye' }),
      contentType: 'application/json',
    });
    const key = (r: typeof first) => (r.ok && r.value.type === 'event' ? r.value.event.deliveryId : null);
    expect(first).toMatchObject({ ok: true, value: { event: { kind: 'event', name: 'app_future_notice' } } });
    expect(key(first)).toMatch(/^callback:app_future_notice:T0001ACME:[0-9a-z]+$/);
    expect(key(again)).toBe(key(first));
    expect(key(other)).not.toBe(key(first));
  });
});

describe('block_actions from a workflow step or custom function', () => {
  it('is accepted without a trigger_id and keyed by its interactivity pointer and action ts', () => {
    expect(of('block_actions_workflow')).toMatchObject({
      kind: 'block_action',
      name: 'approve',
      teamId: 'T0001ACME',
      deliveryId: 'block_action:T0001ACME:1764100401.1234.fakepointer:1764100401.000401',
    });
  });

  it('is keyed by its user when it has neither trigger nor pointer', () => {
    const event = of('block_actions_workflow', ({ interactivity: _, ...p }) => p);
    expect(event.deliveryId).toBe('block_action:T0001ACME:U0USER0001:1764100401.000401');
  });
});

describe('interactive payloads the router does not model', () => {
  const cases: [string, string][] = [
    [
      'interactive_message',
      'interactive_message:T0001ACME:U0USER0001:wopr_game:1764100500.000500:1764100499.000499',
    ],
    ['dialog_submission', 'dialog_submission:T0001ACME:U0USER0001:employee_offsite_1138b:1764100600.000600:'],
    [
      'dialog_cancellation',
      'dialog_cancellation:T0001ACME:U0USER0001:employee_offsite_1138b:1764100800.000800:',
    ],
    ['workflow_step_edit', 'workflow_step_edit:T0001ACME:U0USER0001:add_task:1764100900.000900:'],
  ];
  it.each(cases)('routes %s as interactive, keyed by callback and action ts', (name, key) => {
    expect(of(name)).toMatchObject({
      kind: 'interactive',
      name,
      teamId: 'T0001ACME',
      userId: 'U0USER0001',
      deliveryId: key,
    });
  });

  it('keeps the response_url of a legacy payload for `respond`', () => {
    expect(of('dialog_cancellation').responseUrl).toBe('https://hooks.slack.com/app/T0001ACME/4/fake');
  });

  it('keys each dialog_suggestion by what was typed, so two requests in one ms stay two', () => {
    const typed = (value: string) => of('dialog_suggestion', (p) => ({ ...p, value })).deliveryId;
    expect(typed('mur')).toBe(typed('mur'));
    expect(typed('mur')).not.toBe(typed('murr'));
    expect(typed('mur')).toMatch(
      /^dialog_suggestion:T0001ACME:U0USER0001:burrito_order:1764100700\.000700::/,
    );
  });

  it('keys a payload without action or trigger ts by its bytes', () => {
    const body = (n: number) => ({ type: 'future_surface', team: { id: 'T0001ACME' }, n });
    const key = (n: number) => {
      const r = normalizeHttp(httpForm({ name: 'x', kind: 'interactive', payload: body(n) }));
      return r.ok && r.value.type === 'event' ? r.value.event.deliveryId : null;
    };
    expect(key(1)).toBe(key(1));
    expect(key(1)).not.toBe(key(2));
    expect(key(1)).toMatch(/^future_surface:T0001ACME::[0-9a-z]+$/);
  });

  it('are routed by type, and may be acked with a body (dialog errors)', async () => {
    const errors = { errors: [{ name: 'email', error: 'Not an address we know' }] };
    const router = new Router().on('interactive', 'dialog_submission', (event) => [
      ack.interactive(event.payload.submission ? errors : {}),
    ]);
    const routed = await router.dispatch(of('dialog_submission'), ctx);
    expect(routed).toMatchObject({ ack: errors, handler: 'interactive:dialog_submission', error: null });
  });

  it('are acked empty and handled by nobody when no route is registered', async () => {
    const routed = await new Router().dispatch(of('interactive_message'), ctx);
    expect(routed).toEqual({ ack: null, effects: [], handler: null, error: null });
  });
});
