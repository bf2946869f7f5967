/**
 * The `RevocationStore` contract (the interface in lib/security/stores.ts): one suite that every implementation runs
 * (memory, redis, postgres, mysql, third-party). Usage, in `test/contract/<store>.test.ts`:
 *
 *   describeRevocationStore('redis', async () => {
 *     const store = new RedisRevocationStore({ client });
 *     return { store, time: 'server', cleanup: async () => { ... } };
 *   });
 *
 * Expiry: a store that takes a clock is given the suite's, which the suite advances; a store
 * on its server's clock (`time: 'server'`) is tested with a real 1 s TTL. A file of such stores
 * passes `{ expiryFirst }` (one `expiryFirst()` for all its suites) so that the 1 s TTLs run out
 * together, while the other tests run.
 *
 * A store that answers some checks without I/O (`isRevokedLocally`, e.g. Redis with its
 * revocation cache) passes `{ answersLocally: true }`: its local answers are checked too.
 *
 * Every jti carries a per-run prefix: shared servers never see collisions between runs.
 */
import type { RevocationStore } from '../../lib/security/store-contracts';
import {
  contractClock,
  contractPrefix,
  letTimePass,
  suiteStore,
  weirdIds,
  type ContractClock,
  type ContractTime,
  type ExpiryFirst,
} from './contract-helpers';

export interface RevocationStoreHandle {
  store: RevocationStore;
  /** Whose clock expires revocations: the suite's (given to the factory) or the server's. */
  time: ContractTime;
  /** Close clients / drop what this run created. Called once, after the suite. */
  cleanup(): Promise<void>;
}

export type RevocationStoreFactory = (clock: ContractClock) => Promise<RevocationStoreHandle>;

export interface RevocationContractOptions {
  /** The store implements `isRevokedLocally` and answers a checked, unrevoked jti with it. */
  answersLocally?: boolean;
  /** Write the expiry test's entries in the file's setup (stores on their server's clock). */
  expiryFirst?: ExpiryFirst;
}

export function describeRevocationStore(
  name: string,
  factory: RevocationStoreFactory,
  options: RevocationContractOptions = {},
): void {
  describe(`RevocationStore contract: ${name}`, () => {
    let handle: RevocationStoreHandle | undefined;
    const clock = contractClock();
    const prefix = contractPrefix('rv');
    const id = (tag: string): string => `${prefix}${tag}`;
    const store = (): RevocationStore => {
      if (!handle) throw new Error('store factory did not run');
      return handle.store;
    };

    // The expiry test's entries (a 1 s revocation, a 60 s one) and the answer right after.
    const suite = suiteStore(
      async () => (handle = await factory(clock)),
      async ({ store: opened }) => {
        await opened.revoke(id('short'), 1);
        await opened.revoke(id('long'), 3600);
        const shortAtFirst = await opened.isRevoked(id('short'));
        return { shortAtFirst, since: Date.now() };
      },
      options.expiryFirst,
    );

    beforeAll(async () => {
      await suite.open();
    });

    afterAll(() => suite.close());

    it('reports a revoked jti as revoked', async () => {
      await store().revoke(id('revoked'), 60);
      await expect(store().isRevoked(id('revoked'))).resolves.toBe(true);
    });

    it('reports an unknown jti as not revoked', async () => {
      await expect(store().isRevoked(id('never-seen'))).resolves.toBe(false);
    });

    it('revokes only the jti it was given', async () => {
      await store().revoke(id('one'), 60);
      await expect(store().isRevoked(id('one'))).resolves.toBe(true);
      await expect(store().isRevoked(id('one-other'))).resolves.toBe(false);
      await expect(store().isRevoked(id('on'))).resolves.toBe(false);
    });

    it('keeps nothing for a ttl of 0 or below (the token has already expired)', async () => {
      await store().revoke(id('ttl-zero'), 0);
      await store().revoke(id('ttl-negative'), -30);
      await expect(store().isRevoked(id('ttl-zero'))).resolves.toBe(false);
      await expect(store().isRevoked(id('ttl-negative'))).resolves.toBe(false);
    });

    it('accepts revoking the same jti twice and stays revoked', async () => {
      await store().revoke(id('twice'), 60);
      await store().revoke(id('twice'), 60);
      await expect(store().isRevoked(id('twice'))).resolves.toBe(true);
    });

    it('forgets a revocation once its ttl has passed (1 s ttl) and keeps longer ones', async () => {
      const { shortAtFirst, since } = await suite.arranged();
      expect(shortAtFirst).toBe(true);
      await letTimePass(handle!.time, clock, 1000, since);
      await expect(store().isRevoked(id('short'))).resolves.toBe(false);
      await expect(store().isRevoked(id('long'))).resolves.toBe(true);
    });

    if (options.answersLocally) describeLocalAnswers(id, store);

    it('round-trips unusual jtis (unicode, 128 chars, quotes, %, _, spaces) exactly', async () => {
      const ids = weirdIds(prefix);
      for (const jti of ids) await store().revoke(jti, 60);
      for (const jti of ids) {
        await expect(store().isRevoked(jti)).resolves.toBe(true);
      }
      // `%` and `_` must not act as wildcards and near-misses must not match.
      for (const lookalike of [`${prefix}a-b`, `${prefix}aXb`, `${prefix}a`, `${prefix}A%B`]) {
        await expect(store().isRevoked(lookalike)).resolves.toBe(false);
      }
    });
  });
}

/** `isRevokedLocally`: never a wrong answer, and an answer once a jti was checked. */
function describeLocalAnswers(id: (tag: string) => string, store: () => RevocationStore): void {
  const local = (jti: string): boolean | undefined => store().isRevokedLocally!(jti);

  it('answers a checked, unrevoked jti locally until it is revoked', async () => {
    expect(typeof store().isRevokedLocally).toBe('function');
    expect(local(id('local'))).toBeUndefined(); // never checked: only the store can tell
    await expect(store().isRevoked(id('local'))).resolves.toBe(false);
    expect(local(id('local'))).toBe(false);
    await store().revoke(id('local'), 60);
    expect(local(id('local'))).toBeUndefined();
    await expect(store().isRevoked(id('local'))).resolves.toBe(true);
    expect(local(id('local'))).toBeUndefined(); // a revocation is asked again every time
  });

  it('never answers locally for another jti, unusual ones included', async () => {
    const ids = weirdIds(`${id('local-weird')}-`);
    for (const jti of ids) await expect(store().isRevoked(jti)).resolves.toBe(false);
    for (const jti of ids) expect(local(jti)).toBe(false);
    await store().revoke(ids[0]!, 60);
    expect(local(ids[0]!)).toBeUndefined();
    for (const jti of ids.slice(1)) expect(local(jti)).toBe(false);
    expect(local(`${ids[1]!}x`)).toBeUndefined();
  });
}
