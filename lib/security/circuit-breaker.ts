/**
 * The circuit breaker around one backing server: after repeated failures it stops calling
 * the server for a while, so a hung Redis costs one timeout per window instead of one per
 * request.
 */
import { ConfigurationError } from '../core/errors';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStateChange {
  from: BreakerState;
  to: BreakerState;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number | undefined;
  /** How long the circuit stays open before one probe call is let through, in ms (default 10 000). */
  resetTimeoutMs?: number | undefined;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: (() => number) | undefined;
  /** Called on every state change; an exception it throws is ignored. */
  onStateChange?: ((change: BreakerStateChange) => void) | undefined;
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
