import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';

const fake = new FakeSlack();
let lambda: typeof import('../../src/runtime/lambda.js');

beforeAll(async () => {
  await fake.start();
  Object.assign(process.env, {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    DATABASE_URL: 'memory://',
    LOG_LEVEL: 'error',
  });
  lambda = await import('../../src/runtime/lambda.js');
});
afterAll(() => fake.stop());

/** An API Gateway v2 (HTTP API / function URL) event carrying a signed Slack delivery. */
async function apiGatewayEvent(name: string, secret?: string): Promise<LambdaEvent> {
  const { body, contentType } = httpForm(fixture(name));
  const headers = await slackHeaders(body, contentType, secret ? { secret } : {});
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers,
    isBase64Encoded: true,
    body: Buffer.from(body).toString('base64'),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'example',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Slackbot 1.0',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:12:00:00 +0000',
      timeEpoch: 1_764_072_000_000,
      authentication: null,
      authorizer: {},
    },
  };
}

const context = {} as LambdaContext; // the handler reads nothing from it

describe('the Lambda handler', () => {
  it('acks a signed mention and runs its chat.postMessage before returning', async () => {
    const result = await lambda.handler(await apiGatewayEvent('event_app_mention'), context);
    expect(result).toMatchObject({ statusCode: 200 });
    expect(fake.callsOf('chat.postMessage').map((c) => [c.token, c.args.channel])).toEqual([
      [BOT_TOKEN, 'C0CHAN001'],
    ]);
  });

  it('refuses a bad signature with 401', async () => {
    const result = await lambda.handler(await apiGatewayEvent('event_app_mention', 'wrong-secret'), context);
    expect(result).toMatchObject({ statusCode: 401 });
    expect(JSON.parse(String((result as { body: string }).body))).toMatchObject({
      error: 'signature_mismatch',
    });
  });
});
