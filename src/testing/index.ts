/**
 * The public test kit: build any delivery Slack sends with fresh ids (`build`), run a handler on it
 * with fake look-ups (`runHandler`), click a button in the answer (`click`), check the answer
 * (`expectEphemeralAck`, `expectApiCall`), run a whole flow (steps, tasks, timers) offline, load
 * fixture files, sign requests as Slack does, wrap a payload the four ways Slack sends it, and a fake
 * Slack (Web API with streamed messages, OAuth, Socket Mode) on a free loopback port.
 */
export { type ActionInput, build, builders, type Container, DEFAULTS, type Where } from './build.js';
export { type Answer, click } from './click.js';
export { expectApiCall, expectEphemeralAck, matchesPartly, type Partly, type TypedCall } from './expect.js';
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
export { eventOf, type Handled, runHandler } from './run-handler.js';
export { SIGNING_SECRET, signedRequest, slackHeaders } from './signing.js';
