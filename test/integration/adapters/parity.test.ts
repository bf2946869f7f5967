/**
 * One request, one verdict: a matrix of requests (token carrier, method, Origin, token state,
 * store state) sent to every adapter set-up of `./setups` (Express's `authenticate()`, the
 * Passport strategy, the Koa bridge, …) over the same options must get the same status,
 * challenge and body from all of them.
 */
import type { AuthSettings, RequestAuthOptions } from 'auth-sdk-m8';
import { loadSettings } from 'auth-sdk-m8';
import { MemoryRevocationStore } from '../../../stores/memory';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { createAuthFixture, type AuthFixture } from '../express/auth-fixture';
import { ADAPTER_SETUPS } from './setups';
import type { RunningAdapter } from './setups/types';

const ALLOWED = 'https://app.example.com';

interface Answer {
  status: number;
  challenge: string | undefined;
  body: unknown;
}

async function send(
  base: string,
  method: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const res = await fetch(`${base}/me`, { method, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  // A success body differs by app on purpose (Koa answers more fields): keep the subject.
  if (res.status === 200 && body && typeof body === 'object') {
    const b = body as { sub?: string; id?: string };
    body = { sub: b.sub ?? b.id };
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? undefined, body };
}

async function withServers(
  options: RequestAuthOptions,
  run: (bases: Record<string, string>) => Promise<void>,
): Promise<void> {
  const running: Array<[string, RunningAdapter]> = [];
  try {
    for (const setup of ADAPTER_SETUPS) running.push([setup.name, await setup.start(options)]);
    await run(Object.fromEntries(running.map(([name, r]) => [name, r.base])));
  } finally {
    for (const [, r] of running) await r.close();
  }
}

describe(`adapter parity: ${ADAPTER_SETUPS.map((s) => s.name).join(', ')}`, () => {
  let fx: AuthFixture;

  beforeAll(() => {
    fx = createAuthFixture();
  });

  it('gives the same status, challenge and body for every request of the matrix', async () => {
    const revokedClaims = fx.claims();
    await fx.store.inner.revoke(revokedClaims.jti as string, 600);
    const tokens: Record<string, string> = {
      valid: fx.token(),
      expired: fx.token({ exp: Math.floor(Date.now() / 1000) - 3600, iat: 1 }),
      revoked: fx.token({ jti: revokedClaims.jti }),
      malformed: 'not.a.jwt',
      garbage: 'abc def',
    };
    const carriers = ['header', 'cookie', 'both', 'none'] as const;
    const origins: Record<string, string | undefined> = {
      allowed: ALLOWED,
      foreign: 'https://evil.example.net',
      missing: undefined,
    };
    const seen = new Map<string, number>();
    const disagreements: string[] = [];
    await withServers(
      { policy: fx.policy, cookie: {}, csrf: { allowedOrigins: [ALLOWED] } },
      async (bases) => {
        for (const storeDown of [false, true]) {
          fx.store.fault = storeDown ? 'throw' : 'none';
          for (const carrier of carriers)
            for (const method of ['GET', 'POST'])
              for (const [originName, origin] of Object.entries(origins))
                for (const [tokenName, token] of Object.entries(tokens)) {
                  if (carrier === 'none' && tokenName !== 'valid') continue;
                  const headers: Record<string, string> = {};
                  if (carrier === 'header' || carrier === 'both')
                    headers.authorization = `Bearer ${token}`;
                  if (carrier === 'cookie' || carrier === 'both')
                    headers.cookie = `access_token=${encodeURIComponent(token)}`;
                  if (origin !== undefined) headers.origin = origin;
                  const label = `${carrier} ${method} origin=${originName} token=${tokenName} store=${storeDown ? 'down' : 'up'}`;
                  const answers = await Promise.all(
                    ADAPTER_SETUPS.map((a) => send(bases[a.name]!, method, headers)),
                  );
                  const [first, ...rest] = answers;
                  if (rest.some((a) => JSON.stringify(a) !== JSON.stringify(first))) {
                    const named = ADAPTER_SETUPS.map((a, i) => [a.name, answers[i]]);
                    disagreements.push(`${label}: ${JSON.stringify(named)}`);
                  }
                  seen.set(String(first!.status), (seen.get(String(first!.status)) ?? 0) + 1);
                }
        }
      },
    );
    fx.store.fault = 'none';
    expect(disagreements).toEqual([]);
    // The matrix reaches every verdict the pipeline has.
    expect([...seen.keys()].sort()).toEqual(['200', '400', '401', '403', '503']);
  });

  it('takes the CSRF origins from the settings (ALLOWED_ORIGINS) in every adapter', async () => {
    const settings = {
      ...loadSettings({
        env: {
          ACCESS_TOKEN_ALGORITHM: 'HS256',
          ACCESS_SECRET_KEY: HS_SECRET,
          TOKEN_MODE: 'stateful',
        },
        envFile: false,
      }),
      ALLOWED_ORIGINS: [ALLOWED],
    } as AuthSettings;
    const token = mint(accessClaims(), { alg: 'HS256', key: HS_SECRET });
    await withServers(
      { settings, revocationStore: new MemoryRevocationStore(), cookie: {} },
      async (bases) => {
        for (const adapter of ADAPTER_SETUPS.map((a) => a.name)) {
          const allowed = await send(bases[adapter]!, 'POST', {
            cookie: `access_token=${token}`,
            origin: ALLOWED,
          });
          const foreign = await send(bases[adapter]!, 'POST', {
            cookie: `access_token=${token}`,
            origin: 'https://evil.example.net',
          });
          expect([adapter, allowed.status, foreign.status]).toEqual([adapter, 200, 403]);
        }
      },
    );
  });
});
