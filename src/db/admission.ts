/**
 * Admission to the recorder: a delivery is refused at once only when the store, as it records now,
 * cannot record it within the deadline. Not a fixed count: a burst the store keeps up with is
 * taken whole, and a store that hangs is refused once its statement has run past the deadline.
 */

/**
 * How long the store takes to record a batch, learned from the batches it recorded lately:
 * `statementMs + n × deliveryMs` fitted by least squares, each older batch weighing `decay` times
 * less. Until batches of different sizes were seen the two cannot be told apart: all of it is
 * taken as the statement's cost, so a queue looks cheap and admission errs towards taking it.
 */
export class RecordTimes {
  #w = 0;
  #n = 0;
  #nn = 0;
  #t = 0;
  #nt = 0;

  constructor(private readonly decay = 0.9) {}

  /** A batch of `n` deliveries was recorded in `ms`. */
  observe(n: number, ms: number): void {
    const d = this.decay;
    this.#w = this.#w * d + 1;
    this.#n = this.#n * d + n;
    this.#nn = this.#nn * d + n * n;
    this.#t = this.#t * d + ms;
    this.#nt = this.#nt * d + n * ms;
  }

  /** The fitted costs in ms: of one statement, and of each delivery in it (both 0 before any batch). */
  get costs(): { statementMs: number; deliveryMs: number } {
    if (this.#w === 0) return { statementMs: 0, deliveryMs: 0 };
    const mean = this.#t / this.#w;
    const spread = this.#w * this.#nn - this.#n * this.#n;
    // Sizes (nearly) all alike: no slope to fit.
    if (spread <= 1e-6 * this.#w * this.#nn) return { statementMs: mean, deliveryMs: 0 };
    const deliveryMs = (this.#w * this.#nt - this.#n * this.#t) / spread;
    if (deliveryMs <= 0) return { statementMs: mean, deliveryMs: 0 };
    const statementMs = (this.#t - deliveryMs * this.#n) / this.#w;
    if (statementMs < 0) return { statementMs: 0, deliveryMs: this.#nt / this.#nn };
    return { statementMs, deliveryMs };
  }
}

/** What `RecordAdmission` needs: the deadline, the recorder's batch size, a clock in ms. */
export interface AdmissionOptions {
  deadlineMs: number;
  maxBatch: number;
  clock?: () => number;
}

/**
 * Tracks the batch being recorded and the times of those before it, and says how long a new
 * delivery would wait to be recorded: what is left of the running batch (a batch running past its
 * expected time is taken to need as long again as it has run), then the batches queued ahead of it.
 */
export class RecordAdmission {
  readonly times = new RecordTimes();
  readonly #deadlineMs: number;
  readonly #maxBatch: number;
  readonly #clock: () => number;
  #running: { n: number; since: number } | null = null;

  constructor(options: AdmissionOptions) {
    this.#deadlineMs = options.deadlineMs;
    this.#maxBatch = options.maxBatch;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Deliveries in the batch being recorded now (0 when none is). */
  get running(): number {
    return this.#running?.n ?? 0;
  }

  /** A batch of `n` starts. */
  started(n: number): void {
    this.#running = { n, since: this.#clock() };
  }

  /**
   * The running batch ended; its time is learned when it was recorded (a failure says nothing of
   * speed), at most the deadline: a stall the store came back from must not weigh for long.
   */
  ended(recorded: boolean): void {
    const running = this.#running;
    this.#running = null;
    if (!running || !recorded) return;
    this.times.observe(running.n, Math.min(this.#clock() - running.since, this.#deadlineMs));
  }

  /** Milliseconds until a delivery queued behind `queued` others (not yet in a batch) would be recorded. */
  expectedWaitMs(queued: number): number {
    const { statementMs, deliveryMs } = this.times.costs;
    const batches = Math.floor(queued / this.#maxBatch) + 1;
    let ms = batches * statementMs + (queued + 1) * deliveryMs;
    if (this.#running) {
      const ran = this.#clock() - this.#running.since;
      const expected = statementMs + this.#running.n * deliveryMs;
      ms += ran < expected ? expected - ran : ran;
    }
    return ms;
  }

  /**
   * Whether a delivery queued behind `queued` others would be recorded within the deadline. An idle
   * recorder always takes one: its batch is how the store shows it is fast again after a stall.
   */
  admits(queued: number): boolean {
    if (queued === 0 && !this.#running) return true;
    return this.expectedWaitMs(queued) <= this.#deadlineMs;
  }
}
