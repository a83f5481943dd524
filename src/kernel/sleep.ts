/**
 * Waits that an AbortSignal can cut short: the one `sleep` of the code base, and the
 * callback wait the bounded queue and the replication ledger park their callers in.
 */

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Waits for `register`'s callback, or rejects when `signal` aborts; never leaks a listener. */
export function waitUntil(register: (resolve: () => void) => void, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    register(() => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return waitUntil((resolve) => {
    timer = setTimeout(resolve, ms);
  }, signal).finally(() => clearTimeout(timer));
}
