import type { Config } from '../config/settings.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, Logger } from '../core/context.js';
import type { StoreHandle } from '../db/database.js';
import { refusalLog } from '../log/refusals.js';
import { AckMinutes } from '../observe/ack-minutes.js';
import type { Pipeline } from '../pipeline/build.js';
import { type InspectorAccess, nodeAccess } from './access.js';
import { observe } from './observe.js';
import { dryRunner } from './replay.js';
import { Ring } from './ring.js';
import type { Inspector } from './views.js';

/** What a long-lived process (Node HTTP, Socket Mode) hands the inspector. */
export interface InspectorSetup<T extends AppTypes> {
  app: SlackApp<T, StoreHandle>;
  settings: T['settings'];
  config: Config;
  logger: Logger;
  mode: Inspector['mode'];
  version: string;
  /** Default: `nodeAccess(config, built)` (open to this machine under tsx, hidden from dist/). */
  access?: InspectorAccess;
  /** Whether this process runs from dist/ (`npm start`); default false. */
  built?: boolean;
  /** The TCP peer of a request, where the runtime tells it (Node). */
  peer?: Inspector['peer'];
  connection?: Inspector['connection'];
}

/** Whether recorded deliveries keep their redacted event: DELIVERY_PAYLOADS, else on for PGlite only. */
export function keepsPayloads(
  config: Pick<Config, 'DELIVERY_PAYLOADS'>,
  driver: 'postgres' | 'pglite',
): boolean {
  return config.DELIVERY_PAYLOADS ?? driver === 'pglite';
}

/**
 * Wraps `pipeline` for the inspector: the observed pipeline (mount it instead) and the inspector
 * the HTTP app serves at `/_inspect`, with a ring of INSPECTOR_RING deliveries.
 */
export function withInspector<T extends AppTypes>(
  pipeline: Pipeline,
  setup: InspectorSetup<T>,
): { pipeline: Pipeline; inspector: Inspector } {
  const ring = new Ring(setup.config.INSPECTOR_RING);
  const access = setup.access ?? nodeAccess(setup.config, setup.built);
  // Hidden (production without INSPECTOR_TOKEN): nobody can open it, so deliveries do not feed it.
  const hidden = access.production && !access.token;
  // This process's ack times per minute: the charts' ack figures when rows carry none.
  const acks = hidden ? undefined : new AckMinutes();
  const observed = hidden
    ? pipeline
    : observe(pipeline, ring, {
        payloads: keepsPayloads(setup.config, pipeline.database.driver),
        logger: setup.logger,
        acks,
      });
  const inspector: Inspector = {
    ring,
    pipeline: async () => observed,
    dryRun: dryRunner(setup.app, setup.settings, pipeline.database),
    access,
    peer: setup.peer,
    refused: refusalLog(setup.logger), // once per reason a minute: a tunnel's crawler is not a flood
    mode: setup.mode,
    connection: setup.connection,
    version: setup.version,
    acks,
  };
  return { pipeline: observed, inspector };
}

/**
 * The inspector of a process that keeps nothing between requests (Workers, Lambda): always
 * production, so 404 unless INSPECTOR_TOKEN is set; it shows the database only (no ring, no dry run).
 */
export function remoteInspector(
  pipeline: () => Promise<Pipeline>,
  token: string | undefined,
  version: string,
): Inspector {
  return { ring: new Ring(1), pipeline, access: { production: true, token }, mode: 'HTTP', version };
}
