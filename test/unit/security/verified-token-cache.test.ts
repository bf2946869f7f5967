/** The verified-token cache's bounds: expiry, size, and recency kept to within a second. */
import { VerifiedTokenCache } from '../../../lib/security/verified-token-cache';
import type { TokenUserData } from '../../../lib/core/types';

const NOW = 1_800_000_000_000;
const claims = (exp: number) => ({ exp }) as TokenUserData;

describe('VerifiedTokenCache', () => {
  it('never serves an entry past the token exp or maxAgeSeconds', () => {
    const cache = new VerifiedTokenCache({ maxAgeSeconds: 60 });
    cache.set('short', claims(NOW / 1000 + 10), NOW);
    cache.set('long', claims(NOW / 1000 + 3600), NOW);
    expect(cache.get('short', NOW + 9_999)).toBeDefined();
    expect(cache.get('short', NOW + 10_000)).toBeUndefined();
    expect(cache.get('long', NOW + 59_999)).toBeDefined();
    expect(cache.get('long', NOW + 60_000)).toBeUndefined();
  });

  it('evicts the least recently used entry: a token used a second later survives', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    const exp = NOW / 1000 + 600;
    cache.set('a', claims(exp), NOW);
    cache.set('b', claims(exp), NOW);
    expect(cache.get('a', NOW + 1000)).toBeDefined(); // promoted: b is now the oldest
    cache.set('c', claims(exp), NOW + 1000);
    expect(cache.get('a', NOW + 1000)).toBeDefined();
    expect(cache.get('b', NOW + 1000)).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('moves a hot entry at most once a second (order within the second is insertion order)', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    const exp = NOW / 1000 + 600;
    cache.set('a', claims(exp), NOW);
    cache.set('b', claims(exp), NOW);
    expect(cache.get('a', NOW + 999)).toBeDefined(); // not moved yet
    cache.set('c', claims(exp), NOW + 999);
    expect(cache.get('a', NOW + 999)).toBeUndefined();
    expect(cache.get('b', NOW + 999)).toBeDefined();
  });

  it('answers only the exact token it verified, never another sharing its end (the map key)', () => {
    const cache = new VerifiedTokenCache();
    const signature = 'x'.repeat(43);
    const verified = `header.payload-of-alice.${signature}`;
    const forged = `header.payload-of-mallory.${signature}`;
    cache.set(verified, claims(NOW / 1000 + 600), NOW);
    expect(cache.get(forged, NOW)).toBeUndefined();
    expect(cache.get(verified, NOW)).toBeDefined();
    // A verified token with the same end replaces the entry; the earlier one is then a miss.
    cache.set(forged, claims(NOW / 1000 + 600), NOW);
    expect(cache.get(verified, NOW)).toBeUndefined();
    expect(cache.get(forged, NOW)).toBeDefined();
  });
});
