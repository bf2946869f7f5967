/**
 * The one owner of store failures on the request path: `StoreGuard` runs each store call
 * under a timeout and a circuit breaker, and applies the caller's failure mode (allow, or 503)
 * to an outage. Stores only translate their driver's errors.
 */
import { ConfigurationError, isAuthError, StoreUnavailableError } from '../core/errors';
import type { FailureControl, FailureMode } from '../core/failure-mode';
import { CircuitOpenError, unavailableReason, withTimeout } from '../core/store-errors';
import type { Logger } from '../core/types';
import { CircuitBreaker } from './circuit-breaker';
import { callHook } from './hooks';
import type { DegradedEvent, ValidationHooks } from './types';

export interface GuardOptions {
  /** Per-call timeout in ms (default 1000); `Infinity` disables it (not recommended). */
  timeoutMs?: number;
  /** Name of the store for errors and events (`redis`, `postgres`, `memory`, …). */
  store: string;
}

/**
 * Calls `fn` under the breaker and a timeout. While the circuit is open it rejects at once
 * with `CircuitOpenError` without calling the store. A timeout rejects with
 * `StoreTimeoutError`; any other non-`AuthError` thrown by the store becomes a
 * `StoreUnavailableError` (its `cause` keeps the original). Other `AuthError`s pass through.
 */
export async function guardStoreCall<T>(
  breaker: CircuitBreaker | undefined,
  fn: () => Promise<T>,
  options: GuardOptions,
): Promise<T> {
  const { timeoutMs = 1000, store } = options;
  const permit = breaker?.acquire();
  if (permit !== undefined && 'retryAfterMs' in permit) {
    throw new CircuitOpenError(store, Math.max(1, Math.ceil(permit.retryAfterMs / 1000)));
  }
  let pending: Promise<T>;
  try {
    pending = fn();
  } catch (error) {
    pending = Promise.reject(error); // a synchronous throw is a failed call too
  }
  try {
    const result = await withTimeout(pending, timeoutMs, store);
    permit?.success();
    return result;
  } catch (error) {
    if (isAuthError(error) && !(error instanceof StoreUnavailableError)) {
      permit?.success(); // the store answered, with a decision
      throw error;
    }
    permit?.failure();
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError(`The ${store} store failed`, store, { cause: error });
  }
}

/** Checks a `timeoutMs` option at construction (a positive number of ms, or `Infinity`). */
export function assertTimeoutMs(owner: string, timeoutMs: number): number {
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigurationError(
      `${owner}: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`,
    );
  }
  return timeoutMs;
}

export interface StoreGuardOptions {
  /** Which control this guard decides for (picks the event label and, via settings, the mode). */
  control: FailureControl;
  /** What to do when the store cannot answer: allow (`fail_open`) or refuse with 503 (`fail_closed`). */
  failureMode: FailureMode;
  /** Store name for errors, events and logs (`redis`, `postgres`, `memory`, …). */
  store: string;
  /** Per-call timeout in ms (default 1000). */
  timeoutMs?: number;
  /**
   * The breaker to use (share one per backing server), `false` for none, or undefined for a
   * private default one (5 failures, 10 s) reported through `onBreakerStateChange` and `logger`.
   */
  breaker?: CircuitBreaker | false;
  onDegraded?: (event: DegradedEvent) => void;
  onBreakerStateChange?: (event: { store: string; open: boolean }) => void;
  logger?: Logger;
}

/**
 * One store dependency of a policy: calls go through `guardStoreCall`, and `degrade()` applies
 * the failure mode to an outage, reporting every degraded decision through `onDegraded`.
 */
export class StoreGuard {
  readonly control: FailureControl;
  readonly failureMode: FailureMode;
  readonly store: string;
  readonly timeoutMs: number;
  readonly breaker: CircuitBreaker | undefined;
  readonly #onDegraded: ((event: DegradedEvent) => void) | undefined;

  constructor(options: StoreGuardOptions) {
    this.control = options.control;
    this.failureMode = assertFailureMode(options.failureMode);
    this.store = options.store;
    this.timeoutMs = assertTimeoutMs('StoreGuard', options.timeoutMs ?? 1000);
    this.#onDegraded = options.onDegraded;
    if (options.breaker === false) {
      this.breaker = undefined;
    } else if (options.breaker !== undefined) {
      this.breaker = options.breaker;
    } else {
      const { store, logger, onBreakerStateChange } = options;
      this.breaker = new CircuitBreaker({
        onStateChange: ({ from, to }) => {
          // Report only open ↔ closed; half-open is still "not trusted".
          if (to === 'open' && from === 'closed') {
            logger?.warn(
              `auth-sdk-m8: the ${store} store keeps failing; calls suspended for 10 s (${options.control}: ${options.failureMode})`,
            );
            onBreakerStateChange?.({ store, open: true });
          } else if (to === 'closed') {
            logger?.warn(`auth-sdk-m8: the ${store} store answers again; calls resumed`);
            onBreakerStateChange?.({ store, open: false });
          }
        },
      });
    }
  }

  /** Calls the store under the breaker and the timeout (see `guardStoreCall`). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return guardStoreCall(this.breaker, fn, { timeoutMs: this.timeoutMs, store: this.store });
  }

  /**
   * Applies the failure mode to an outage: reports `onDegraded`, then returns under
   * `fail_open` (the caller proceeds without the store) or rethrows under `fail_closed` (503).
   */
  degrade(error: StoreUnavailableError): void {
    try {
      this.#onDegraded?.({
        control: this.control,
        mode: this.failureMode,
        reason: unavailableReason(error),
        store: error.store,
      });
    } catch {
      // Observability never changes a decision.
    }
    if (this.failureMode === 'fail_closed') throw error;
  }
}

/** Checks a failure mode option at construction. */
export function assertFailureMode(mode: FailureMode): FailureMode {
  if (mode !== 'fail_open' && mode !== 'fail_closed') {
    throw new ConfigurationError(
      `failureMode must be 'fail_open' or 'fail_closed', got ${JSON.stringify(mode)}`,
    );
  }
  return mode;
}

/**
 * The guard a policy puts around its store: events go to the policy's hooks (a throwing hook
 * is ignored), the store is named after its class unless `storeName` is given.
 */
export function policyStoreGuard(
  control: FailureControl,
  store: object,
  options: {
    failureMode: FailureMode;
    storeName?: string;
    timeoutMs?: number;
    breaker?: CircuitBreaker | false;
    hooks?: ValidationHooks;
    logger: Logger;
  },
): StoreGuard {
  const { hooks, logger } = options;
  return new StoreGuard({
    control,
    failureMode: options.failureMode,
    store: options.storeName ?? store.constructor.name,
    timeoutMs: options.timeoutMs,
    breaker: options.breaker,
    logger,
    onDegraded: (event) => callHook(hooks, 'onDegraded', event, logger),
    onBreakerStateChange: (event) => callHook(hooks, 'onBreakerStateChange', event, logger),
  });
}
