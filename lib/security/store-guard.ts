/**
 * The one owner of store failures on the request path: `StoreGuard` runs each store call
 * under a timeout (bounded by the request's budget, see `request-deadline.ts`) and a circuit
 * breaker, and applies the caller's failure mode (allow, or 503) to an outage. `GuardedStore`
 * pairs a store with its guard, the one idiom every policy, limiter and flow uses. Stores only
 * translate their driver's errors.
 */
import { ConfigurationError, isAuthError, StoreUnavailableError } from '../core/errors';
import type { FailureControl, FailureMode } from '../core/failure-mode';
import {
  CircuitOpenError,
  StoreTimeoutError,
  unavailableReason,
  withTimeout,
} from '../core/store-errors';
import type { Logger } from '../core/types';
import { CircuitBreaker } from './circuit-breaker';
import { callHook } from './hooks';
import { callAllowanceMs, callDeadline, noteTimeout } from './request-deadline';
import { traceStoreCall } from './tracing';
import type { DegradedEvent, ValidationHooks } from './types';

/** What every part that calls a store takes (the policies, the limiters, the flows). */
export interface StoreFailureOptions {
  /** Timeout of one store call in ms (default 1000); `Infinity` disables it (not recommended). */
  timeoutMs?: number | undefined;
  /** Breaker to share (one per backing server), `false` for none; default a private one (5 failures, 10 s open). */
  breaker?: CircuitBreaker | false | undefined;
  /** Store name in events and errors (default: the store's class name). */
  storeName?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Where breaker changes and hook errors are logged (default `console`). */
  logger?: Logger | undefined;
  /** `onDegraded`, `onBreakerStateChange` and the part's own events. */
  hooks?: ValidationHooks | undefined;
}

export interface GuardOptions {
  /** Per-call timeout in ms (default 1000); `Infinity` disables it (not recommended). */
  timeoutMs?: number;
  /** Name of the store for errors and events (`redis`, `postgres`, `memory`, …). */
  store: string;
}

/**
 * Calls `fn` under the breaker and a timeout: its own, or less when the request's budget says
 * so (a store that timed out earlier in the request: rejects at once, the store not called). While the circuit is open
 * it rejects at once with `CircuitOpenError`. A timeout rejects with `StoreTimeoutError`; any
 * other non-`AuthError` thrown by the store becomes a `StoreUnavailableError` (its `cause`
 * keeps the original). Other `AuthError`s pass through.
 */
export async function guardStoreCall<T>(
  breaker: CircuitBreaker | undefined,
  fn: () => Promise<T>,
  options: GuardOptions,
): Promise<T> {
  const { timeoutMs = 1000, store } = options;
  const allowance = callAllowanceMs(store, timeoutMs);
  if (allowance <= 0) throw new StoreTimeoutError(store, timeoutMs, { budgetSpent: true });
  const budgetBound = allowance < timeoutMs;
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
    const result = await withTimeout(pending, allowance, store);
    permit?.success();
    return result;
  } catch (error) {
    if (isAuthError(error) && !(error instanceof StoreUnavailableError)) {
      permit?.success(); // the store answered, with a decision
      throw error;
    }
    if (error instanceof StoreTimeoutError) noteTimeout(store);
    // Cut short by the request's budget, the store proved nothing either way: no verdict.
    if (!(budgetBound && error instanceof StoreTimeoutError)) permit?.failure();
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
  timeoutMs?: number | undefined;
  /**
   * The breaker to use (share one per backing server), `false` for none, or undefined for a
   * private default one (5 failures, 10 s) reported through `onBreakerStateChange` and `logger`.
   */
  breaker?: CircuitBreaker | false | undefined;
  onDegraded?: ((event: DegradedEvent) => void) | undefined;
  onBreakerStateChange?: ((event: { store: string; open: boolean }) => void) | undefined;
  logger?: Logger | undefined;
}

