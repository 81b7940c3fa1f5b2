import { describe, expect, it } from 'vitest';
import { type HmacSha256, signSlackRequest, verifySlackRequest } from '../../src/http/verify-signature.js';
import { nodeHmac } from '../../src/runtime/node-hmac.js';

// Slack's worked example: https://api.slack.com/authentication/verifying-requests-from-slack
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = Number(TIMESTAMP) * 1000;

const verifyWith =
  (hmac: HmacSha256 | undefined) => (overrides: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
    verifySlackRequest({
      signingSecret: SECRET,
      body: BODY,
      signature: SIGNATURE,
      timestamp: TIMESTAMP,
      nowMilliseconds: AT,
      hmac,
      ...overrides,
    });

async function codeOf(promise: Promise<void>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

// Web Crypto (every runtime) and Node's createHmac (the Node and Lambda entries) must agree on every case.
describe.each([
  ['Web Crypto', undefined],
  ['node:crypto', nodeHmac],
])('verifySlackRequest with %s', (_name, hmac) => {
  const verify = verifyWith(hmac);

  it("accepts Slack's published example", async () => {
    expect(await codeOf(verify({}))).toBe('accepted');
  });

  it("signs Slack's published example to its published signature", async () => {
    expect(await signSlackRequest(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });

  it('accepts a timestamp 5 minutes old, and one 5 minutes ahead', async () => {
    expect(await codeOf(verify({ nowMilliseconds: AT + 300_000 }))).toBe('accepted');
    expect(await codeOf(verify({ nowMilliseconds: AT - 300_000 }))).toBe('accepted');
  });

  it.each([
    ['a missing signature', { signature: undefined }, 'missing_signature'],
    ['an empty signature', { signature: '' }, 'missing_signature'],
    ['a missing timestamp', { timestamp: null }, 'missing_timestamp'],
    ['a timestamp that is not a number', { timestamp: '1531420618abc' }, 'malformed_timestamp'],
    ['a signature without v0=', { signature: SIGNATURE.slice(3) }, 'malformed_signature'],
    ['a v1 signature', { signature: SIGNATURE.replace('v0=', 'v1=') }, 'malformed_signature'],
    ['a truncated signature', { signature: SIGNATURE.slice(0, -2) }, 'malformed_signature'],
    ['a signature with non-hex digits', { signature: `${SIGNATURE.slice(0, -1)}g` }, 'malformed_signature'],
    ['a timestamp six minutes old', { nowMilliseconds: AT + 360_000 }, 'stale_timestamp'],
    ['a timestamp six minutes in the future', { nowMilliseconds: AT - 360_000 }, 'stale_timestamp'],
    ['a changed body', { body: `${BODY}x` }, 'signature_mismatch'],
    ['a changed timestamp', { timestamp: '1531420619' }, 'signature_mismatch'],
    ['another secret', { signingSecret: `${SECRET}0` }, 'signature_mismatch'],
    ['one changed digit', { signature: `${SIGNATURE.slice(0, -1)}4` }, 'signature_mismatch'],
  ])('refuses %s', async (_label, overrides, code) => {
    expect(await codeOf(verify(overrides))).toBe(code);
  });
});
