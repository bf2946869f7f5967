import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigurationError,
  InvalidTokenError,
  StoreUnavailableError,
} from '../../../lib/core/errors';
import { SecretValue } from '../../../lib/core/settings/secret';
import type { AuthSettings } from '../../../lib/core/settings/types';
import { CircuitBreaker } from '../../../lib/security/circuit-breaker';
import {
  OLD_KEY_WARNING,
  RefreshTokenPolicy,
  type RefreshTokenPolicyOptions,
} from '../../../lib/security/refresh-token-policy';
import type {
  DegradedEvent,
  FailureEvent,
  SuccessEvent,
  ValidationHooks,
} from '../../../lib/security/types';
import type { RevokedRefreshToken } from '../../../lib/security/store-contracts';
import { MemoryRefreshTokenStore } from '../../../stores/memory';
import vectors from '../../fixtures/python-sdk-vectors.json';
import { FaultyRefreshTokenStore, recordingLogger } from '../../helpers/faulty-stores';

const SECRET = 'Refresh-Test_Secret-0123456789-abcdefghijk';
const OLD_SECRET = 'Refresh-Old_Secret-0123456789-abcdefghijkl';
const OTHER_SECRET = 'Refresh-Other_Secret-0123456789-abcdefghij';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Compact HS256/HS512 signing on node:crypto, so tests can mint claims jsonwebtoken refuses. */
function sign(
  payload: Record<string, unknown>,
  secret: string | Buffer,
  alg: 'HS256' | 'HS512' = 'HS256',
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg, typ: 'JWT' })}.${encode(payload)}`;
  const mac = createHmac(alg === 'HS256' ? 'sha256' : 'sha512', secret)
    .update(input)
    .digest();
  return `${input}.${mac.toString('base64url')}`;
}

function mint(
  claims: Record<string, unknown> = {},
  secret: string | Buffer = SECRET,
  alg: 'HS256' | 'HS512' = 'HS256',
) {
  const sub = randomUUID();
  const jti = randomUUID();
  const payload: Record<string, unknown> = {
    sub,
    jti,
    type: 'refresh',
    exp: nowSeconds() + 3600,
    ...claims,
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return { token: sign(payload, secret, alg), sub, jti };
}

function recordingHooks() {
  const successes: SuccessEvent[] = [];
  const failures: FailureEvent[] = [];
  const degraded: DegradedEvent[] = [];
  const hooks: ValidationHooks = {
    onSuccess: (e) => successes.push(e),
    onFailure: (e) => failures.push(e),
    onDegraded: (e) => degraded.push(e),
  };
  return { hooks, successes, failures, degraded };
}

function policyWith(options: Partial<RefreshTokenPolicyOptions> = {}) {
  const logger = recordingLogger();
  const recorded = recordingHooks();
  const policy = new RefreshTokenPolicy({
    secret: SECRET,
    hooks: recorded.hooks,
    logger,
    ...options,
  });
  return { policy, logger, ...recorded };
}

async function rejection(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return error as InvalidTokenError;
}

describe('RefreshTokenPolicy: Python 0.6.10 vectors (keys.refresh)', () => {
  const refreshVectors = vectors.vectors.filter((v) => v.kind === 'refresh');

  it('has the refresh vectors to check', () => {
    expect(refreshVectors.length).toBeGreaterThanOrEqual(8);
  });

  it.each(refreshVectors.map((v) => [v.name, v] as const))(
    'gives the Python verdict: %s',
    async (_name, vector) => {
      const v = vector as {
        token: string;
        old_secret_configured: boolean;
        expect: { accept: boolean; user_id?: string; jti?: string; message?: string };
      };
      const policy = new RefreshTokenPolicy({
        secret: vectors.keys.refresh.secret,
        oldSecret: v.old_secret_configured ? vectors.keys.refresh.old_secret : undefined,
        logger: recordingLogger(),
      });
      const result = policy.validateAndRotate(v.token, { newJti: 'next' });
      if (v.expect.accept) {
        await expect(result).resolves.toEqual({
          userId: v.expect.user_id,
          oldJti: v.expect.jti,
          newJti: expect.any(String),
          issuedAt: expect.any(Number),
        });
      } else {
        const error = await rejection(result);
        expect(error.message).toBe(v.expect.message);
        expect(error.tokenType).toBe('refresh');
      }
    },
  );
});

describe('RefreshTokenPolicy validation (no store)', () => {
  it('accepts a valid token, returns user and old jti, and reports onSuccess with the NEW jti', async () => {
    const { policy, successes, failures } = policyWith();
    const { token, sub, jti } = mint();
    await expect(policy.validateAndRotate(token, { newJti: 'new-1' })).resolves.toEqual({
      userId: sub,
      oldJti: jti,
      newJti: expect.any(String),
      issuedAt: expect.any(Number),
    });
    expect(successes).toEqual([{ jti: 'new-1', sub, tokenType: 'refresh' }]);
    expect(failures).toEqual([]);
  });

  it('lets a token be reused until it expires (Python stateless behaviour)', async () => {
    const { policy } = policyWith();
    const { token } = mint();
    await policy.validateAndRotate(token, { newJti: 'a' });
    await expect(policy.validateAndRotate(token, { newJti: 'b' })).resolves.toBeDefined();
  });

  it('returns the family from the fid claim', async () => {
    const { policy } = policyWith();
    const { token } = mint({ fid: 'family-7' });
    await expect(policy.verify(token)).resolves.toMatchObject({ familyId: 'family-7' });
  });

  it('rejects an expired token with "Refresh token expired" and hook reason expired (Python said invalid)', async () => {
    const { policy, failures } = policyWith();
    const error = await rejection(
      policy.validateAndRotate(mint({ exp: nowSeconds() - 1 }).token, { newJti: 'n' }),
    );
    expect(error).toMatchObject({
      message: 'Refresh token expired',
      reason: 'expired',
      status: 401,
    });
    expect(failures).toEqual([{ reason: 'expired', tokenType: 'refresh', detail: 'expired' }]);
  });

  it('uses no leeway: a token whose exp is now is expired', async () => {
    const { policy } = policyWith({ clock: () => 2_000_000_000_000 });
    const error = await rejection(policy.verify(mint({ exp: 2_000_000_000 }).token));
    expect(error.reason).toBe('expired');
  });

  it('treats an expiry under the current key as final: the old key is not tried', async () => {
    const { policy, logger } = policyWith({ oldSecret: OLD_SECRET });
    const error = await rejection(policy.verify(mint({ exp: nowSeconds() - 10 }).token));
    expect(error.message).toBe('Refresh token expired');
    expect(logger.lines).toEqual([]);
  });

  it('accepts a token signed with the old key and logs the Python WARNING', async () => {
    const { policy, logger } = policyWith({ oldSecret: OLD_SECRET });
    const { token, sub } = mint({}, OLD_SECRET);
    await expect(policy.verify(token)).resolves.toMatchObject({ userId: sub });
    expect(logger.lines).toEqual([{ level: 'warn', message: OLD_KEY_WARNING }]);
    expect(OLD_KEY_WARNING).toBe(
      'Refresh token accepted with old key — remove REFRESH_SECRET_KEY_OLD once all old-key tokens have expired',
    );
  });

  it('judges an old-key token by the old key, including its expiry', async () => {
    const { policy } = policyWith({ oldSecret: OLD_SECRET });
    const error = await rejection(
      policy.verify(mint({ exp: nowSeconds() - 10 }, OLD_SECRET).token),
    );
    expect(error.message).toBe('Refresh token expired');
  });

  it('rejects a token signed with neither key as "Invalid refresh token"', async () => {
    const { policy, failures } = policyWith({ oldSecret: OLD_SECRET });
    const error = await rejection(policy.verify(mint({}, OTHER_SECRET).token));
    expect(error).toMatchObject({ message: 'Invalid refresh token', reason: 'invalid' });
    expect(failures).toEqual([{ reason: 'invalid', tokenType: 'refresh', detail: 'signature' }]);
  });

  it('rejects a token signed with the old key when no old key is configured', async () => {
    const { policy } = policyWith();
    expect((await rejection(policy.verify(mint({}, OLD_SECRET).token))).message).toBe(
      'Invalid refresh token',
    );
  });

  it('rejects an access-typed token with "Not a refresh token" and reason wrong_type', async () => {
    const { policy, failures } = policyWith();
    const error = await rejection(policy.verify(mint({ type: 'access' }).token));
    expect(error).toMatchObject({ message: 'Not a refresh token', reason: 'wrong_type' });
    expect(failures).toEqual([
      { reason: 'wrong_type', tokenType: 'refresh', detail: 'claim_value:type' },
    ]);
  });

  it.each([
    // Braced, urn:uuid and bare-hex UUIDs are accepted as Python accepts them (see below).
    ['a non-UUID', 'user-42'],
    ['a number', 42],
  ])('rejects a sub that is %s as "Invalid refresh token"', async (_label, sub) => {
    const { policy } = policyWith();
    const error = await rejection(policy.verify(mint({ sub }).token));
    expect(error).toMatchObject({ message: 'Invalid refresh token', reason: 'invalid' });
  });

  it('accepts an upper-case UUID sub and returns it in lower case (as str(uuid.UUID(sub)))', async () => {
    const { policy } = policyWith();
    const upper = '0B6B9F3E-2B1E-4B8E-9A59-2F8D6D1C4A10';
    await expect(policy.verify(mint({ sub: upper }).token)).resolves.toMatchObject({
      userId: upper.toLowerCase(),
    });
  });

  it.each([
    ['an empty jti', { jti: '' }],
    ['a numeric jti', { jti: 7 }],
    ['no jti', { jti: undefined }],
    ['no exp', { exp: undefined }],
    ['no type', { type: undefined }],
    ['no sub', { sub: undefined }],
    ['a string exp', { exp: '4102444800' }],
  ])('rejects a token with %s as "Invalid refresh token"', async (_label, claims) => {
    const { policy } = policyWith();
    const error = await rejection(policy.verify(mint(claims).token));
    expect(error.message).toBe('Invalid refresh token');
  });

  it('rejects tokens with another algorithm or none, and malformed strings, as invalid', async () => {
    const { policy } = policyWith({ oldSecret: OLD_SECRET });
    const hs512 = mint({}, SECRET, 'HS512').token;
    const [, payload] = mint().token.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    for (const token of [hs512, none, 'abc', 'a.b.c', `${mint().token}x`]) {
      const error = await rejection(policy.verify(token));
      expect(error.message).toBe('Invalid refresh token');
    }
  });

  it('rejects a missing token with "Refresh token missing" and any non-string without crashing', async () => {
    const { policy } = policyWith();
    for (const token of ['', undefined, null, 42, {}, ['a.b.c']]) {
      const error = await rejection(policy.validateAndRotate(token as never, { newJti: 'n' }));
      expect(error).toMatchObject({
        message: 'Refresh token missing',
        reason: 'missing',
        status: 401,
      });
    }
  });

  it('refuses a missing newJti or a bad ttl with a TypeError before touching the token', async () => {
    const { policy, failures } = policyWith();
    const { token } = mint();
    await expect(policy.validateAndRotate(token, { newJti: '' })).rejects.toThrow(TypeError);
    await expect(policy.validateAndRotate(token, undefined as never)).rejects.toThrow(TypeError);
    await expect(policy.validateAndRotate(token, { newJti: 'n', ttlSeconds: 0 })).rejects.toThrow(
      TypeError,
    );
    await expect(
      policy.validateAndRotate(token, { newJti: 'n', ttlSeconds: Number.NaN }),
    ).rejects.toThrow(TypeError);
    expect(failures).toEqual([]);
  });

  it('treats revoke, revokeFamily and revokeUser as no-ops without a store', async () => {
    const { policy } = policyWith();
    await expect(policy.revoke('j', 'u')).resolves.toBeUndefined();
    await expect(policy.revokeFamily('f', 'u')).resolves.toEqual([]);
    await expect(policy.revokeUser('u')).resolves.toEqual([]);
    await expect(
      policy.register('j', { userId: 'u', familyId: 'f', ttlSeconds: 60 }),
    ).resolves.toBeUndefined();
  });
});

describe('RefreshTokenPolicy construction', () => {
  it.each([
    ['an empty secret', ''],
    ['a short secret', 'Abc-1d'],
    ['a secret without a - or _', 'Abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a hex secret', 'a'.repeat(64)],
    ['a Buffer under 32 bytes', Buffer.alloc(16, 1)],
    ['no secret', undefined],
    ['a number', 12345],
  ])('refuses %s with a ConfigurationError', (_label, secret) => {
    expect(() => new RefreshTokenPolicy({ secret: secret as never })).toThrow(ConfigurationError);
  });

  it('refuses a weak old secret too (Python did not check REFRESH_SECRET_KEY_OLD)', () => {
    expect(() => new RefreshTokenPolicy({ secret: SECRET, oldSecret: 'changethis' })).toThrow(
      ConfigurationError,
    );
  });

  it('accepts a SecretValue and a 32-byte Buffer', async () => {
    const fromSecretValue = new RefreshTokenPolicy({ secret: new SecretValue(SECRET) });
    await expect(fromSecretValue.verify(mint().token)).resolves.toBeDefined();
    const buffer = Buffer.alloc(32, 7);
    const fromBuffer = new RefreshTokenPolicy({ secret: buffer });
    await expect(fromBuffer.verify(mint({}, buffer).token)).resolves.toBeDefined();
  });

  it('refuses an unknown failure mode', () => {
    expect(() => new RefreshTokenPolicy({ secret: SECRET, failureMode: 'maybe' as never })).toThrow(
      ConfigurationError,
    );
  });
});

describe('RefreshTokenPolicy rotation with a store', () => {
  // Grace 0: these tests pin theft detection itself; the grace window has its own tests below.
  async function loggedIn(store = new MemoryRefreshTokenStore(), graceSeconds = 0) {
    const familyId = randomUUID();
    const minted = mint();
    const setup = policyWith({ store, graceSeconds });
    await setup.policy.register(minted.jti, { userId: minted.sub, familyId, ttlSeconds: 3600 });
    return { ...setup, ...minted, store, familyId };
  }

  it('rotates a registered token: success hook with the new jti, old retired, new active', async () => {
    const { policy, store, token, sub, jti, familyId, successes } = await loggedIn();
    await expect(policy.validateAndRotate(token, { newJti: 'next-1' })).resolves.toEqual({
      userId: sub,
      oldJti: jti,
      newJti: expect.any(String),
      issuedAt: expect.any(Number),
      familyId,
    });
    expect(successes).toEqual([{ jti: 'next-1', sub, tokenType: 'refresh' }]);
    await expect(store.isValid(jti, sub)).resolves.toBe(false);
    await expect(store.isValid('next-1', sub)).resolves.toBe(true);
  });

  it('registers the new token for ttlSeconds', async () => {
    let now = Date.now();
    const store = new MemoryRefreshTokenStore({ clock: () => now });
    const { policy, token, sub } = await loggedIn(store);
    await policy.validateAndRotate(token, { newJti: 'short-lived', ttlSeconds: 30 });
    now += 29_000;
    await expect(store.isValid('short-lived', sub)).resolves.toBe(true);
    now += 1_000;
    await expect(store.isValid('short-lived', sub)).resolves.toBe(false);
  });

  it('detects reuse: 401 "already used or revoked", reason reused, and the whole family is revoked', async () => {
    const { policy, store, token, sub, failures } = await loggedIn();
    await policy.validateAndRotate(token, { newJti: 'next-2' });
    const error = await rejection(policy.validateAndRotate(token, { newJti: 'next-3' }));
    expect(error).toMatchObject({
      message: 'Refresh token already used or revoked',
      reason: 'reused',
      tokenType: 'refresh',
      status: 401,
    });
    expect(failures).toEqual([{ reason: 'reused', tokenType: 'refresh' }]);
    await expect(store.isValid('next-2', sub)).resolves.toBe(false); // the thief's (or victim's) successor
    await expect(store.isValid('next-3', sub)).resolves.toBe(false);
  });

  it('refuses a token the store does not know with the same message and reason revoked', async () => {
    const { policy, failures } = policyWith({ store: new MemoryRefreshTokenStore() });
    const error = await rejection(policy.validateAndRotate(mint().token, { newJti: 'n' }));
    expect(error).toMatchObject({
      message: 'Refresh token already used or revoked',
      reason: 'revoked',
    });
    expect(failures).toEqual([{ reason: 'revoked', tokenType: 'refresh' }]);
  });

  it('refuses a token revoked at logout as revoked: not theft, nothing else revoked, no onReuse', async () => {
    const { policy, store, token, sub, jti, familyId, failures } = await loggedIn();
    await store.register('sibling', { userId: sub, familyId, ttlSeconds: 3600 });
    await policy.revoke(jti, sub);
    const onReuse = jest.fn();
    const error = await rejection(policy.validateAndRotate(token, { newJti: 'n', onReuse }));
    expect(error).toMatchObject({
      message: 'Refresh token already used or revoked',
      reason: 'revoked',
      status: 401,
    });
    expect(failures).toEqual([{ reason: 'revoked', tokenType: 'refresh' }]);
    expect(onReuse).not.toHaveBeenCalled();
    // The family was not revoked on its behalf.
    await expect(store.isValid('sibling', sub)).resolves.toBe(true);
  });

  it('refuses a rotated token of a revoked family as revoked, not as reuse', async () => {
    const { policy, store, token, sub, familyId, failures } = await loggedIn();
    await policy.validateAndRotate(token, { newJti: 'next' });
    await expect(policy.revokeFamily(familyId, sub)).resolves.toHaveLength(2);
    const onReuse = jest.fn();
    const error = await rejection(policy.validateAndRotate(token, { newJti: 'again', onReuse }));
    expect(error.reason).toBe('revoked');
    expect(failures).toEqual([{ reason: 'revoked', tokenType: 'refresh' }]);
    expect(onReuse).not.toHaveBeenCalled();
    await expect(store.isValid('again', sub)).resolves.toBe(false);
  });

  it('calls onReuse with the family on a real reuse', async () => {
    const { policy, token, sub, familyId } = await loggedIn();
    await policy.validateAndRotate(token, { newJti: 'next' });
    const onReuse = jest.fn();
    await rejection(policy.validateAndRotate(token, { newJti: 'again', onReuse }));
    expect(onReuse).toHaveBeenCalledWith(expect.objectContaining({ userId: sub, familyId }));
  });

  it('never calls the store for a token that fails validation', async () => {
    const store = new FaultyRefreshTokenStore();
    const { policy } = policyWith({ store });
    await rejection(policy.validateAndRotate(mint({}, OTHER_SECRET).token, { newJti: 'n' }));
    expect(store.calls).toBe(0);
  });

  it('lets exactly one of 20 parallel refreshes with one token win; the rest are reused and the family is revoked', async () => {
    const { policy, store, token, successes, failures, familyId, sub } = await loggedIn();
    const attempts = Array.from({ length: 20 }, (_, i) =>
      policy.validateAndRotate(token, { newJti: `par-${i}` }).then(
        (result) => ({ ok: true as const, result, i }),
        (error: unknown) => ({ ok: false as const, error, i }),
      ),
    );
    const outcomes = await Promise.all(attempts);
    const winners = outcomes.filter((o) => o.ok);
    const losers = outcomes.filter((o) => !o.ok);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ result: { userId: sub, familyId } });
    for (const loser of losers) {
      expect(loser.error).toBeInstanceOf(InvalidTokenError);
      expect(loser.error).toMatchObject({ reason: 'reused' });
    }
    expect(successes).toHaveLength(1);
    expect(failures).toHaveLength(19);
    // The winner's new token went down with the family: the theft signal cuts off both parties.
    for (let i = 0; i < 20; i += 1)
      await expect(store.isValid(`par-${i}`, sub)).resolves.toBe(false);
  });

  it('answers 503 under fail_closed (default) when the store fails, reporting onDegraded', async () => {
    const store = new FaultyRefreshTokenStore();
    const { policy, degraded, successes } = policyWith({ store, storeName: 'redis' });
    store.fault = 'throw';
    const error = await policy
      .validateAndRotate(mint().token, { newJti: 'n' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 503, store: 'redis' });
    expect(degraded).toEqual([
      {
        control: 'refresh_validation',
        mode: 'fail_closed',
        reason: 'store_unavailable',
        store: 'redis',
      },
    ]);
    expect(successes).toEqual([]);
  });

  it('validates without rotating under fail_open when the store fails, flagging the result degraded', async () => {
    const store = new FaultyRefreshTokenStore();
    const { policy, degraded } = policyWith({
      store,
      storeName: 'redis',
      failureMode: 'fail_open',
    });
    store.fault = 'throw';
    const { token, sub, jti } = mint({ fid: 'fam-x' });
    await expect(policy.validateAndRotate(token, { newJti: 'n' })).resolves.toEqual({
      userId: sub,
      oldJti: jti,
      newJti: expect.any(String),
      issuedAt: expect.any(Number),
      familyId: 'fam-x',
      degraded: true,
    });
    expect(degraded).toEqual([
      {
        control: 'refresh_validation',
        mode: 'fail_open',
        reason: 'store_unavailable',
        store: 'redis',
      },
    ]);
    // A bad token is still refused while degraded.
    await rejection(policy.validateAndRotate(mint({}, OTHER_SECRET).token, { newJti: 'n' }));
  });

  it('answers a hung store within the timeout, then at once while the breaker is open, then recovers', async () => {
    let now = 1_000_000;
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 5000,
      clock: () => now,
    });
    const store = new FaultyRefreshTokenStore();
    const { policy, degraded, token, familyId } = await (async () => {
      const setup = policyWith({ store, breaker, timeoutMs: 50, storeName: 'redis' });
      const minted = mint();
      const fam = randomUUID();
      await setup.policy.register(minted.jti, {
        userId: minted.sub,
        familyId: fam,
        ttlSeconds: 3600,
      });
      return { ...setup, ...minted, familyId: fam };
    })();
    store.fault = 'hang';
    for (let i = 0; i < 2; i += 1) {
      const started = performance.now();
      await expect(policy.validateAndRotate(token, { newJti: `h-${i}` })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(performance.now() - started).toBeLessThan(50 + 250);
    }
    const calls = store.calls;
    const started = performance.now();
    await expect(policy.validateAndRotate(token, { newJti: 'h-x' })).rejects.toMatchObject({
      status: 503,
    });
    expect(performance.now() - started).toBeLessThan(25);
    expect(store.calls).toBe(calls);
    expect(degraded.map((e) => e.reason)).toEqual(['timeout', 'timeout', 'circuit_open']);

    store.fault = 'none';
    now += 5000;
    await expect(policy.validateAndRotate(token, { newJti: 'after' })).resolves.toMatchObject({
      familyId,
    });
    expect(breaker.state).toBe('closed');
  });

  it('still answers "reused" when revoking the family fails, and logs the failure', async () => {
    class FamilyRevocationFails extends MemoryRefreshTokenStore {
      override revokeFamily(): Promise<RevokedRefreshToken[]> {
        return Promise.reject(new Error('ECONNRESET (injected)'));
      }
    }
    const store = new FamilyRevocationFails();
    const { policy, token, logger } = await loggedIn(store);
    await policy.validateAndRotate(token, { newJti: 'next' });
    const error = await rejection(policy.validateAndRotate(token, { newJti: 'again' }));
    expect(error.reason).toBe('reused');
    expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('family'))).toBe(
      true,
    );
  });

  it('delegates revokeFamily and revokeUser to the store and resolves to the tokens it listed', async () => {
    const { policy, sub, jti, familyId } = await loggedIn();
    const later = nowSeconds() + 1000; // after the login's own issue time
    await policy.register('later', { userId: sub, familyId, ttlSeconds: 3600, issuedAt: later });
    await policy.register('other', {
      userId: sub,
      familyId: randomUUID(),
      ttlSeconds: 3600,
      issuedAt: later + 10,
    });
    await expect(policy.revokeFamily(familyId, sub, { issuedSince: later })).resolves.toEqual([
      { jti: 'later', issuedAt: later },
    ]);
    const all = await policy.revokeUser(sub);
    expect(all.map((t) => t.jti).sort()).toEqual([jti, 'later', 'other'].sort());
    await expect(policy.revokeUser(sub, { issuedSince: later + 5 })).resolves.toEqual([
      { jti: 'other', issuedAt: later + 10 },
    ]);
  });
});

describe('RefreshTokenPolicy.fromSettings', () => {
  const settings = (overrides: Partial<AuthSettings> = {}) =>
    ({
      TOKEN_MODE: 'stateful',
      AUTH_STRICT_MODE: false,
      REFRESH_SECRET_KEY: new SecretValue(SECRET),
      ACCESS_REVOCATION_FAILURE_MODE: 'fail_closed',
      REFRESH_VALIDATION_FAILURE_MODE: 'fail_closed',
      SESSION_WRITE_FAILURE_MODE: 'fail_closed',
      RATE_LIMIT_FAILURE_MODE: 'fail_open',
      ...overrides,
    }) as AuthSettings;

  it('refuses settings without REFRESH_SECRET_KEY', () => {
    expect(() =>
      RefreshTokenPolicy.fromSettings(settings({ REFRESH_SECRET_KEY: undefined }), {
        store: new MemoryRefreshTokenStore(),
      }),
    ).toThrow(ConfigurationError);
  });

  it.each(['stateful', 'hybrid'] as const)('refuses TOKEN_MODE=%s without a store', (mode) => {
    expect(() => RefreshTokenPolicy.fromSettings(settings({ TOKEN_MODE: mode }))).toThrow(
      /needs a refresh token store/,
    );
  });

  it('validates only in stateless mode, even when given a store', async () => {
    const store = new FaultyRefreshTokenStore();
    const policy = RefreshTokenPolicy.fromSettings(settings({ TOKEN_MODE: 'stateless' }), {
      store,
      logger: recordingLogger(),
    });
    await expect(policy.validateAndRotate(mint().token, { newJti: 'n' })).resolves.toBeDefined();
    expect(store.calls).toBe(0);
  });

  it('uses REFRESH_SECRET_KEY_OLD and REFRESH_VALIDATION_FAILURE_MODE (AUTH_STRICT_MODE forces closed)', async () => {
    const logger = recordingLogger();
    const open = RefreshTokenPolicy.fromSettings(
      settings({
        REFRESH_SECRET_KEY_OLD: new SecretValue(OLD_SECRET),
        REFRESH_VALIDATION_FAILURE_MODE: 'fail_open',
      }),
      { store: new MemoryRefreshTokenStore(), logger },
    );
    expect(open.failureMode).toBe('fail_open');
    await expect(open.verify(mint({}, OLD_SECRET).token)).resolves.toBeDefined();
    expect(logger.lines).toEqual([{ level: 'warn', message: OLD_KEY_WARNING }]);

    const strict = RefreshTokenPolicy.fromSettings(
      settings({ AUTH_STRICT_MODE: true, REFRESH_VALIDATION_FAILURE_MODE: 'fail_open' }),
      { store: new MemoryRefreshTokenStore() },
    );
    expect(strict.failureMode).toBe('fail_closed');
  });
});

describe('RefreshTokenPolicy: Python parity of sub and aud', () => {
  const forms = JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/python-uuid/forms.json'), 'utf8'),
  ) as { cases: Array<{ sub: string; python: string | null }> };

  it.each(forms.cases.map((c) => [c.sub, c.python] as const))(
    'reads sub %j as Python uuid.UUID does (%s)',
    async (sub, python) => {
      const { policy } = policyWith();
      const result = policy.verify(mint({ sub }).token);
      if (python === null) {
        expect((await rejection(result)).reason).toBe('invalid');
      } else {
        await expect(result).resolves.toMatchObject({ userId: python });
      }
    },
  );

  it('refuses a refresh token with an aud claim, as PyJWT does with no audience configured', async () => {
    const { policy } = policyWith();
    const error = await rejection(policy.verify(mint({ aud: 'urn:any' }).token));
    expect(error.reason).toBe('invalid');
    expect(error.message).toBe('Invalid refresh token');
  });
});

describe('RefreshTokenPolicy.validateAndRotate beforeRotate', () => {
  it('sees the verified token once, and what it throws stops the rotation before the store', async () => {
    const store = new FaultyRefreshTokenStore();
    const { policy } = policyWith({ store });
    const minted = mint();
    const seen: string[] = [];
    const refusal = new Error('limited');
    await expect(
      policy.validateAndRotate(minted.token, {
        newJti: 'n1',
        beforeRotate: (data) => {
          seen.push(data.jti);
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(seen).toEqual([minted.jti]);
    expect(store.calls).toBe(0);
  });
});