/**
 * One store dependency: calls go through `guardStoreCall`, and `degrade()` applies the failure
 * mode to an outage, reporting every degraded decision through `onDegraded`.
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
    this.breaker =
      options.breaker === false ? undefined : (options.breaker ?? defaultBreaker(options));
  }

  /** Calls the store under the breaker and the timeout (see `guardStoreCall`). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return guardStoreCall(this.breaker, fn, { timeoutMs: this.timeoutMs, store: this.store });
  }

  /** Epoch ms after which a call started now is no longer waited for (its own timeout or the request's budget). */
  deadline(): number {
    return callDeadline(this.store, this.timeoutMs);
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

function defaultBreaker(options: StoreGuardOptions): CircuitBreaker {
  const { store, logger, onBreakerStateChange, control, failureMode } = options;
  return new CircuitBreaker({
    onStateChange: ({ from, to }) => {
      // Report only open ↔ closed; half-open is still "not trusted".
      if (to === 'open' && from === 'closed') {
        logger?.warn(
          `auth-sdk-m8: the ${store} store keeps failing; calls suspended for 10 s (${control}: ${failureMode})`,
        );
        onBreakerStateChange?.({ store, open: true });
      } else if (to === 'closed') {
        logger?.warn(`auth-sdk-m8: the ${store} store answers again; calls resumed`);
        onBreakerStateChange?.({ store, open: false });
      }
    },
  });
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
 * A store behind its guard. `call` is for work that must not pretend (a revocation, a
 * registration): an outage rejects whatever the failure mode. `attempt` is for decisions the
 * failure mode may waive: under `fail_open` an outage resolves `fallback` (reported degraded),
 * under `fail_closed` it rejects with the 503.
 */
export class GuardedStore<S extends object> {
  constructor(
    readonly store: S,
    readonly guard: StoreGuard,
  ) {}

  call<T>(operation: (store: S) => Promise<T>): Promise<T> {
    return traceStoreCall(this.guard, this.store, (store) =>
      this.guard.run(() => operation(store)),
    );
  }

  attempt<T, F = undefined>(operation: (store: S) => Promise<T>, fallback?: F): Promise<T | F> {
    return traceStoreCall(this.guard, this.store, (store) =>
      this.#attempt(store, operation, fallback),
    );
  }

  async #attempt<T, F>(
    store: S,
    operation: (store: S) => Promise<T>,
    fallback: F | undefined,
  ): Promise<T | F> {
    try {
      return await this.guard.run(() => operation(store));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.guard.degrade(error); // throws under fail_closed
      return fallback as F;
    }
  }
}

/**
 * `store` behind a guard for `control` (undefined without a store): events go to `hooks` (a
 * throwing hook is ignored), the store is named after its class unless `storeName` is given.
 */
export function guardStore<S extends object>(
  control: FailureControl,
  store: S,
  options: StoreFailureOptions & { failureMode: FailureMode },
): GuardedStore<S>;
export function guardStore<S extends object>(
  control: FailureControl,
  store: S | undefined,
  options: StoreFailureOptions & { failureMode: FailureMode },
): GuardedStore<S> | undefined;
export function guardStore<S extends object>(
  control: FailureControl,
  store: S | undefined,
  options: StoreFailureOptions & { failureMode: FailureMode },
): GuardedStore<S> | undefined {
  if (store === undefined) return undefined;
  const { hooks } = options;
  const logger = options.logger ?? console;
  const guard = new StoreGuard({
    control,
    failureMode: options.failureMode,
    store: options.storeName ?? store.constructor.name,
    timeoutMs: options.timeoutMs,
    breaker: options.breaker,
    logger,
    onDegraded: (event) => callHook(hooks, 'onDegraded', event, logger),
    onBreakerStateChange: (event) => callHook(hooks, 'onBreakerStateChange', event, logger),
  });
  return new GuardedStore(store, guard);
}
