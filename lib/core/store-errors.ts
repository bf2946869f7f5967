/**
 * Why a store could not answer, as typed errors (`StoreUnavailableError` and its two
 * refinements), and the time bound every store call runs under. Core: stores and policies
 * both speak these, neither owns them.
 */
import { StoreUnavailableError } from './errors';

/** Why a store call could not be decided (the `reason` of `onDegraded`). */
export type UnavailableReason = 'timeout' | 'circuit_open' | 'store_unavailable';

/** The store did not answer within the allotted time. */
export class StoreTimeoutError extends StoreUnavailableError {
  readonly reason = 'timeout' as const;
  readonly timeoutMs: number;

  constructor(store: string, timeoutMs: number) {
    super(`The ${store} store did not answer within ${timeoutMs} ms`, store);
    this.timeoutMs = timeoutMs;
  }
}

/** The breaker is open: the store was not called at all. */
export class CircuitOpenError extends StoreUnavailableError {
  readonly reason = 'circuit_open' as const;

  constructor(store: string, retryAfterSeconds: number) {
    super(`The ${store} store is failing; calls are suspended (circuit open)`, store, {
      retryAfterSeconds,
    });
  }
}

/** The degradation reason of any `StoreUnavailableError`. */
export function unavailableReason(error: StoreUnavailableError): UnavailableReason {
  if (error instanceof StoreTimeoutError) return 'timeout';
  if (error instanceof CircuitOpenError) return 'circuit_open';
  return 'store_unavailable';
}

/**
 * Settles like `promise`, or rejects with `StoreTimeoutError` after `ms` milliseconds.
 * `Infinity` disables the timeout. The timer is always cleared, and a late rejection of
 * `promise` is absorbed (never an unhandled rejection).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, store: string): Promise<T> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(store, ms)), ms);
    promise.then(
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
