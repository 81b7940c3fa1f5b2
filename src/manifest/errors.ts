/** What went wrong, as one line for the person running the command. */
export type ManifestErrorCode = 'manifest' | 'config' | 'token' | 'slack' | 'network';

/** A user-facing error of the manifest commands: its message is the one line printed. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    message: string,
    readonly code: ManifestErrorCode = 'manifest',
  ) {
    super(message);
  }
}
