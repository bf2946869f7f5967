/**
 * Degradation primitives for store calls on the request path: a timeout, a circuit breaker
 * and `guardStoreCall`, which combines them so that a hung Redis costs at most one timeout
 * per breaker window instead of one per request. What to do when a store cannot answer
 * (allow or 503) is the caller's failure mode, not decided here.
 */
import { ConfigurationError, isAuthError, StoreUnavailableError } from '../core/errors';
import type { Logger } from '../core/types';
import { callHook } from './hooks';
import type { DegradedEvent, FailureControl, FailureMode, ValidationHooks } from './types';

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

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStateChange {
  from: BreakerState;
  to: BreakerState;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through, in ms (default 10 000). */
  resetTimeoutMs?: number;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: () => number;
  /** Called on every state change; an exception it throws is ignored. */
  onStateChange?: (change: BreakerStateChange) => void;
}

/** Permission to call the store, to be settled exactly once with the call's outcome. */
export interface BreakerPermit {
  /** The store answered (any answer, including "revoked"). */
  success(): void;
  /** The store could not answer (timeout, connection error). */
  failure(): void;
}

/**
 * Closed → (failureThreshold consecutive failures) → open → (resetTimeoutMs) → half-open, where
 * exactly one probe call goes through: its success closes the circuit, its failure reopens it.
 * Outcomes of calls that started before the last state change are ignored, so a slow call
 * from an earlier period never flips the circuit.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;
  readonly #clock: () => number;
  readonly #onStateChange: ((change: BreakerStateChange) => void) | undefined;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeStartedAt: number | undefined;
  /** Bumped on every state change; permits from an older generation are stale. */
  #generation = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    const { failureThreshold = 5, resetTimeoutMs = 10_000 } = options;
    if (!Number.isSafeInteger(failureThreshold) || failureThreshold < 1) {
      throw new ConfigurationError(
        `CircuitBreaker: failureThreshold must be a positive integer, got ${String(failureThreshold)}`,
      );
    }
    if (!Number.isFinite(resetTimeoutMs) || resetTimeoutMs <= 0) {
      throw new ConfigurationError(
        `CircuitBreaker: resetTimeoutMs must be a positive number of milliseconds, got ${String(resetTimeoutMs)}`,
      );
    }
    this.failureThreshold = failureThreshold;
    this.resetTimeoutMs = resetTimeoutMs;
    this.#clock = options.clock ?? Date.now;
    this.#onStateChange = options.onStateChange;
  }

  /** The current state (`open` turns into `half_open` only when a call asks for a permit). */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * A permit to call the store, or the milliseconds to wait before one would be granted.
   * While half-open only one probe is in flight; a probe that never settles is given up after
   * `resetTimeoutMs` so the circuit cannot stay stuck half-open.
   */
  acquire(): BreakerPermit | { retryAfterMs: number } {
    if (this.#state === 'closed') return this.#permit(false); // hot path: no clock read
    const now = this.#clock();
    if (this.#state === 'open') {
      const reopensAt = this.#openedAt + this.resetTimeoutMs;
      if (now < reopensAt) return { retryAfterMs: reopensAt - now };
      this.#transition('half_open');
    }
    if (this.#state === 'half_open') {
      if (this.#probeStartedAt !== undefined && now < this.#probeStartedAt + this.resetTimeoutMs) {
        return { retryAfterMs: this.#probeStartedAt + this.resetTimeoutMs - now };
      }
      if (this.#probeStartedAt !== undefined) this.#generation += 1; // give up the lost probe
      this.#probeStartedAt = now;
      return this.#permit(true);
    }
    return this.#permit(false);
  }

  #permit(probe: boolean): BreakerPermit {
    return new Permit(this, this.#generation, probe);
  }

  /** @internal Applies a permit's outcome; called once per permit by `Permit`. */
  settlePermit(generation: number, probe: boolean, ok: boolean): void {
    if (generation !== this.#generation) return; // outcome of an earlier period
    if (probe) {
      this.#probeStartedAt = undefined;
      this.#failures = 0;
      if (ok) this.#transition('closed');
      else this.#open();
      return;
    }
    if (ok) {
      this.#failures = 0;
    } else {
      this.#failures += 1;
      if (this.#failures >= this.failureThreshold) this.#open();
    }
  }

  #open(): void {
    this.#openedAt = this.#clock();
    this.#failures = 0;
    this.#transition('open');
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    this.#generation += 1;
    this.#probeStartedAt = undefined;
    if (from === to) return;
    this.#state = to;
    try {
      this.#onStateChange?.({ from, to });
    } catch {
      // An observer must never change the breaker's behaviour.
    }
  }
}

/** A plain class rather than two closures per call: this sits on every request's path. */
class Permit implements BreakerPermit {
  readonly #breaker: CircuitBreaker;
  readonly #generation: number;
  readonly #probe: boolean;
  #settled = false;

  constructor(breaker: CircuitBreaker, generation: number, probe: boolean) {
    this.#breaker = breaker;
    this.#generation = generation;
    this.#probe = probe;
  }

  success(): void {
    this.#settle(true);
  }

  failure(): void {
    this.#settle(false);
  }

  #settle(ok: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#breaker.settlePermit(this.#generation, this.#probe, ok);
  }
}

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
