import { WebClient } from '@slack/web-api';
import * as z from 'zod';
import {
  assertWritable,
  type ConfigTokenPair,
  CREATE_CONFIG_TOKENS,
  writeConfigTokens,
} from './config-token.js';
import { ManifestError } from './errors.js';
import { networkReason, platformData, silentLogger } from './slack-errors.js';

/** One of Slack's manifest errors: a message and the JSON pointer of the field (`/settings/...`). */
export interface ManifestProblem {
  message: string;
  pointer: string;
}

/** Slack refused the manifest (`invalid_manifest`); `problems` carry its JSON pointers. */
export class InvalidManifestError extends ManifestError {
  constructor(readonly problems: ManifestProblem[]) {
    super('Slack refused manifest.yaml (invalid_manifest)', 'manifest');
  }
}

export interface LiveAppOptions {
  /** `SLACK_API_URL`. */
  slackApiUrl: string;
  /** `SLACK_APP_ID`. */
  appId: string;
  tokens: ConfigTokenPair;
  /** Where a rotated pair is written back (`.env`). */
  envFile: string;
  /** The tokens were set in the environment, which overrides `.env`. */
  tokensFromEnvironment?: boolean;
  /** Receives the one line saying the pair was rotated. */
  notice: (line: string) => void;
}

const ExportResult = z.looseObject({ manifest: z.record(z.string(), z.unknown()) });
const UpdateResult = z.looseObject({ permissions_updated: z.boolean().optional() });
const RotateResult = z.looseObject({ token: z.string().min(1), refresh_token: z.string().min(1) });

/** The live Slack app, through its manifest methods; the config token is rotated once when it has expired. */
export class LiveApp {
  #tokens: ConfigTokenPair;
  #rotated = false;

  constructor(private readonly options: LiveAppOptions) {
    this.#tokens = { ...options.tokens };
  }

  /** `apps.manifest.export`: the live app's manifest. */
  async exportManifest(): Promise<Record<string, unknown>> {
    const result = await this.#call('apps.manifest.export', { app_id: this.options.appId });
    const parsed = ExportResult.safeParse(result);
    if (!parsed.success) throw new ManifestError('apps.manifest.export answered without a manifest', 'slack');
    return parsed.data.manifest;
  }

  /** `apps.manifest.validate`; throws InvalidManifestError with Slack's pointers. */
  async validate(manifest: Record<string, unknown>): Promise<void> {
    await this.#call('apps.manifest.validate', { app_id: this.options.appId, manifest });
  }

  /** `apps.manifest.update`; `permissionsUpdated` means the app must be reinstalled. */
  async update(manifest: Record<string, unknown>): Promise<{ permissionsUpdated: boolean }> {
    const result = await this.#call('apps.manifest.update', { app_id: this.options.appId, manifest });
    return { permissionsUpdated: UpdateResult.safeParse(result).data?.permissions_updated === true };
  }

  #client(token: string | undefined): WebClient {
    return new WebClient(token, {
      slackApiUrl: this.options.slackApiUrl,
      logger: silentLogger,
      timeout: 15_000,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    });
  }

  async #call(method: string, args: Record<string, unknown>): Promise<unknown> {
    if (!this.#tokens.token) await this.#rotate();
    try {
      return await this.#client(this.#tokens.token).apiCall(method, args);
    } catch (error) {
      const code = platformData(error)?.error;
      // Slack answers token_expired, and sometimes invalid_auth, for a config token past its 12 hours.
      if (
        (code === 'token_expired' || code === 'invalid_auth') &&
        this.#tokens.refreshToken &&
        !this.#rotated
      ) {
        await this.#rotate();
        try {
          return await this.#client(this.#tokens.token).apiCall(method, args);
        } catch (again) {
          throw this.#explain(method, again);
        }
      }
      throw this.#explain(method, error);
    }
  }

  /** `tooling.tokens.rotate`, then the new pair goes into `.env` before anything else happens. */
  async #rotate(): Promise<void> {
    const refreshToken = this.#tokens.refreshToken;
    if (!refreshToken)
      throw new ManifestError(`SLACK_CONFIG_TOKEN is required: ${CREATE_CONFIG_TOKENS}`, 'token');
    assertWritable(this.options.envFile);
    this.#rotated = true;
    let result: unknown;
    try {
      result = await this.#client(undefined).apiCall('tooling.tokens.rotate', {
        refresh_token: refreshToken,
      });
    } catch (error) {
      const code = platformData(error)?.error;
      if (code)
        throw new ManifestError(
          `SLACK_CONFIG_REFRESH_TOKEN was refused by Slack (${code}): each refresh token works once; ${CREATE_CONFIG_TOKENS}`,
          'token',
        );
      throw this.#explain('tooling.tokens.rotate', error);
    }
    const pair = RotateResult.safeParse(result);
    if (!pair.success)
      throw new ManifestError('tooling.tokens.rotate answered without a token pair', 'slack');
    writeConfigTokens(this.options.envFile, {
      token: pair.data.token,
      refreshToken: pair.data.refresh_token,
    });
    this.#tokens = { token: pair.data.token, refreshToken: pair.data.refresh_token };
    this.options.notice(
      `the config token had expired: rotated it with tooling.tokens.rotate and wrote the new SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN to ${this.options.envFile}` +
        (this.options.tokensFromEnvironment
          ? ' (they are also set in the environment, which overrides .env: unset them there)'
          : ''),
    );
  }

  #explain(method: string, error: unknown): ManifestError {
    const data = platformData(error);
    if (data?.error === 'invalid_manifest')
      return new InvalidManifestError(
        (data.errors ?? []).map((e) => ({ message: e.message ?? '(no message)', pointer: e.pointer ?? '/' })),
      );
    if (data?.error === 'token_expired' || data?.error === 'invalid_auth' || data?.error === 'not_authed')
      return new ManifestError(
        `SLACK_CONFIG_TOKEN was refused by Slack (${data.error}): ${CREATE_CONFIG_TOKENS}`,
        'token',
      );
    if (
      data?.error === 'app_not_found' ||
      data?.error === 'invalid_app_id' ||
      data?.error === 'app_not_eligible'
    )
      return new ManifestError(
        `SLACK_APP_ID ${this.options.appId} was refused by Slack (${data.error}): use the App ID from your app's Basic Information page, with a config token from the same workspace`,
        'config',
      );
    if (data) return new ManifestError(`${method} failed: ${data.error}`, 'slack');
    return new ManifestError(
      `cannot reach Slack at ${this.options.slackApiUrl} (${networkReason(error)})`,
      'network',
    );
  }
}
