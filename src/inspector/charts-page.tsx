/** @jsxImportSource hono/jsx */
import type { DeliveryMinute } from '../db/observe.js';
import { type HeaderFacts, Layout } from './layout.js';

const WIDTH = 600;
const HEIGHT = 120;
const MINUTE_MS = 60_000;

/** One line of a chart: a value per minute (null: no point), its name and colour. */
interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

/** A line chart of per-minute values as inline SVG: no script, no external service. */
function LineChart(props: { title: string; unit: string; series: Series[]; testid: string }) {
  const max = Math.max(1, ...props.series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const n = Math.max(1, (props.series[0]?.values.length ?? 1) - 1);
  const x = (i: number) => ((i / n) * WIDTH).toFixed(1);
  const y = (v: number) => (HEIGHT - (v / max) * HEIGHT).toFixed(1);
  return (
    <figure data-testid={props.testid}>
      <figcaption>
        {props.title} (max {max.toFixed(max < 10 ? 1 : 0)} {props.unit}){' '}
        {props.series.map((s) => (
          <span style={`color:${s.color}`}>■ {s.name} </span>
        ))}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={props.title}
        style="background:#fafafa;border:1px solid #ddd"
      >
        {props.series.map((s) => (
          <polyline
            fill="none"
            stroke={s.color}
            stroke-width="1.5"
            points={s.values
              .map((v, i) => (v === null ? null : `${x(i)},${y(v)}`))
              .filter((p) => p !== null)
              .join(' ')}
          />
        ))}
      </svg>
    </figure>
  );
}

/** Per-minute values for the `minutes` minutes up to `until`, from rows keyed by their minute. */
export function perMinute<R extends { minute: Date }>(
  rows: R[],
  until: Date,
  minutes: number,
  value: (row: R | undefined) => number | null,
): (number | null)[] {
  const byMinute = new Map(rows.map((row) => [Math.floor(row.minute.getTime() / MINUTE_MS), row]));
  const last = Math.floor(until.getTime() / MINUTE_MS);
  return Array.from({ length: minutes }, (_, i) => value(byMinute.get(last - minutes + 1 + i)));
}

/** The last hour at a glance: deliveries per minute, ack p50/p99, effects failed per minute. */
export function ChartsPage(props: {
  base: string;
  facts: HeaderFacts;
  now: Date;
  deliveries: DeliveryMinute[];
  failed: { minute: Date; failed: number }[];
}) {
  const minutes = 60;
  const { now } = props;
  const count = perMinute(props.deliveries, now, minutes, (r) => r?.deliveries ?? 0);
  const p50 = perMinute(props.deliveries, now, minutes, (r) => r?.ackP50 ?? null);
  const p99 = perMinute(props.deliveries, now, minutes, (r) => r?.ackP99 ?? null);
  const failed = perMinute(props.failed, now, minutes, (r) => r?.failed ?? 0);
  const total = (values: (number | null)[]) => values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
  return (
    <Layout title="Charts" base={props.base} facts={props.facts}>
      <h2>The last hour</h2>
      <p>
        From the database (every process): deliveries that caused effects (those without are not recorded),
        and effects failed for good. {total(count)} deliveries, {total(failed)} effects failed.
      </p>
      <LineChart
        title="Deliveries per minute"
        unit="/min"
        testid="chart-deliveries"
        series={[{ name: 'deliveries', color: '#1264a3', values: count }]}
      />
      <LineChart
        title="Ack time"
        unit="ms"
        testid="chart-ack"
        series={[
          { name: 'p50', color: '#2eb67d', values: p50 },
          { name: 'p99', color: '#e01e5a', values: p99 },
        ]}
      />
      <LineChart
        title="Effects failed per minute"
        unit="/min"
        testid="chart-failed"
        series={[{ name: 'failed', color: '#e01e5a', values: failed }]}
      />
    </Layout>
  );
}
