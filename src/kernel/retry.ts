import { sleep } from './sleep';

/**
 * The one retry loop and backoff of the code base. What is worth retrying is the caller's
 * to say (`RetryOptions.classify`); how long to wait between attempts is the policy's.
 */

/**
 * Retries in our code, on top of the SDK client's own. The two multiply, so ours are few and
 * bounded: a call makes at most `client maxAttempts × policy.maxAttempts` HTTP requests
 * (8 × 3 = 24 with AwsClients' default), and the SDK's standard-mode retry quota stops the
 * inner retries during a sustained storm, leaving only these. A throttled call can also pause
 * every worker (ThrottleGate), so the fleet backs off, not one worker.
 */
export interface RetryPolicy {
  /** Attempts per call, including the first. @default 3 */
  readonly maxAttempts: number;
  /** Delay cap of the first retry; it doubles per attempt, with jitter. @default 250 */
  readonly baseDelayMs: number;
  /** Largest delay between two attempts. @default 20000 */
  readonly maxDelayMs: number;
  /**
   * Where the delay falls below its cap: `full` anywhere from 0 (whole milliseconds), `equal`
   * in its upper half.
   * @default 'full'
   */
  readonly jitter?: 'full' | 'equal';
}

/** Few attempts, since the SDK client retries too; the block engine's, and `withRetry`'s when given none. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 20_000 };

/** How a failure should be handled: back off (for every caller), retry, or give up. */
export type ErrorKind = 'throttled' | 'transient' | 'fatal';

/**
 * Exponential backoff under the cap min(max, base × 2^(attempt-1)): full jitter is uniform
 * in [0, cap], equal jitter uniform in [cap/2, cap].
 */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  if (policy.jitter === 'equal') return cap / 2 + random() * (cap / 2);
  return Math.floor(random() * cap);
}

/** A pause shared by all workers: after a throttle, nobody sends until it has passed. */
export class ThrottleGate {
  private until = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  /** Holds every caller of `pass` for at least `ms` from now. */
  pause(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
  }

  /** Resolves once no pause is in force. */
  async pass(signal?: AbortSignal): Promise<void> {
    for (let left = this.until - this.now(); left > 0; left = this.until - this.now()) {
      await this.wait(left, signal);
    }
  }
}

export interface RetryEvent {
  readonly attempt: number;
  readonly kind: ErrorKind;
  readonly delayMs: number;
  readonly error: unknown;
}

export interface RetryOptions {
  /** Says what a failure is: `fatal` ones are rethrown at once. */
  readonly classify: (error: unknown) => ErrorKind;
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  readonly gate?: ThrottleGate;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onRetry?: (event: RetryEvent) => void;
}

/**
 * Calls `fn` until it succeeds, retrying throttling (through the shared gate) and transient
 * failures with jittered backoff, at most `policy.maxAttempts` times; fatal errors, the last
 * failure and an abort are rethrown as they are.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    if (options.gate) await options.gate.pass(options.signal);
    try {
      return await fn(attempt);
    } catch (error) {
      const kind = options.classify(error);
      if (kind === 'fatal' || attempt >= policy.maxAttempts || options.signal?.aborted) throw error;
      const delayMs = backoffDelayMs(attempt, policy, options.random);
      options.onRetry?.({ attempt, kind, delayMs, error });
      if (kind === 'throttled' && options.gate) options.gate.pause(delayMs);
      else await wait(delayMs, options.signal);
    }
  }
}
