/**
 * The public test kit: sign requests as Slack does, wrap a payload the four ways Slack sends it,
 * run a handler on a fixture with fake look-ups, and a fake Slack (Web API, OAuth, Socket Mode) on
 * a free loopback port.
 */
export { type FakeCall, type FakeReply, FakeSlack, type SentEnvelope } from './fake-slack.js';
export { type Fixture, FixtureSchema, fixtureFolder, httpForm, socketForm } from './fixtures.js';
export { eventOf, runHandler } from './run-handler.js';
export { SIGNING_SECRET, signedRequest, slackHeaders } from './signing.js';
