/** @jsxImportSource hono/jsx */
import type { DeliveryMinute } from '../db/observe.js';
import type { AckMinute } from '../observe/ack-minutes.js';
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

/** A minute's ack p50 and p99 (ms), as one chart's rows. */
type AckPoint = Pick<DeliveryMinute, 'minute' | 'ackP50' | 'ackP99'>;

/** Where the ack chart's figures came from, as its title says it. */
const ACK_SOURCE = {
  rows: 'from recorded rows',
  process: 'this process',
  both: 'from recorded rows, else this process',
  none: 'no ack times yet',
} as const;

/**
 * The ack chart's minutes: the recorded rows' percentiles where they have them (DELIVERY_PAYLOADS
 * keeps ack times in rows), else this process's (`memory`), which also covers minutes with no
 * recorded row (deliveries without effects are not recorded). Says which source it used.
 */
export function ackPoints(
  rows: readonly DeliveryMinute[],
  memory: readonly AckMinute[],
): { points: AckPoint[]; source: keyof typeof ACK_SOURCE } {
  const recorded = rows.filter((row) => row.ackP50 !== null || row.ackP99 !== null);
  const covered = new Set(recorded.map((row) => row.minute.getTime()));
  const kept = memory.filter((m) => !covered.has(m.minute.getTime()));
  const points = [...recorded, ...kept].sort((a, b) => a.minute.getTime() - b.minute.getTime());
  const source =
    recorded.length > 0 ? (kept.length > 0 ? 'both' : 'rows') : kept.length > 0 ? 'process' : 'none';
  return { points, source };
}

/** The last hour at a glance: deliveries per minute, ack p50/p99, effects failed per minute. */
export function ChartsPage(props: {
  base: string;
  facts: HeaderFacts;
  now: Date;
  deliveries: DeliveryMinute[];
  /** This process's ack times per minute, for minutes the rows have none of. */
  acks: AckMinute[];
  failed: { minute: Date; failed: number }[];
}) {
  const minutes = 60;
  const { now } = props;
  const count = perMinute(props.deliveries, now, minutes, (r) => r?.deliveries ?? 0);
  const ack = ackPoints(props.deliveries, props.acks);
  const p50 = perMinute(ack.points, now, minutes, (r) => r?.ackP50 ?? null);
  const p99 = perMinute(ack.points, now, minutes, (r) => r?.ackP99 ?? null);
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
        title={`Ack time: ${ACK_SOURCE[ack.source]}`}
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
