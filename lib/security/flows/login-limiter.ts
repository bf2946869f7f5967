/**
 * Login throttling (ASVS 5 V6.3.1, OWASP brute-force guidance): attempts are counted per
 * account (the normalised email) and per client IP BEFORE the credentials are checked, in one
 * store call, so a flood of parallel guesses is counted as it arrives and no guess is checked
 * past the limit. Over a limit the answer is a 429 with `Retry-After`, the same for known and
 * unknown accounts (the limiter is no enumeration oracle). A success clears the account's
 * count and takes its own attempt back from the IP's, so only failures add up.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, RateLimitedError } from '../../core/errors';
import type { FailureMode } from '../../core/failure-mode';
import { effectiveFailureMode } from '../../core/settings/failure-mode';
import type { AuthSettings } from '../../core/settings/types';
import type { Logger } from '../../core/types';
import { callHook } from '../hooks';
import type { RateLimitHit, RateLimitStore, RateLimitUndo } from '../store-contracts';
import { guardStore, type GuardedStore, type StoreFailureOptions } from '../store-guard';
import type { ValidationHooks } from '../types';
import { rateLimitOption, type RateLimit } from './rate-limiter';

export interface LoginRateLimiterOptions extends StoreFailureOptions {
  store: RateLimitStore;
  /**
   * Attempts per account (its email, trimmed and lower-cased) per window. Default 5 per 15
   * minutes (LOGIN_RATE_LIMIT_REQUESTS / LOGIN_RATE_LIMIT_WINDOW_MINUTES); `false` for none.
   */
  perAccount?: RateLimit | false | undefined;
  /**
   * Failed attempts per client IP per window, whatever the account (password spraying).
   * Default four times the account limit, same window; `false` for none. The IP is the
   * framework's (`req.ip`: its trusted-proxy setting decides), never a header read here.
   */
  perIp?: RateLimit | false | undefined;
  /** Env `RATE_LIMIT_FAILURE_MODE` (default `fail_open`: a limiter that cannot count lets logins through). */
  failureMode?: FailureMode | undefined;
}

/** One counted login attempt: report its success (the failures before it are forgiven). */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

export const LOGIN_RATE_LIMITED_MESSAGE = 'Too many login attempts. Retry later.';

const NOTHING_COUNTED: LoginAttempt = { succeeded: () => Promise.resolve() };

export class LoginRateLimiter {
  readonly #counters: GuardedStore<RateLimitStore>;
  readonly #perAccount: RateLimit | undefined;
  readonly #perIp: RateLimit | undefined;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger;

  constructor(options: LoginRateLimiterOptions) {
    if (typeof options?.store?.hitMany !== 'function') {
      throw new ConfigurationError('LoginRateLimiter: `store` (a RateLimitStore) is required');
    }
    const owner = 'LoginRateLimiter';
    const account = { max: 5, windowSeconds: 900 };
    this.#perAccount = rateLimitOption(owner, 'perAccount', options.perAccount, account);
    const base = this.#perAccount ?? account;
    this.#perIp = rateLimitOption(owner, 'perIp', options.perIp, {
      max: base.max * 4,
      windowSeconds: base.windowSeconds,
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
   * The Python settings' limiter: LOGIN_RATE_LIMIT_REQUESTS per LOGIN_RATE_LIMIT_WINDOW_MINUTES
   * per account, four times that per IP, RATE_LIMIT_FAILURE_MODE (AUTH_STRICT_MODE forces fail_closed).
   */
  static fromSettings(
    settings: Pick<
      AuthSettings,
      | 'LOGIN_RATE_LIMIT_REQUESTS'
      | 'LOGIN_RATE_LIMIT_WINDOW_MINUTES'
      | 'RATE_LIMIT_FAILURE_MODE'
      | 'AUTH_STRICT_MODE'
    >,
    options: Omit<LoginRateLimiterOptions, 'perAccount' | 'failureMode'>,
  ): LoginRateLimiter {
    return new LoginRateLimiter({
      ...options,
      perAccount: {
        max: settings.LOGIN_RATE_LIMIT_REQUESTS,
        windowSeconds: settings.LOGIN_RATE_LIMIT_WINDOW_MINUTES * 60,
      },
      failureMode: effectiveFailureMode(settings as AuthSettings, 'rate_limit'),
    });
  }

  /**
   * Counts one attempt for `email` from `ip` (one store call) before the credentials are
   * checked; throws `RateLimitedError` (429) past a limit. The attempt it resolves reports a
   * success.
   */
  async attempt(email: string, ip: string | undefined): Promise<LoginAttempt> {
    const keys = this.#keysOf(email, ip);
    if (keys.length === 0) return NOTHING_COUNTED;
    const hits = await this.#counters.attempt((store) =>
      store.hitMany(keys.map(({ key, rule }) => ({ key, windowSeconds: rule.windowSeconds }))),
    );
    if (hits === undefined) return NOTHING_COUNTED; // fail_open: reported degraded
    const over = keys.filter((k, i) => hits[i]!.count > k.rule.max);
    if (over.length > 0) {
      const scope = over[0]!.scope;
      callHook(this.#hooks, 'onRateLimited', { scope, flow: 'login' }, this.#logger);
      // The longest wait of the windows over their limit: the client retries once.
      const wait = Math.max(
        ...keys.map((k, i) => (over.includes(k) ? hits[i]!.resetInSeconds : 1)),
      );
      throw new RateLimitedError(LOGIN_RATE_LIMITED_MESSAGE, wait);
    }
    return { succeeded: () => this.#forgive(keys, hits) };
  }

  /**
   * A success: the account's failures are forgiven and this attempt leaves the IP's count.
   * When this attempt was the only one counted, nothing is sent (a login stays one round
   * trip); the attempt then stays counted until its window ends.
   */
  async #forgive(keys: CountedKey[], hits: RateLimitHit[]): Promise<void> {
    const changes: RateLimitUndo[] = keys
      .filter((_, i) => hits[i]!.count > 1)
      .map(({ key, scope }) => ({ key, hits: scope === 'account' ? 'all' : 1 }));
    if (changes.length > 0) await this.#counters.attempt((store) => store.undo(changes));
  }

  #keysOf(email: string, ip: string | undefined): CountedKey[] {
    const keys: CountedKey[] = [];
    if (this.#perAccount !== undefined) {
      // Hashed: a store's keys list no email addresses.
      const account = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
      keys.push({
        key: `login:acct:${account.slice(0, 32)}`,
        rule: this.#perAccount,
        scope: 'account',
      });
    }
    if (this.#perIp !== undefined && ip !== undefined && ip !== '') {
      keys.push({ key: `login:ip:${ip}`, rule: this.#perIp, scope: 'ip' });
    }
    return keys;
  }
}

interface CountedKey {
  key: string;
  rule: RateLimit;
  scope: 'account' | 'ip';
}
