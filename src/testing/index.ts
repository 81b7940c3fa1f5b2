/**
 * The public test kit: sign requests as Slack does, wrap a payload the four ways Slack sends it,
 * run a handler on a fixture with fake look-ups, run a whole flow (steps, tasks, timers) offline,
 * and a fake Slack (Web API with streamed messages, OAuth, Socket Mode) on a free loopback port.
 */
export {
  type FakeCall,
  type FakeReply,
  FakeSlack,
  type FakeSlackOptions,
  type FakeStream,
  type SentEnvelope,
  type StreamChunk,
} from './fake-slack.js';
export { type Fixture, FixtureSchema, fixtureFolder, httpForm, socketForm } from './fixtures.js';
export { type FlowDelivery, type FlowFakes, MAX_FLOW_STEPS, runFlow } from './run-flow.js';
export { eventOf, runHandler } from './run-handler.js';
export { SIGNING_SECRET, signedRequest, slackHeaders } from './signing.js';
