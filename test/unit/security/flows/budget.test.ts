/**
 * One deadline per request: with a store hung, a refresh pays one timeout, not one per store
 * call (the per-IP limit, the per-family limit and the rotation each waited out their own).
 */
import { RefreshRateLimiter, StoreUnavailableError, type DegradedEvent } from 'auth-sdk-m8';
import { MemoryRateLimitStore } from 'auth-sdk-m8/stores/memory';
import { FaultyRefreshTokenStore } from '../../../helpers/faulty-stores';
import { flowKit, login, post, quiet } from './kit';

// Long enough that a loaded machine's late timers stay far inside 1.5 × (and far from 3 ×).
const TIMEOUT = 600;

class HungRateLimitStore extends MemoryRateLimitStore {
  hung = false;
  override hit(key: string, windowSeconds: number) {
    return this.hung ? new Promise<never>(() => undefined) : super.hit(key, windowSeconds);
  }
}

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error?: unknown }> {
  const start = Date.now();
  try {
    await promise;
    return { ms: Date.now() - start };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

function hungKit() {
  const degraded: DegradedEvent[] = [];
  const limits = new HungRateLimitStore();
  const tokens = new FaultyRefreshTokenStore();
  const kit = flowKit({
    refreshStore: tokens,
    refreshTimeoutMs: TIMEOUT,
    rateLimit: new RefreshRateLimiter({
      store: limits,
      timeoutMs: TIMEOUT,
      breaker: false,
      hooks: { onDegraded: (e) => degraded.push(e) },
      logger: quiet,
    }),
    timeoutMs: TIMEOUT,
  });
  return { kit, limits, tokens, degraded };
}

describe('a request budget shared by every store call of a refresh', () => {
  it('a hung limiter costs one timeout; a healthy refresh store still answers (200)', async () => {
    const { kit, limits, degraded } = hungKit();
    const first = await login(kit);
    limits.hung = true;
    const answer = await timed(kit.flows.refresh(post({ refresh_token: first.refresh_token })));
    expect(answer.error).toBeUndefined();
    expect(answer.ms).toBeLessThan(TIMEOUT * 1.5);
    // Both limits are fail_open; the second did not wait: the store had timed out already.
    expect(degraded.map((e) => `${e.control}:${e.reason}`)).toEqual([
      'rate_limit:timeout',
      'rate_limit:timeout',
    ]);
  });

  it('everything hung: 503 within 1.5 × timeoutMs, not three timeouts', async () => {
    const { kit, limits, tokens } = hungKit();
    const first = await login(kit);
    limits.hung = true;
    tokens.fault = 'hang';
    const answer = await timed(kit.flows.refresh(post({ refresh_token: first.refresh_token })));
    expect(answer.error).toBeInstanceOf(StoreUnavailableError);
    expect((answer.error as StoreUnavailableError).status).toBe(503);
    expect(answer.ms).toBeLessThan(TIMEOUT * 1.5);
  });

  it('without the budget the same request waits out each call (the test can fail)', async () => {
    const { kit, limits, tokens } = hungKit();
    const first = await login(kit);
    limits.hung = true;
    tokens.fault = 'hang';
    // The policy alone, outside any flow: its own full timeout.
    const answer = await timed(
      kit.refreshPolicy.validateAndRotate(first.refresh_token, { newJti: 'n' }),
    );
    expect(answer.error).toBeInstanceOf(StoreUnavailableError);
    expect(answer.ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
  });
});
