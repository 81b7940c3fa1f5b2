/**
 * What the pipeline's spans cost, without the noise of a loaded machine: the trace observer
 * (src/observe/traces.ts) fed the calls one delivery makes (routed, recorded, delivered, one
 * effect) in a loop, with OpenTelemetry's SDK registered as bench/tracing.ts registers it
 * (a BatchSpanProcessor exporting to nowhere) at each sampling ratio, and without any SDK. CPU µs
 * per delivery (this process, garbage collection included), the median of ROUNDS rounds after a
 * warm-up; compare with the server's CPU per delivery in `npm run bench -- http` (about 200 µs).
 * BENCH_TRACE_RATIOS: the ratios measured (default `0,0.1,1`), e.g. one alone under `--cpu-prof`.
 */
import type { NormalizedEvent } from '../src/core/event.js';
import { routerTraces } from '../src/observe/traces.js';
import type { PipelineObserver } from '../src/pipeline/observer.js';
import type { Taken } from '../src/pipeline/take-delivery.js';
import { median } from './stats.js';
import { benchTracerProvider } from './tracer-provider.js';

const ROUNDS = 7;
const DELIVERIES = 50_000;

/** One delivery as the pipeline hands it to the observer: a new event object each time, as in production. */
function deliver(observer: PipelineObserver, i: number): void {
  const event = {
    kind: 'event',
    name: 'app_mention',
    deliveryId: `Ev0BENCH${i}`,
    teamId: 'T0001ACME',
    source: 'http',
  } as unknown as NormalizedEvent; // the fields spans read
  const taken: Taken = {
    status: 'ack',
    body: null,
    handler: 'event:app_mention',
    recorded: 'new',
    effects: [],
    error: null,
    after: async () => [],
  };
  observer.routed?.(event, 0.05, 'event:app_mention');
  observer.recorded(1.2, event, i);
  observer.delivered(event, taken, 1.4);
  observer.effects(event, [
    { id: i, effect: 'chat.postMessage', status: 'done', ms: 2.1, delivery: i, attempts: 1 },
  ]);
}

/** A turn of the event loop every so often, as a server gives: the BatchSpanProcessor exports then. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const EVERY = 100;

/** CPU µs per delivery through an observer on `tracer`, the median of ROUNDS rounds. */
async function measure(observer: PipelineObserver): Promise<number> {
  let n = 0;
  const run = async () => {
    for (let i = 0; i < DELIVERIES; i++) {
      deliver(observer, n++);
      if (i % EVERY === 0) await turn();
    }
  };
  await run(); // warm-up: the JIT compiles the path
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / DELIVERIES);
  }
  return median(rounds);
}

/** Runs the traces case. */
export async function benchTraces(): Promise<void> {
  console.log(
    `traces: the trace observer alone, ${DELIVERIES} deliveries a round (4 spans each when sampled), median of ${ROUNDS} rounds`,
  );
  let exported = 0;
  // The loop alone (the event objects, the turns of the event loop), taken off every figure.
  const idle: PipelineObserver = {
    routed() {},
    recorded() {},
    delivered() {},
    stepped() {},
    effects() {},
    rateLimited() {},
    drained() {},
  };
  const loop = await measure(idle);
  for (const ratio of (process.env.BENCH_TRACE_RATIOS ?? '0,0.1,1').split(',').map(Number)) {
    exported = 0;
    const provider = benchTracerProvider(ratio, (spans) => {
      exported += spans;
    });
    const observer = routerTraces(provider.getTracer('bench'));
    if (!observer) throw new Error('routerTraces gave no observer for an explicit tracer');
    const us = (await measure(observer)) - loop;
    await provider.forceFlush();
    await provider.shutdown();
    const label = ratio === 1 ? 'every delivery traced' : `${ratio * 100} % traced`;
    console.log(`  ${label.padEnd(22)} ${us.toFixed(2)} µs CPU per delivery (${exported} spans exported)`);
  }
  console.log(`  (the loop alone, taken off each: ${loop.toFixed(2)} µs)`);
  console.log('  no SDK registered       0 µs: the pipeline gets no trace observer (routerTraces() is null)');
}
