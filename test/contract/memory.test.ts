import { ConfigurationError } from '../../lib/core/errors';
import {
  MemoryRateLimitStore,
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from '../../stores/memory';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';
import { describeSessionStore } from './session-store.contract';
import { describeRateLimitStore } from './rate-limit-store.contract';

describeRateLimitStore('memory', async (clock) => ({
  store: new MemoryRateLimitStore({ clock: clock.now }),
  time: 'clock',
  cleanup: async () => undefined,
}));

describeSessionStore('memory', async (clock) => ({
  store: new MemorySessionStore({ clock: clock.now }),
  cleanup: async () => undefined,
}));

describeRevocationStore('memory', async (clock) => ({
  store: new MemoryRevocationStore({ clock: clock.now }),
  time: 'clock',
  cleanup: async () => undefined,
}));

describeRefreshTokenStore('memory', async (clock) => ({
  store: new MemoryRefreshTokenStore({ clock: clock.now }),
  time: 'clock',
  cleanup: async () => undefined,
}));

/** A hand-driven clock: the bound tests must not depend on wall time. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const registration = (userId: string, familyId: string, ttlSeconds = 60) => ({
  userId,
  familyId,
  ttlSeconds,
});

describe('MemoryRevocationStore bounds', () => {
  it('evicts the oldest revocation when full and nothing has expired', async () => {
    const clock = manualClock();
    const store = new MemoryRevocationStore({ maxEntries: 3, clock: clock.now });
    for (const jti of ['a', 'b', 'c']) await store.revoke(jti, 60);
    await store.revoke('d', 60);
    expect(store.size).toBe(3);
    expect(store.evictions).toBe(1);
    await expect(store.isRevoked('a')).resolves.toBe(false);
    for (const jti of ['b', 'c', 'd']) await expect(store.isRevoked(jti)).resolves.toBe(true);
  });

  it('evicts expired revocations before live ones', async () => {
    const clock = manualClock();
    const store = new MemoryRevocationStore({ maxEntries: 3, clock: clock.now });
    await store.revoke('old-long', 600);
    await store.revoke('short-1', 10);
    await store.revoke('short-2', 10);
    clock.advance(11_000);
    await store.revoke('new-1', 60);
    await store.revoke('new-2', 60);
    expect(store.evictions).toBe(0);
    await expect(store.isRevoked('old-long')).resolves.toBe(true);
    await expect(store.isRevoked('new-1')).resolves.toBe(true);
    await expect(store.isRevoked('new-2')).resolves.toBe(true);
    expect(store.size).toBe(3);
  });

  it('expires a revocation exactly at its ttl on the injected clock', async () => {
    const clock = manualClock();
    const store = new MemoryRevocationStore({ clock: clock.now });
    await store.revoke('j', 30);
    clock.advance(29_999);
    await expect(store.isRevoked('j')).resolves.toBe(true);
    clock.advance(1);
    await expect(store.isRevoked('j')).resolves.toBe(false);
    expect(store.size).toBe(0);
  });

  it('never shortens a revocation when the same jti is revoked again with a smaller ttl', async () => {
    const clock = manualClock();
    const store = new MemoryRevocationStore({ clock: clock.now });
    await store.revoke('j', 60);
    await store.revoke('j', 5);
    clock.advance(30_000);
    await expect(store.isRevoked('j')).resolves.toBe(true);
  });

  it('stays within its bound under a flood of revocations', async () => {
    const store = new MemoryRevocationStore({ maxEntries: 1000 });
    for (let i = 0; i < 5000; i += 1) await store.revoke(`flood-${i}`, 60);
    expect(store.size).toBe(1000);
    expect(store.evictions).toBe(4000);
    await expect(store.isRevoked('flood-4999')).resolves.toBe(true);
    await expect(store.isRevoked('flood-3999')).resolves.toBe(false);
  });

  it('rejects a maxEntries that is not a positive integer with a ConfigurationError', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryRevocationStore({ maxEntries })).toThrow(ConfigurationError);
    }
  });

  it('rejects a ttl that is not a number with a TypeError', async () => {
    const store = new MemoryRevocationStore();
    await expect(store.revoke('j', Number.NaN)).rejects.toThrow(TypeError);
    await expect(store.revoke('j', '60' as unknown as number)).rejects.toThrow(TypeError);
  });
});

describe('MemoryRefreshTokenStore bounds', () => {
  it('evicts the oldest token when full, keeping the family index consistent', async () => {
    const clock = manualClock();
    const store = new MemoryRefreshTokenStore({ maxEntries: 2, clock: clock.now });
    await store.register('a', registration('u', 'f'));
    await store.register('b', registration('u', 'f'));
    await store.register('c', registration('u', 'f'));
    expect(store.evictions).toBe(1);
    await expect(store.isValid('a', 'u')).resolves.toBe(false);
    await expect(store.rotate('a', 'a2', 60, { userId: 'u' })).resolves.toEqual({
      status: 'unknown',
    });
    const listed = await store.revokeFamily('f', 'u');
    expect(listed.map((t) => t.jti).sort()).toEqual(['b', 'c']);
  });

  it('evicts expired tokens before live ones', async () => {
    const clock = manualClock();
    const store = new MemoryRefreshTokenStore({ maxEntries: 2, clock: clock.now });
    await store.register('long', registration('u', 'f1', 600));
    await store.register('short', registration('u', 'f2', 10));
    clock.advance(10_000);
    await store.register('fresh', registration('u', 'f3'));
    expect(store.evictions).toBe(0);
    await expect(store.isValid('long', 'u')).resolves.toBe(true);
    await expect(store.isValid('fresh', 'u')).resolves.toBe(true);
    const listed = await store.revokeUser('u');
    expect(listed.map((t) => t.jti).sort()).toEqual(['fresh', 'long']);
  });

  it('keeps a rotated token until its own expiry so reuse is detected, then forgets it', async () => {
    const clock = manualClock();
    const store = new MemoryRefreshTokenStore({ clock: clock.now });
    await store.register('old', registration('u', 'f', 60));
    await store.rotate('old', 'new', 3600, { userId: 'u' });
    clock.advance(59_000);
    await expect(store.rotate('old', 'x', 60, { userId: 'u' })).resolves.toEqual({
      status: 'reused',
      userId: 'u',
      familyId: 'f',
    });
    clock.advance(1000);
    await expect(store.rotate('old', 'y', 60, { userId: 'u' })).resolves.toEqual({
      status: 'unknown',
    });
    await expect(store.isValid('new', 'u')).resolves.toBe(true);
    expect(store.size).toBe(1);
  });

  it('sweeps expired tokens instead of evicting live ones when full', async () => {
    const clock = manualClock();
    const store = new MemoryRefreshTokenStore({ maxEntries: 10, clock: clock.now });
    for (let i = 0; i < 100; i += 1) {
      await store.register(`t-${i}`, registration(`user-${i}`, `fam-${i}`, 1));
      clock.advance(1000);
    }
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.evictions).toBe(0);
    await expect(store.revokeFamily('fam-0', 'user-0')).resolves.toEqual([]);
  });

  it('does not register a token whose ttl is 0 or below', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.register('born-dead', registration('u', 'f', 0));
    await expect(store.isValid('born-dead', 'u')).resolves.toBe(false);
    await expect(store.rotate('born-dead', 'n', 60, { userId: 'u' })).resolves.toEqual({
      status: 'unknown',
    });
  });

  it('leaves the old token active when rotate is given a ttl that is not a number', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.register('old', registration('u', 'f'));
    await expect(store.rotate('old', 'new', Number.NaN, { userId: 'u' })).rejects.toThrow(
      TypeError,
    );
    await expect(store.isValid('old', 'u')).resolves.toBe(true);
    await expect(store.isValid('new', 'u')).resolves.toBe(false);
  });

  it('rejects a maxEntries that is not a positive integer with a ConfigurationError', () => {
    expect(() => new MemoryRefreshTokenStore({ maxEntries: 0 })).toThrow(ConfigurationError);
  });
});
