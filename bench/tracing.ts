/**
 * Registers an OpenTelemetry SDK before the server starts (`node --import <this, bundled> dist/node.js`),
 * as README "Metrics and traces" wires the OTLP exporter, but exporting to nowhere: the spans are
 * made, batched and handed over, and the bench measures what that costs. BENCH_TRACE_RATIO: the
 * share of deliveries traced (default all). Prints how many spans it got on exit.
 */
import { trace } from '@opentelemetry/api';
import { benchTracerProvider } from './tracer-provider.js';

let exported = 0;
trace.setGlobalTracerProvider(
  benchTracerProvider(Number(process.env.BENCH_TRACE_RATIO ?? 1), (spans) => {
    exported += spans;
  }),
);
process.once('exit', () => console.error(`  bench tracing: ${exported} spans exported`));
