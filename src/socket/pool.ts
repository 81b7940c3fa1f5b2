import { SocketModeFatalError } from './client.js';
import { SocketLink, type SocketOptions } from './connection.js';

/** Slack's limit of open Socket Mode connections per app, across every process. */
export const SLACK_CONNECTION_LIMIT = 10;
/** How often a process looks at the shared slots (dead owners, newcomers, lost leases). */
const TICK_MS = 1_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;

/** The shared slots as a sync left them (db/socket-slots.ts). */
export interface SlotsSnapshot {
  mine: number[];
  members: { owner: string; holder: string; slots: number }[];
  held: number;
  claimed: number | null;
  waitMs: number;
}

/** Where the connection slots are leased: the database on PostgreSQL, shared by every process. */
export interface SlotStore {
  /** Frees dead owners' slots; claims this process's fair share (staggered), a spare slot now, or none. */
  sync(claim: 'fair' | 'spare' | 'none'): Promise<SlotsSnapshot>;
  release(slot: number): Promise<void>;
  /** Gives every slot back (stopping). */
  leave(): Promise<void>;
}

export interface PoolOptions extends Omit<SocketOptions, 'slots' | 'onHello'> {
  store: SlotStore;
  /** How many connections this process should hold when `processes` share the app. */
  share(processes: number): number;
}

/** This process's connections and the group's, for /healthz, the inspector and the log. */
export interface PoolStatus {
  state: 'starting' | 'connected' | 'reconnecting' | 'standing by' | 'stopped';
  lastRefresh: Date | null;
  /** Connections open in this process, and the slots it holds. */
  here: number;
  slots: number[];
  /** Slots held by all processes, and how many processes share them. */
  total: number;
  processes: number;
  /** Slack's own count of the app's connections, from the latest `hello`. */
  slack: number | null;
}

/** The fair share of one process: 9 of Slack's 10 slots split evenly (one spare for refreshes), 2 to 5 each. */
export function fairShare(processes: number): number {
  return Math.min(5, Math.max(2, Math.floor((SLACK_CONNECTION_LIMIT - 1) / Math.max(1, processes))));
}

/**
 * Several Socket Mode connections for one process, each on a slot leased from `store`, so that the
 * processes of one app stay within Slack's limit together: claims are staggered (Slack refuses
 * bursts: too_many_websockets, 409), a dead process's slots are taken within a tick, and a process
 * holding more than its share gives one back when another joins.
 */
export class SocketPool {
  readonly #links = new Set<SocketLink>();
  #view: SlotsSnapshot | null = null;
  #slack: number | null = null;
  #stopping = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #said = '';
  /** The last sync found no slot for this process. */
  #standby = false;

  constructor(private readonly options: PoolOptions) {}

