/**
 * Login throttling (ASVS 5 V6.3.1, OWASP brute-force guidance): attempts are counted per
 * account (the normalised email) and per client IP BEFORE the credentials are checked, in one
 * store call, so a flood of parallel guesses is counted as it arrives and no guess is checked
 * past the limit. Over a limit the answer is a 429 with `Retry-After`, the same for known and
 * unknown accounts (the limiter is no enumeration oracle). A success clears the account's
 * count and takes its own attempt back from the IP's, so only failures add up.
 */
import { createHash } from 'node:crypto';
import type { AuthSettings } from '../../core/settings/types';
import type { RateLimitHit, RateLimitUndo } from '../store-contracts';
import {
  RateLimiterBase,
  limiterFailureMode,
  settingsLimit,
  type LimiterSettings,
  type RateLimit,
  type RateLimiterOptions,
} from './limiter-base';

export interface LoginRateLimiterOptions extends RateLimiterOptions {
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
}

/** One counted login attempt: report its success (the failures before it are forgiven). */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

const LOGIN_RATE_LIMITED_MESSAGE = 'Too many login attempts. Retry later.';

const NOTHING_COUNTED: LoginAttempt = { succeeded: () => Promise.resolve() };

export class LoginRateLimiter extends RateLimiterBase {
  readonly #perAccount: RateLimit | undefined;
  readonly #perIp: RateLimit | undefined;

  constructor(options: LoginRateLimiterOptions) {
    super('LoginRateLimiter', options);
    const account = { max: 5, windowSeconds: 900 };
    this.#perAccount = this.limit('perAccount', options.perAccount, account);
    const base = this.#perAccount ?? account;
    this.#perIp = this.limit('perIp', options.perIp, {
      max: base.max * 4,
      windowSeconds: base.windowSeconds,
    });
  }

  /**
   * The Python settings' limiter: LOGIN_RATE_LIMIT_REQUESTS per LOGIN_RATE_LIMIT_WINDOW_MINUTES
   * per account, four times that per IP, RATE_LIMIT_FAILURE_MODE (AUTH_STRICT_MODE forces fail_closed).
   */
  static fromSettings(
    settings: LimiterSettings &
      Pick<AuthSettings, 'LOGIN_RATE_LIMIT_REQUESTS' | 'LOGIN_RATE_LIMIT_WINDOW_MINUTES'>,
    options: Omit<LoginRateLimiterOptions, 'perAccount' | 'failureMode'>,
  ): LoginRateLimiter {
    return new LoginRateLimiter({
      ...options,
      perAccount: settingsLimit(
        settings.LOGIN_RATE_LIMIT_REQUESTS,
        settings.LOGIN_RATE_LIMIT_WINDOW_MINUTES,
      ),
      failureMode: limiterFailureMode(settings),
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
    const hits = await this.counters.attempt((store) =>
      store.hitMany(keys.map(({ key, rule }) => ({ key, windowSeconds: rule.windowSeconds }))),
    );
    if (hits === undefined) return NOTHING_COUNTED; // fail_open: reported degraded
    const over = keys.filter((k, i) => hits[i]!.count > k.rule.max);
    if (over.length > 0) {
      // The longest wait of the windows over their limit: the client retries once.
      const wait = Math.max(
        ...keys.map((k, i) => (over.includes(k) ? hits[i]!.resetInSeconds : 1)),
      );
      const event = { scope: over[0]!.scope, flow: 'login' } as const;
      throw this.refuse(event, LOGIN_RATE_LIMITED_MESSAGE, wait);
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
    if (changes.length > 0) await this.counters.attempt((store) => store.undo(changes));
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
