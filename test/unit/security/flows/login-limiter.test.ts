/**
 * Login throttling over the memory store and the suite's clock (ASVS 5 V6.3.1; OWASP
 * "Blocking Brute Force Attacks"): attempts counted per account and per IP before the
 * password is checked, one 429 for known and unknown accounts alike, a success forgiving the
 * account's failures, a flood of parallel guesses counted as it arrives.
 */
import { LoginRateLimiter, RateLimitedError } from 'auth-sdk-m8';
import { MemoryRateLimitStore } from 'auth-sdk-m8/stores/memory';
import { flowKit, PASSWORD, post, quiet, refusal } from './kit';

function limitedKit(perIp: { max: number; windowSeconds: number } | false = false) {
  let checks = 0;
  let store: MemoryRateLimitStore | undefined;
  const holder: { kit?: ReturnType<typeof flowKit> } = {};
  const kit = flowKit({
    loginRateLimit: new LoginRateLimiter({
      store: (store = new MemoryRateLimitStore({ clock: () => holder.kit!.clock.now() })),
      perAccount: { max: 5, windowSeconds: 900 },
      perIp,
      logger: quiet,
    }),
    verifyCredentials: async (email, password) => {
      checks += 1;
      return email === kit.user.email && password === PASSWORD ? kit.user : null;
    },
  });
  holder.kit = kit;
  return { kit, store: store!, checks: () => checks };
}

const attempt = (
  kit: ReturnType<typeof flowKit>,
  email: string,
  password: string,
  ip = '198.51.100.7',
) => kit.flows.login({ ...post({ email, password }), ip });

describe('LoginRateLimiter through the login flow', () => {
  it('answers 429 with Retry-After after 5 wrong passwords, and checks no password past it', async () => {
    const { kit, checks } = limitedKit();
    for (let i = 0; i < 5; i++) {
      await expect(refusal(attempt(kit, kit.user.email, 'wrong'))).resolves.toMatchObject({
        status: 400,
      });
    }
    const limited = await refusal(attempt(kit, kit.user.email, PASSWORD)); // even the right one
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited.status).toBe(429);
    expect((limited.headers as Record<string, string>)['Retry-After']).toBe('900');
    expect(checks()).toBe(5);
    expect(kit.events.logins).toEqual([...Array(5).fill('wrong_credentials'), 'rate_limited']);
    kit.clock.advance(900_000); // the window ends
    await expect(attempt(kit, kit.user.email, PASSWORD)).resolves.toMatchObject({ status: 200 });
  });

  it('gives an unknown account the same answers, in the same order (no enumeration oracle)', async () => {
    const known = limitedKit();
    const unknown = limitedKit();
    const answers = async (kit: ReturnType<typeof flowKit>, email: string) => {
      const seen: unknown[] = [];
      for (let i = 0; i < 7; i++) {
        const e = await refusal(attempt(kit, email, 'wrong'));
        seen.push([e.status, e.message, e.headers]);
      }
      return seen;
    };
    expect(await answers(unknown.kit, 'nobody@example.com')).toEqual(
      await answers(known.kit, known.kit.user.email),
    );
  });

  it('counts the account in any spelling of its email (trimmed, lower-cased)', async () => {
    const { kit } = limitedKit();
    const spellings = [
      'User@Example.com',
      ' user@example.com',
      'USER@EXAMPLE.COM',
      'user@example.com',
      'uSer@example.com',
    ];
    for (const email of spellings) await refusal(attempt(kit, email.trim(), 'wrong'));
    await expect(refusal(attempt(kit, kit.user.email, 'wrong'))).resolves.toMatchObject({
      status: 429,
    });
  });

  it('forgives the account its failures after a success (same window)', async () => {
    const { kit } = limitedKit();
    for (let i = 0; i < 4; i++) await refusal(attempt(kit, kit.user.email, 'wrong'));
    await expect(attempt(kit, kit.user.email, PASSWORD)).resolves.toMatchObject({ status: 200 });
    for (let i = 0; i < 5; i++) {
      await expect(refusal(attempt(kit, kit.user.email, 'wrong'))).resolves.toMatchObject({
        status: 400,
      });
    }
    await expect(refusal(attempt(kit, kit.user.email, 'wrong'))).resolves.toMatchObject({
      status: 429,
    });
  });

  it('limits one IP spraying many accounts (per-IP limit)', async () => {
    const { kit } = limitedKit({ max: 20, windowSeconds: 900 });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const e = await refusal(attempt(kit, `victim${i}@example.com`, 'wrong', '203.0.113.9'));
      statuses.push(e.status as number);
    }
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    // Another IP is not affected.
    await expect(
      refusal(attempt(kit, 'victim0@example.com', 'wrong', '203.0.113.10')),
    ).resolves.toMatchObject({
      status: 400,
    });
  });

  it('takes a success back from the IP count: logins that succeed never lock an office out', async () => {
    const { kit } = limitedKit({ max: 3, windowSeconds: 900 });
    await refusal(attempt(kit, 'typo@example.com', 'wrong', '192.0.2.1'));
    for (let i = 0; i < 10; i++) {
      await expect(attempt(kit, kit.user.email, PASSWORD, '192.0.2.1')).resolves.toMatchObject({
        status: 200,
      });
    }
  });

  it('counts a flood of parallel guesses as it arrives: at most 5 passwords are checked', async () => {
    const { kit, checks } = limitedKit();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => attempt(kit, kit.user.email, 'wrong')),
    );
    const statuses = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { status: number }).status : 200,
    );
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
    expect(checks()).toBe(5);
  });
});
