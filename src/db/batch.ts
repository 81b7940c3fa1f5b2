/**
 * Adaptive group commit: items go to the database in batches, and at most `maxInFlight` batches
 * run at once. Items that arrive while they run wait and go together in the next batch, so the
 * batch grows with the load and the statements per second stay near 1 / (statement latency).
 * Idle, an item waits one turn of the event loop. A statement costs PostgreSQL far more CPU
 * (commit included) than a row in it (`npm run bench -- http` prints the CPU per delivery).
 */
export class BatchQueue<T> {
  #queue: T[] = [];
  #inFlight = 0;
  #scheduled = false;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;

  constructor(
    /** Runs one batch; it settles every item itself, and must not reject. */
    private readonly run: (batch: T[]) => Promise<void>,
    options: { maxInFlight?: number; maxBatch?: number } = {},
  ) {
    this.#maxInFlight = options.maxInFlight ?? 1;
    this.#maxBatch = options.maxBatch ?? 200;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // After the I/O of this turn: what arrives with it joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  #start(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      const done = () => {
        this.#inFlight--;
        this.#schedule();
      };
      this.run(batch).then(done, done);
    }
  }
}

/**
 * Turns a function over many items into one over a single item, run in batches by a `BatchQueue`:
 * `runAll` returns one result per item, in order; when it throws, every item of the batch rejects.
 */
export function batched<T, R>(
  runAll: (items: T[]) => Promise<R[]>,
  options?: { maxInFlight?: number; maxBatch?: number },
): (item: T) => Promise<R> {
  const queue = new BatchQueue<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }>(
    async (batch) => {
      try {
        const results = await runAll(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results[i] as R);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    },
    options,
  );
  return (item) => new Promise((resolve, reject) => queue.push({ item, resolve, reject }));
}

/**
 * Coalesces look-ups into one query per batch (the DataLoader pattern, over a `BatchQueue`):
 * under load, one statement serves every delivery in flight instead of one each.
 */
export class Batcher<K, V> {
  /** The value for `key`, fetched together with the other keys asked for now. */
  readonly load: (key: K) => Promise<V | null>;

  constructor(
    keyOf: (key: K) => string,
    /** Fetches every key at once; a key missing from the map resolves to null. */
    fetchAll: (keys: K[]) => Promise<Map<string, V>>,
  ) {
    this.load = batched(async (keys: K[]) => {
      const ids = keys.map(keyOf);
      const unique = new Map(keys.map((key, i) => [ids[i] as string, key]));
      const found = await fetchAll([...unique.values()]);
      return ids.map((id) => found.get(id) ?? null);
    });
  }
}
