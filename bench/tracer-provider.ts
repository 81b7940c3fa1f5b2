/**
 * The OpenTelemetry SDK the benches trace with, as README "Metrics and traces" wires it but
 * exporting to nowhere: spans are made, batched and handed over, then dropped. `ratio` below 1
 * samples that share of deliveries (`ParentBased(TraceIdRatio)`); `exported` counts the spans.
 */
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export function benchTracerProvider(ratio: number, exported: (spans: number) => void): TracerProvider {
  const nowhere: SpanExporter = {
    export(spans, done) {
      exported(spans.length);
      done({ code: 0 }); // ExportResultCode.SUCCESS
    },
    shutdown: async () => {},
  };
  return new TracerProvider({
    ...(ratio < 1 ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }) } : {}),
    spanProcessors: [new BatchSpanProcessor({ exporter: nowhere })],
  });
}
