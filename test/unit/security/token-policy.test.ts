import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  ConfigurationError,
  InvalidTokenError,
  StoreUnavailableError,
} from '../../../lib/core/errors';
import type { AuthSettings } from '../../../lib/core/settings/types';
import type { TokenUserData } from '../../../lib/core/types';
import { CircuitBreaker } from '../../../lib/security/circuit-breaker';
import type { AccessTokenValidator } from '../../../lib/security/token-validator';
import { TokenPolicy } from '../../../lib/security/token-policy';
import type { DegradedEvent, FailureEvent, ValidationHooks } from '../../../lib/security/types';
import { MemoryRevocationStore } from '../../../stores/memory';
import { FaultyRevocationStore, recordingLogger } from '../../helpers/faulty-stores';

const SECRET = 'Policy-Test_Secret-0123456789-abcdefghijkl';

/**
 * A real HS256 validator (jsonwebtoken) standing in for `TokenValidator`: the policy only
 * needs `validateAccessToken`, and its own behaviour is what these tests pin down.
 */
const validator: AccessTokenValidator = {
  async validateAccessToken(token: string): Promise<TokenUserData> {
    try {
      const claims = jwt.verify(token, SECRET, { algorithms: ['HS256'] }) as Record<
        string,
        unknown
      >;
      return {
        sub: String(claims.sub),
        jti: String(claims.jti),
        type: 'access',
        exp: Number(claims.exp),
        email: String(claims.email),
        role: 'user',
        is_active: true,
        email_verified: false,
        is_superuser: false,
      };
    } catch (error) {
      throw new InvalidTokenError('Invalid access token', 'invalid', 'access', { cause: error });
    }
  },
};

function mint(overrides: Record<string, unknown> = {}) {
  const jti = randomUUID();
  const exp = Math.floor(Date.now() / 1000) + 600;
  const token = jwt.sign(
    { sub: randomUUID(), jti, type: 'access', email: 'u@example.com', exp, ...overrides },
    SECRET,
    { algorithm: 'HS256' },
  );
  return { token, jti, exp };
}

function recordingHooks() {
  const failures: FailureEvent[] = [];
  const degraded: DegradedEvent[] = [];
  const breaker: { store: string; open: boolean }[] = [];
  const hooks: ValidationHooks = {
    onFailure: (e) => failures.push(e),
    onDegraded: (e) => degraded.push(e),
    onBreakerStateChange: (e) => breaker.push(e),
  };
  return { hooks, failures, degraded, breaker };
}

const quiet = () => recordingLogger();

