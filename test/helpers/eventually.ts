/** Waits until `check` holds, letting the pipeline's running effects finish between looks; throws after `ms`. */
export async function eventually(pipeline: { idle(): Promise<void> }, check: () => boolean, ms = 5_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    await pipeline.idle();
  }
}
