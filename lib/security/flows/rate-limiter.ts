/**
 * The refresh rate limiter: fixed windows per refresh family and per client IP over a
 * `RateLimitStore`, with the Python `RATE_LIMIT_FAILURE_MODE` (default `fail_open`: a limiter
 * that cannot count lets the request through, reported as degraded).
 */
import { ConfigurationError, RateLimitedError, StoreUnavailableError } from '../../core/errors';
import type { FailureMode } from '../../core/failure-mode';
import type { Logger } from '../../core/types';
import type { CircuitBreaker } from '../circuit-breaker';
import { callHook } from '../hooks';
import { policyStoreGuard, type StoreGuard } from '../store-guard';
import type { RateLimitStore } from '../store-contracts';
import type { ValidationHooks } from '../types';

export interface RateLimit {
  /** Requests allowed per window. */
  max: number;
  windowSeconds: number;
}

export interface RefreshRateLimiterOptions {
  store: RateLimitStore;
  /** Refreshes per refresh family per window. Default 10 per 60 s; `false` for none. */
  perFamily?: RateLimit | false | undefined;
  /** Refreshes per client IP per window. Default 60 per 60 s; `false` for none. */
  perIp?: RateLimit | false | undefined;
  /** Env `RATE_LIMIT_FAILURE_MODE` (default `fail_open`). */
  failureMode?: FailureMode | undefined;
  timeoutMs?: number | undefined;
  breaker?: CircuitBreaker | false | undefined;
  hooks?: ValidationHooks | undefined;
  logger?: Logger | undefined;
}

export const RATE_LIMITED_MESSAGE = 'Too many refresh requests. Retry later.';

export class RefreshRateLimiter {
  readonly #store: RateLimitStore;
  readonly #perFamily: RateLimit | undefined;
  readonly #perIp: RateLimit | undefined;
  readonly #guard: StoreGuard;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;

  constructor(options: RefreshRateLimiterOptions) {
    if (typeof options?.store?.hit !== 'function') {
      throw new ConfigurationError('RefreshRateLimiter: `store` (a RateLimitStore) is required');
    }
    this.#store = options.store;
    this.#perFamily = limit('perFamily', options.perFamily, { max: 10, windowSeconds: 60 });
    this.#perIp = limit('perIp', options.perIp, { max: 60, windowSeconds: 60 });
    this.#hooks = options.hooks;
    this.#logger = options.logger ?? console;
    this.#guard = policyStoreGuard('rate_limit', options.store, {
      failureMode: options.failureMode ?? 'fail_open',
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
      hooks: options.hooks,
      logger: this.#logger,
    });
  }

  /** Counts one refresh of `ip`; throws `RateLimitedError` (429) past the limit. */
  checkIp(ip: string | undefined): Promise<void> {
    if (this.#perIp === undefined || ip === undefined || ip === '') return Promise.resolve();
    return this.#check('ip', `ip:${ip}`, this.#perIp);
  }

  /** Counts one refresh of `familyId`; throws `RateLimitedError` (429) past the limit. */
  checkFamily(familyId: string): Promise<void> {
    if (this.#perFamily === undefined) return Promise.resolve();
    return this.#check('family', `fam:${familyId}`, this.#perFamily);
  }

  async #check(scope: 'family' | 'ip', key: string, rule: RateLimit): Promise<void> {
    let hit;
    try {
      hit = await this.#guard.run(() => this.#store.hit(`refresh:${key}`, rule.windowSeconds));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.#guard.degrade(error); // throws under fail_closed
      return;
    }
    if (hit.count > rule.max) {
      callHook(this.#hooks, 'onRateLimited', { scope }, this.#logger);
      throw new RateLimitedError(RATE_LIMITED_MESSAGE, hit.resetInSeconds);
    }
  }
}

function limit(
  name: string,
  given: RateLimit | false | undefined,
  fallback: RateLimit,
): RateLimit | undefined {
  if (given === false) return undefined;
  const rule = given ?? fallback;
  if (!(
    Number.isInteger(rule.max) &&
    rule.max > 0 &&
    Number.isFinite(rule.windowSeconds) &&
    rule.windowSeconds > 0
  )) {
    throw new ConfigurationError(
      `RefreshRateLimiter: ${name} needs a positive integer max and a positive windowSeconds`,
    );
  }
  return rule;
}