describe('TokenPolicy.validate', () => {
  it('returns the validated claims of a token that is not revoked', async () => {
    const policy = new TokenPolicy({ validator, revocationStore: new MemoryRevocationStore() });
    const { token, jti } = mint();
    await expect(policy.validate(token)).resolves.toMatchObject({ jti, type: 'access' });
  });

  it('rejects a revoked token with "Token revoked", reason revoked, 401 and one onFailure hook', async () => {
    const store = new MemoryRevocationStore();
    const { hooks, failures } = recordingHooks();
    const policy = new TokenPolicy({ validator, revocationStore: store, hooks });
    const { token, jti } = mint();
    await store.revoke(jti, 60);
    const error = await policy.validate(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({
      message: 'Token revoked',
      reason: 'revoked',
      tokenType: 'access',
      status: 401,
    });
    expect(failures).toEqual([{ reason: 'revoked', tokenType: 'access' }]);
  });

  it('does not consult the store for a token the validator rejects', async () => {
    const store = new FaultyRevocationStore();
    const policy = new TokenPolicy({ validator, revocationStore: store });
    await expect(policy.validate('not.a.token')).rejects.toMatchObject({ reason: 'invalid' });
    expect(store.calls).toBe(0);
  });

  it('passes tokens through without a store (Python behaviour)', async () => {
    const policy = new TokenPolicy({ validator });
    expect(policy.checksRevocation).toBe(false);
    await expect(policy.validate(mint().token)).resolves.toMatchObject({ type: 'access' });
  });

  it.each(['stateless', 'hybrid'] as const)(
    'never calls the store for access tokens in %s mode (a revoked jti is accepted)',
    async (tokenMode) => {
      const store = new FaultyRevocationStore();
      const policy = new TokenPolicy({ validator, revocationStore: store, tokenMode });
      const { token, jti } = mint();
      await store.inner.revoke(jti, 60);
      await expect(policy.validate(token)).resolves.toMatchObject({ jti });
      expect(store.calls).toBe(0);
      expect(policy.checksRevocation).toBe(false);
    },
  );

  it('answers 503 StoreUnavailableError under fail_closed when the store fails, reporting onDegraded', async () => {
    const store = new FaultyRevocationStore();
    store.fault = 'throw';
    const { hooks, degraded } = recordingHooks();
    const policy = new TokenPolicy({
      validator,
      revocationStore: store,
      hooks,
      storeName: 'redis',
      logger: quiet(),
    });
    const error = await policy.validate(mint().token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 503, store: 'redis' });
    expect(degraded).toEqual([
      {
        control: 'access_revocation',
        mode: 'fail_closed',
        reason: 'store_unavailable',
        store: 'redis',
      },
    ]);
  });

  it('defaults to fail_closed', () => {
    expect(new TokenPolicy({ validator }).failureMode).toBe('fail_closed');
  });

  it('accepts the token under fail_open when the store fails, reporting onDegraded', async () => {
    const store = new FaultyRevocationStore();
    store.fault = 'throw';
    const { hooks, degraded, failures } = recordingHooks();
    const policy = new TokenPolicy({
      validator,
      revocationStore: store,
      hooks,
      failureMode: 'fail_open',
      storeName: 'redis',
      logger: quiet(),
    });
    const { token, jti } = mint();
    await expect(policy.validate(token)).resolves.toMatchObject({ jti });
    expect(degraded).toEqual([
      {
        control: 'access_revocation',
        mode: 'fail_open',
        reason: 'store_unavailable',
        store: 'redis',
      },
    ]);
    expect(failures).toEqual([]);
  });

  it('takes the store’s local answer without calling it (no timeout, no breaker), and calls it when there is none', async () => {
    const store = new FaultyRevocationStore();
    store.fault = 'hang'; // any call that reaches the store never settles
    const known = mint();
    const revoked = mint();
    const local: Record<string, boolean> = { [known.jti]: false, [revoked.jti]: true };
    store.isRevokedLocally = (jti: string) => local[jti];
    const { hooks, failures } = recordingHooks();
    const policy = new TokenPolicy({ validator, revocationStore: store, hooks, timeoutMs: 50 });
    await expect(policy.validate(known.token)).resolves.toMatchObject({ jti: known.jti });
    await expect(policy.validate(revoked.token)).rejects.toMatchObject({
      reason: 'revoked',
      status: 401,
    });
    expect(failures).toEqual([{ reason: 'revoked', tokenType: 'access' }]);
    expect(store.calls).toBe(0);
    await expect(policy.validate(mint().token)).rejects.toMatchObject({ status: 503 });
    expect(store.calls).toBe(1);
  });

  it('answers a hung store within the timeout, then at once while the breaker is open, then recovers', async () => {
    let now = 1_000_000;
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 10_000,
      clock: () => now,
    });
    const store = new FaultyRevocationStore();
    store.fault = 'hang';
    const { hooks, degraded } = recordingHooks();
    const policy = new TokenPolicy({
      validator,
      revocationStore: store,
      hooks,
      // Bounds wide enough for a loaded machine (timers fire late), narrow enough to tell one
      // timeout from none (the refusal while open) and from a hang.
      timeoutMs: 500,
      breaker,
      storeName: 'redis',
    });
    const { token } = mint();

    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      await expect(policy.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(500 + 500);
    }
    expect(breaker.state).toBe('open');

    const started = performance.now();
    await expect(policy.validate(token)).rejects.toMatchObject({ status: 503 });
    expect(performance.now() - started).toBeLessThan(250); // no timeout waited
    expect(store.calls).toBe(3);
    expect(degraded.map((e) => e.reason)).toEqual([
      'timeout',
      'timeout',
      'timeout',
      'circuit_open',
    ]);

    store.fault = 'none';
    now += 10_000;
    await expect(policy.validate(token)).resolves.toMatchObject({ type: 'access' });
    expect(breaker.state).toBe('closed');
  });

  it('reports its default breaker opening and closing through onBreakerStateChange and the logger', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const store = new FaultyRevocationStore();
      store.fault = 'throw';
      const { hooks, breaker } = recordingHooks();
      const logger = recordingLogger();
      const policy = new TokenPolicy({
        validator,
        revocationStore: store,
        hooks,
        failureMode: 'fail_open',
        storeName: 'redis',
        logger,
      });
      const { token } = mint();
      for (let i = 0; i < 6; i += 1) await policy.validate(token);
      expect(store.calls).toBe(5); // the 6th call was refused by the open circuit
      expect(breaker).toEqual([{ store: 'redis', open: true }]);

      store.fault = 'none';
      jest.setSystemTime(Date.now() + 10_000);
      await policy.validate(token);
      expect(breaker).toEqual([
        { store: 'redis', open: true },
        { store: 'redis', open: false },
      ]);
      expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'warn']);
      expect(logger.lines[0]!.message).toContain('redis');
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps its verdict when a hook throws', async () => {
    const store = new MemoryRevocationStore();
    const policy = new TokenPolicy({
      validator,
      revocationStore: store,
      logger: quiet(),
      hooks: {
        onFailure: () => {
          throw new Error('hook bug');
        },
      },
    });
    const { token, jti } = mint();
    await store.revoke(jti, 60);
    await expect(policy.validate(token)).rejects.toMatchObject({ reason: 'revoked' });
  });
});

