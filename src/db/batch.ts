/**
 * Coalesces look-ups asked for in the same turn of the event loop into one query (the DataLoader
 * pattern): under load, one statement serves every delivery in flight instead of one each.
 */
export class Batcher<K, V> {
  #pending = new Map<
    string,
    { key: K; waiters: { resolve: (v: V | null) => void; reject: (e: unknown) => void }[] }
  >();
  #scheduled = false;

  constructor(
    private readonly keyOf: (key: K) => string,
    /** Fetches every key at once; a key missing from the map resolves to null. */
    private readonly fetchAll: (keys: K[]) => Promise<Map<string, V>>,
  ) {}

  /** The value for `key`, fetched together with the other keys asked for now. */
  load(key: K): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const id = this.keyOf(key);
      const entry = this.#pending.get(id) ?? { key, waiters: [] };
      entry.waiters.push({ resolve, reject });
      this.#pending.set(id, entry);
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = new Map();
    this.fetchAll([...batch.values()].map((entry) => entry.key)).then(
      (found) => {
        for (const [id, entry] of batch) for (const w of entry.waiters) w.resolve(found.get(id) ?? null);
      },
      (error: unknown) => {
        for (const entry of batch.values()) for (const w of entry.waiters) w.reject(error);
      },
    );
  }
}
