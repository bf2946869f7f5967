/**
 * The refresh rate limiter: fixed windows per refresh family and per client IP over a
 * `RateLimitStore`, with the Python `RATE_LIMIT_FAILURE_MODE` (default `fail_open`: a limiter
 * that cannot count lets the request through, reported as degraded).
 */
import { ConfigurationError, RateLimitedError } from '../../core/errors';
import type { FailureMode } from '../../core/failure-mode';
import { effectiveFailureMode } from '../../core/settings/failure-mode';
import type { AuthSettings } from '../../core/settings/types';
import type { Logger } from '../../core/types';
import { callHook } from '../hooks';
import type { RateLimitStore } from '../store-contracts';
import { guardStore, type GuardedStore, type StoreFailureOptions } from '../store-guard';
import type { ValidationHooks } from '../types';

export interface RateLimit {
  /** Requests allowed per window. */
  max: number;
  windowSeconds: number;
}

export interface RefreshRateLimiterOptions extends StoreFailureOptions {
  store: RateLimitStore;
  /** Refreshes per refresh family per window. Default 10 per 60 s; `false` for none. */
  perFamily?: RateLimit | false | undefined;
  /** Refreshes per client IP per window. Default 60 per 60 s; `false` for none. */
  perIp?: RateLimit | false | undefined;
  /** Env `RATE_LIMIT_FAILURE_MODE` (default `fail_open`). */
  failureMode?: FailureMode | undefined;
}

export const RATE_LIMITED_MESSAGE = 'Too many refresh requests. Retry later.';

export class RefreshRateLimiter {
  readonly #counters: GuardedStore<RateLimitStore>;
  readonly #perFamily: RateLimit | undefined;
  readonly #perIp: RateLimit | undefined;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;

  constructor(options: RefreshRateLimiterOptions) {
    if (typeof options?.store?.hit !== 'function') {
      throw new ConfigurationError('RefreshRateLimiter: `store` (a RateLimitStore) is required');
    }
    this.#perFamily = rateLimitOption('RefreshRateLimiter', 'perFamily', options.perFamily, {
      max: 10,
      windowSeconds: 60,
    });
    this.#perIp = rateLimitOption('RefreshRateLimiter', 'perIp', options.perIp, {
      max: 60,
      windowSeconds: 60,
    });
    this.#hooks = options.hooks;
    this.#logger = options.logger ?? console;
    this.#counters = guardStore('rate_limit', options.store, {
      ...options,
      failureMode: options.failureMode ?? 'fail_open',
      logger: this.#logger,
    });
  }

  /**
   * The Python settings' limiter: REFRESH_RATE_LIMIT_REQUESTS per
   * REFRESH_RATE_LIMIT_WINDOW_MINUTES per refresh family, RATE_LIMIT_FAILURE_MODE
   * (AUTH_STRICT_MODE forces fail_closed); `perIp` as given (default 60 per minute).
   */
  static fromSettings(
    settings: Pick<
      AuthSettings,
      | 'REFRESH_RATE_LIMIT_REQUESTS'
      | 'REFRESH_RATE_LIMIT_WINDOW_MINUTES'
      | 'RATE_LIMIT_FAILURE_MODE'
      | 'AUTH_STRICT_MODE'
    >,
    options: Omit<RefreshRateLimiterOptions, 'perFamily' | 'failureMode'>,
  ): RefreshRateLimiter {
    return new RefreshRateLimiter({
      ...options,
      perFamily: {
        max: settings.REFRESH_RATE_LIMIT_REQUESTS,
        windowSeconds: settings.REFRESH_RATE_LIMIT_WINDOW_MINUTES * 60,
      },
      failureMode: effectiveFailureMode(settings as AuthSettings, 'rate_limit'),
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
    // fail_open: a limiter that cannot count lets the request through (reported degraded).
    const hit = await this.#counters.attempt((store) =>
      store.hit(`refresh:${key}`, rule.windowSeconds),
    );
    if (hit !== undefined && hit.count > rule.max) {
      callHook(this.#hooks, 'onRateLimited', { scope, flow: 'refresh' }, this.#logger);
      throw new RateLimitedError(RATE_LIMITED_MESSAGE, hit.resetInSeconds);
    }
  }
}

/** A limit option checked at construction: `false` for none, the fallback when undefined. */
export function rateLimitOption(
  owner: string,
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
      `${owner}: ${name} needs a positive integer max and a positive windowSeconds`,
    );
  }
  return rule;
}
