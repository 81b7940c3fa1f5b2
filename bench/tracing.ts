/**
 * Registers an OpenTelemetry SDK before the server starts (`node --import <this, bundled> dist/node.js`),
 * as README "Metrics and traces" wires the OTLP exporter, but exporting to nowhere: the spans are
 * made, batched and handed over, and the bench measures what that costs. BENCH_TRACE_RATIO: the
 * share of deliveries traced (default all). Prints how many spans it got on exit.
 */
import { trace } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

let exported = 0;
const nowhere: SpanExporter = {
  export(spans, done) {
    exported += spans.length;
    done({ code: 0 }); // ExportResultCode.SUCCESS
  },
  shutdown: async () => {},
};
const ratio = process.env.BENCH_TRACE_RATIO;
trace.setGlobalTracerProvider(
  new TracerProvider({
    ...(ratio
      ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number(ratio)) }) }
      : {}),
    spanProcessors: [new BatchSpanProcessor({ exporter: nowhere })],
  }),
);
process.once('exit', () => console.error(`  bench tracing: ${exported} spans exported`));
