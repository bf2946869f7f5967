import { randomBytes } from 'node:crypto';
import { GENERATED_SECRET_LENGTH, generateSecret } from '../../../lib/cli/secret';
import { isStrongSecret, SECRET_KEY_REGEX } from '../../../lib/core/secret-rule';

describe('generateSecret (keygen --alg HS256)', () => {
  it('1000 generated secrets all pass the secret rule, are 48 characters and all differ', () => {
    const secrets = Array.from({ length: 1000 }, () => generateSecret());
    const failing = secrets.filter((s) => !SECRET_KEY_REGEX.test(s));
    expect(failing).toEqual([]);
    expect(secrets.every((s) => s.length === GENERATED_SECRET_LENGTH)).toBe(true);
    expect(new Set(secrets).size).toBe(1000);
    // 48 000 draws over 64 characters, kept only when a - or _ is among them: `-` and `_`
    // come out ~958 times each (1.5 expected per secret, over the 78 % of secrets that have
    // one, shared by two), the other 62 ~743 times; bounds are 5 standard deviations wide
    // (a bound at 1000 failed one run in about twelve).
    const counts = new Map<string, number>();
    for (const c of secrets.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(64);
    const separators = [counts.get('-')!, counts.get('_')!];
    const others = [...counts].filter(([c]) => c !== '-' && c !== '_').map(([, n]) => n);
    for (const n of separators) expect(n).toBeGreaterThan(800);
    for (const n of separators) expect(n).toBeLessThan(1120);
    expect(Math.min(...others)).toBeGreaterThan(600);
    expect(Math.max(...others)).toBeLessThan(900);
  });

  it('the same check catches the old base64url secrets (so it can fail)', () => {
    const old = Array.from({ length: 1000 }, () => randomBytes(32).toString('base64url'));
    // About one in four lacks a - or _ (or a digit): far more than zero in 1000.
    expect(old.filter((s) => !isStrongSecret(s)).length).toBeGreaterThan(50);
  });

  it('honours a longer length and refuses one under the rule', () => {
    expect(generateSecret(64)).toHaveLength(64);
    expect(() => generateSecret(31)).toThrow(RangeError);
  });
});
