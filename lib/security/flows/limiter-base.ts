/**
 * What the login and refresh limiters share: their options, the guarded counter store with
 * the Python `RATE_LIMIT_FAILURE_MODE` (default `fail_open`: a limiter that cannot count lets
 * the request through, reported as degraded), limits checked at construction, the refusal.
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

export interface RateLimiterOptions extends StoreFailureOptions {
  store: RateLimitStore;
  /** Env `RATE_LIMIT_FAILURE_MODE` (default `fail_open`). */
  failureMode?: FailureMode | undefined;
}

/** The settings a limiter's `fromSettings` reads besides its own limit. */
export type LimiterSettings = Pick<AuthSettings, 'RATE_LIMIT_FAILURE_MODE' | 'AUTH_STRICT_MODE'>;

export abstract class RateLimiterBase {
  protected readonly counters: GuardedStore<RateLimitStore>;
  protected readonly hooks: ValidationHooks | undefined;
  protected readonly logger: Logger;

  protected constructor(
    protected readonly owner: string,
    options: RateLimiterOptions,
  ) {
    if (typeof options?.store?.hitMany !== 'function') {
      throw new ConfigurationError(`${owner}: \`store\` (a RateLimitStore) is required`);
    }
    this.hooks = options.hooks;
    this.logger = options.logger ?? console;
    this.counters = guardStore('rate_limit', options.store, {
      ...options,
      failureMode: options.failureMode ?? 'fail_open',
      logger: this.logger,
    });
  }

  /** A limit option checked at construction: `false` for none, the fallback when undefined. */
  protected limit(
    name: string,
    given: RateLimit | false | undefined,
    fallback: RateLimit,
  ): RateLimit | undefined {
    if (given === false) return undefined;
    const rule = given ?? fallback;
    const valid =
      Number.isInteger(rule.max) &&
      rule.max > 0 &&
      Number.isFinite(rule.windowSeconds) &&
      rule.windowSeconds > 0;
    if (!valid) {
      throw new ConfigurationError(
        `${this.owner}: ${name} needs a positive integer max and a positive windowSeconds`,
      );
    }
    return rule;
  }

  /** The refusal: reported through `onRateLimited`, a 429 with `Retry-After`. */
  protected refuse(
    event: { scope: 'family' | 'ip' | 'account'; flow: 'refresh' | 'login' },
    message: string,
    retryAfterSeconds: number,
  ): RateLimitedError {
    callHook(this.hooks, 'onRateLimited', event, this.logger);
    return new RateLimitedError(message, retryAfterSeconds);
  }
}

/** A limit from the settings' `<NAME>_REQUESTS` per `<NAME>_WINDOW_MINUTES`. */
export function settingsLimit(requests: number, windowMinutes: number): RateLimit {
  return { max: requests, windowSeconds: windowMinutes * 60 };
}

/** `RATE_LIMIT_FAILURE_MODE` (`AUTH_STRICT_MODE` forces fail_closed). */
export function limiterFailureMode(settings: LimiterSettings): FailureMode {
  return effectiveFailureMode(settings as AuthSettings, 'rate_limit');
}
