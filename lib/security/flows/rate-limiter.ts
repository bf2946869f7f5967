/**
 * The refresh rate limiter: fixed windows per refresh family and per client IP over a
 * `RateLimitStore`, with the Python `RATE_LIMIT_FAILURE_MODE` (default `fail_open`: a limiter
 * that cannot count lets the request through, reported as degraded).
 */
import type { AuthSettings } from '../../core/settings/types';
import {
  RateLimiterBase,
  limiterFailureMode,
  settingsLimit,
  type LimiterSettings,
  type RateLimit,
  type RateLimiterOptions,
} from './limiter-base';

export type { RateLimit } from './limiter-base';

export interface RefreshRateLimiterOptions extends RateLimiterOptions {
  /** Refreshes per refresh family per window. Default 10 per 60 s; `false` for none. */
  perFamily?: RateLimit | false | undefined;
  /** Refreshes per client IP per window. Default 60 per 60 s; `false` for none. */
  perIp?: RateLimit | false | undefined;
}

export const RATE_LIMITED_MESSAGE = 'Too many refresh requests. Retry later.';

export class RefreshRateLimiter extends RateLimiterBase {
  readonly #perFamily: RateLimit | undefined;
  readonly #perIp: RateLimit | undefined;

  constructor(options: RefreshRateLimiterOptions) {
    super('RefreshRateLimiter', options);
    this.#perFamily = this.limit('perFamily', options.perFamily, { max: 10, windowSeconds: 60 });
    this.#perIp = this.limit('perIp', options.perIp, { max: 60, windowSeconds: 60 });
  }

  /**
   * The Python settings' limiter: REFRESH_RATE_LIMIT_REQUESTS per
   * REFRESH_RATE_LIMIT_WINDOW_MINUTES per refresh family, RATE_LIMIT_FAILURE_MODE
   * (AUTH_STRICT_MODE forces fail_closed); `perIp` as given (default 60 per minute).
   */
  static fromSettings(
    settings: LimiterSettings &
      Pick<AuthSettings, 'REFRESH_RATE_LIMIT_REQUESTS' | 'REFRESH_RATE_LIMIT_WINDOW_MINUTES'>,
    options: Omit<RefreshRateLimiterOptions, 'perFamily' | 'failureMode'>,
  ): RefreshRateLimiter {
    return new RefreshRateLimiter({
      ...options,
      perFamily: settingsLimit(
        settings.REFRESH_RATE_LIMIT_REQUESTS,
        settings.REFRESH_RATE_LIMIT_WINDOW_MINUTES,
      ),
      failureMode: limiterFailureMode(settings),
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
    const hit = await this.counters.attempt((store) =>
      store.hit(`refresh:${key}`, rule.windowSeconds),
    );
    if (hit !== undefined && hit.count > rule.max) {
      throw this.refuse({ scope, flow: 'refresh' }, RATE_LIMITED_MESSAGE, hit.resetInSeconds);
    }
  }
}
