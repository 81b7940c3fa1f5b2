/** A wait that ran out: the work may still finish later. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * `work`, or a `DeadlineError` once `ms` have passed. The work is not cancelled: whoever started it
 * decides what its late result means.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  // One promise and one timer: it runs for every delivery (Promise.race + finally made three).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer in ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