describe('TokenPolicy.revoke', () => {
  it('revokes a token for its remaining life plus the grace period', async () => {
    let now = 1_700_000_000_000;
    const clockStore = new MemoryRevocationStore({ clock: () => now });
    const policy = new TokenPolicy({
      validator,
      revocationStore: clockStore,
      clock: () => now,
      revocationGraceSeconds: 5,
    });
    const exp = now / 1000 + 100;
    await policy.revoke({ jti: 'j-1', exp });
    now += 104_000;
    await expect(clockStore.isRevoked('j-1')).resolves.toBe(true);
    now += 1_000;
    await expect(clockStore.isRevoked('j-1')).resolves.toBe(false);
  });

  it('revokes validated claims so the next validate rejects the token', async () => {
    const policy = new TokenPolicy({ validator, revocationStore: new MemoryRevocationStore() });
    const { token } = mint();
    const claims = await policy.validate(token);
    await policy.revoke(claims);
    await expect(policy.validate(token)).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('accepts a jti with its exp, and skips the store for a token already past exp + grace', async () => {
    const store = new FaultyRevocationStore();
    const policy = new TokenPolicy({ validator, revocationStore: store });
    await policy.revoke('j-2', Date.now() / 1000 + 60);
    await expect(store.inner.isRevoked('j-2')).resolves.toBe(true);
    const calls = store.calls;
    await policy.revoke('j-3', Date.now() / 1000 - 60);
    expect(store.calls).toBe(calls);
  });

  it('rejects a revocation without exp or jti with a TypeError', async () => {
    const policy = new TokenPolicy({ validator, revocationStore: new MemoryRevocationStore() });
    await expect(policy.revoke('j-4')).rejects.toThrow(TypeError);
    await expect(policy.revoke({ jti: 'j-5', exp: null })).rejects.toThrow(TypeError);
    await expect(policy.revoke({ jti: '', exp: 1 })).rejects.toThrow(TypeError);
  });

  it('is a no-op without a store', async () => {
    await expect(
      new TokenPolicy({ validator }).revoke('j', Date.now() / 1000 + 60),
    ).resolves.toBeUndefined();
  });

  it('rejects with StoreUnavailableError when the store is down, even under fail_open', async () => {
    const store = new FaultyRevocationStore();
    store.fault = 'throw';
    const policy = new TokenPolicy({
      validator,
      revocationStore: store,
      failureMode: 'fail_open',
      logger: quiet(),
    });
    await expect(policy.revoke('j', Date.now() / 1000 + 60)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});

describe('TokenPolicy construction', () => {
  it('refuses bad options with a ConfigurationError', () => {
    expect(() => new TokenPolicy({} as never)).toThrow(ConfigurationError);
    expect(() => new TokenPolicy({ validator, tokenMode: 'sometimes' as never })).toThrow(
      ConfigurationError,
    );
    expect(
      () =>
        new TokenPolicy({
          validator,
          revocationStore: new MemoryRevocationStore(),
          failureMode: 'fail_sideways' as never,
        }),
    ).toThrow(ConfigurationError);
    expect(
      () =>
        new TokenPolicy({ validator, revocationStore: new MemoryRevocationStore(), timeoutMs: 0 }),
    ).toThrow(ConfigurationError);
  });
});

describe('TokenPolicy.fromSettings', () => {
  const settings = (overrides: Partial<AuthSettings> = {}) =>
    ({
      TOKEN_MODE: 'stateful',
      AUTH_STRICT_MODE: false,
      ACCESS_REVOCATION_FAILURE_MODE: 'fail_closed',
      REFRESH_VALIDATION_FAILURE_MODE: 'fail_closed',
      SESSION_WRITE_FAILURE_MODE: 'fail_closed',
      RATE_LIMIT_FAILURE_MODE: 'fail_open',
      ...overrides,
    }) as AuthSettings;

  it('refuses TOKEN_MODE=stateful without a revocation store (revocation would be silently off)', () => {
    expect(() => TokenPolicy.fromSettings(settings(), { validator })).toThrow(ConfigurationError);
  });

  it('takes TOKEN_MODE and ACCESS_REVOCATION_FAILURE_MODE from the settings', () => {
    const policy = TokenPolicy.fromSettings(
      settings({ TOKEN_MODE: 'hybrid', ACCESS_REVOCATION_FAILURE_MODE: 'fail_open' }),
      { validator, revocationStore: new MemoryRevocationStore() },
    );
    expect(policy.tokenMode).toBe('hybrid');
    expect(policy.failureMode).toBe('fail_open');
    expect(policy.checksRevocation).toBe(false);
  });

  it('lets AUTH_STRICT_MODE force fail_closed', () => {
    const policy = TokenPolicy.fromSettings(
      settings({ AUTH_STRICT_MODE: true, ACCESS_REVOCATION_FAILURE_MODE: 'fail_open' }),
      { validator, revocationStore: new MemoryRevocationStore() },
    );
    expect(policy.failureMode).toBe('fail_closed');
    expect(policy.checksRevocation).toBe(true);
  });

  it('needs no store in stateless mode', async () => {
    const policy = TokenPolicy.fromSettings(settings({ TOKEN_MODE: 'stateless' }), { validator });
    await expect(policy.validate(mint().token)).resolves.toMatchObject({ type: 'access' });
  });
});