  /**
   * Opens the first connection (or stands by when every slot is held), then keeps the share in a
   * loop. Throws `SocketModeFatalError` for a token or app that cannot work.
   */
  async start(): Promise<void> {
    for (;;) {
      const wait = await this.#tick(true);
      // Connected, and the next slot is not to be had at once (or none is free): the loop goes on.
      if ((this.#links.size > 0 && wait > 0) || this.#standby) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    this.#loop(TICK_MS);
  }

  status(): PoolStatus {
    const links = [...this.#links];
    const open = links.filter((link) => link.status().state === 'connected');
    const refreshed = links.map((link) => link.status().lastRefresh?.getTime() ?? 0);
    const state = this.#stopping
      ? 'stopped'
      : open.length > 0
        ? 'connected'
        : !this.#view
          ? 'starting'
          : links.length === 0 && this.#standby
            ? 'standing by'
            : 'reconnecting';
    return {
      state,
      lastRefresh: refreshed.some((t) => t > 0) ? new Date(Math.max(...refreshed)) : null,
      here: open.length,
      slots: links.flatMap((link) => (link.slot === null ? [] : [link.slot])).sort((a, b) => a - b),
      total: this.#view?.held ?? 0,
      processes: this.#view?.members.length ?? 1,
      slack: this.#slack,
    };
  }

  /** Closes every connection (each after its in-flight acks) and gives the slots back. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await Promise.allSettled([...this.#links].map((link) => link.stop()));
    this.#links.clear();
    await this.options.store.leave().catch(() => {}); // a dead lease ends with this process anyway
  }

  #loop(ms: number): void {
    this.#timer = setTimeout(() => {
      if (this.#stopping) return;
      this.#tick(false).then(
        (next) => this.#loop(next),
        (error: unknown) => {
          this.options.logger.warn(`socket: connection slots not checked (${message(error)}); trying again`);
          this.#loop(TICK_MS);
        },
      );
    }, ms);
  }

  /** One look at the slots; returns how long until the next. */
  async #tick(starting: boolean): Promise<number> {
    const before = new Map([...this.#links].map((link) => [link, link.slot]));
    const view = await this.options.store.sync(this.#stopping ? 'none' : 'fair');
    this.#view = view;
    this.#standby = view.claimed === null && view.waitMs === 0 && this.#links.size === 0;
    let wait = view.waitMs > 0 ? view.waitMs + Math.floor(Math.random() * 50) : TICK_MS;
    if (view.claimed !== null) wait = (await this.#open(view.claimed, starting)) ? 0 : this.#backoff();
    for (const [link, slot] of before) {
      if (slot === null || link.slot !== slot || view.mine.includes(slot)) continue;
      // This process lost its lease (its lock session dropped) and another took the slot.
      this.options.logger.warn(`socket: slot ${slot} was taken by another process; closing its connection`);
      this.#links.delete(link);
      void link.stop();
    }
    const share = this.options.share(view.members.length);
    const newest = [...this.#links].at(-1);
    if (view.claimed === null && this.#links.size > share && newest) {
      // Another process joined: give it a slot back (Slack redelivers this connection's unacked envelopes).
      this.#links.delete(newest);
      await newest.stop();
      if (newest.slot !== null) await this.options.store.release(newest.slot);
    }
    this.#report();
    return wait;
  }

  /** A connection on `slot`; false (slot given back) when it could not open. */
  async #open(slot: number, starting: boolean): Promise<boolean> {
    const { store, share: _share, ...options } = this.options;
    const link = new SocketLink({
      ...options,
      onHello: (count) => {
        this.#slack = count;
        this.#report();
      },
      slots: {
        first: slot,
        spare: async () => (this.#stopping ? null : (await store.sync('spare')).claimed),
        release: (released) => void store.release(released).catch(() => {}),
      },
    });
    try {
      await link.start();
    } catch (error) {
      await store.release(slot).catch(() => {});
      if (error instanceof SocketModeFatalError) {
        if (starting) throw error;
        this.options.onFatal(error);
        return false;
      }
      this.#failures++;
      this.options.logger.warn(`socket: could not connect on slot ${slot} (${message(error)})`);
      return false;
    }
    if (this.#stopping) {
      await link.stop();
      await store.release(slot).catch(() => {});
      return true;
    }
    this.#failures = 0;
    this.#links.add(link);
    return true;
  }

  #backoff(): number {
    return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, this.#failures - 1), BACKOFF_MAX_MS);
  }

  /** One log line whenever the counts change. */
  #report(): void {
    const s = this.status();
    const line = describeConnections(s);
    if (line === this.#said || s.state === 'stopped') return;
    this.#said = line;
    this.options.logger.info(`socket: ${line}`);
  }
}

/** `2 connections here (slots 0, 3), 6 in all across 3 processes; Slack counts 6`. */
export function describeConnections(s: PoolStatus): string {
  const here =
    s.state === 'standing by'
      ? 'standing by: every slot is held'
      : `${s.here} connection${s.here === 1 ? '' : 's'} here (slot${s.slots.length === 1 ? '' : 's'} ${s.slots.join(', ') || 'none'})`;
  const all = `${s.total} in all across ${s.processes} process${s.processes === 1 ? '' : 'es'}`;
  return `${here}, ${all}${s.slack === null ? '' : `; Slack counts ${s.slack}`}`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
