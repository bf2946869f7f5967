import {
  ConfigurationError,
  InvalidTokenError,
  StoreUnavailableError,
} from '../../../lib/core/errors';
import {
  CircuitBreaker,
  type BreakerPermit,
  type BreakerStateChange,
} from '../../../lib/security/circuit-breaker';
import { guardStoreCall } from '../../../lib/security/store-guard';
import {
  CircuitOpenError,
  StoreTimeoutError,
  unavailableReason,
  withTimeout,
} from '../../../lib/core/store-errors';

function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function isPermit(value: ReturnType<CircuitBreaker['acquire']>): value is BreakerPermit {
  return 'success' in value;
}

function permit(breaker: CircuitBreaker): BreakerPermit {
  const value = breaker.acquire();
  if (!isPermit(value))
    throw new Error(`expected a permit, got retryAfterMs=${value.retryAfterMs}`);
  return value;
}

const never = <T>() => new Promise<T>(() => undefined);

describe('withTimeout', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('resolves with the value of a promise that settles in time and clears its timer', async () => {
    jest.useFakeTimers();
    await expect(withTimeout(Promise.resolve(42), 1000, 'redis')).resolves.toBe(42);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with StoreTimeoutError (a 503 StoreUnavailableError) after the timeout', async () => {
    const started = Date.now();
    const error = await withTimeout(never(), 50, 'redis').catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 503, store: 'redis', timeoutMs: 50 });
    expect(unavailableReason(error as StoreUnavailableError)).toBe('timeout');
  });

  it('passes the original rejection through and clears its timer', async () => {
    jest.useFakeTimers();
    const boom = new Error('boom');
    await expect(withTimeout(Promise.reject(boom), 1000, 'redis')).rejects.toBe(boom);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('absorbs a rejection that arrives after the timeout (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let rejectLate: (e: Error) => void = () => undefined;
      const late = new Promise<never>((_, reject) => {
        rejectLate = reject;
      });
      await expect(withTimeout(late, 10, 'redis')).rejects.toBeInstanceOf(StoreTimeoutError);
      rejectLate(new Error('late'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('returns the promise itself when the timeout is Infinity', () => {
    const promise = Promise.resolve(1);
    expect(withTimeout(promise, Number.POSITIVE_INFINITY, 'redis')).toBe(promise);
  });
});

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures and reports the change', () => {
    const clock = manualClock();
    const changes: BreakerStateChange[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      clock: clock.now,
      onStateChange: (c) => changes.push(c),
    });
    for (let i = 0; i < 2; i += 1) permit(breaker).failure();
    expect(breaker.state).toBe('closed');
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ from: 'closed', to: 'open' }]);
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, clock: manualClock().now });
    permit(breaker).failure();
    permit(breaker).failure();
    permit(breaker).success();
    permit(breaker).failure();
    permit(breaker).failure();
    expect(breaker.state).toBe('closed');
  });

  it('refuses permits while open, saying how long to wait', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 10_000,
      clock: clock.now,
    });
    permit(breaker).failure();
    clock.advance(4000);
    expect(breaker.acquire()).toEqual({ retryAfterMs: 6000 });
  });

  it('lets exactly one probe through when half-open; its success closes the circuit', () => {
    const clock = manualClock();
    const changes: BreakerStateChange[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 10_000,
      clock: clock.now,
      onStateChange: (c) => changes.push(c),
    });
    permit(breaker).failure();
    clock.advance(10_000);
    const probe = permit(breaker);
    expect(breaker.state).toBe('half_open');
    expect(isPermit(breaker.acquire())).toBe(false);
    probe.success();
    expect(breaker.state).toBe('closed');
    expect(isPermit(breaker.acquire())).toBe(true);
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens for a full window when the probe fails', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 10_000,
      clock: clock.now,
    });
    permit(breaker).failure();
    clock.advance(10_000);
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
    clock.advance(9_999);
    expect(breaker.acquire()).toEqual({ retryAfterMs: 1 });
  });

  it('ignores the outcome of a call that started before the circuit opened', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, clock: clock.now });
    const slow = permit(breaker);
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
    slow.success();
    expect(breaker.state).toBe('open');
  });

  it('gives up a probe that never settles after resetTimeoutMs and lets a new one through', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1000,
      clock: clock.now,
    });
    permit(breaker).failure();
    clock.advance(1000);
    const lost = permit(breaker);
    clock.advance(999);
    expect(isPermit(breaker.acquire())).toBe(false);
    clock.advance(1);
    const second = permit(breaker);
    lost.failure(); // stale: must not reopen
    expect(breaker.state).toBe('half_open');
    second.success();
    expect(breaker.state).toBe('closed');
  });

  it('keeps working when onStateChange throws', () => {
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      clock: manualClock().now,
      onStateChange: () => {
        throw new Error('observer bug');
      },
    });
    expect(() => permit(breaker).failure()).not.toThrow();
    expect(breaker.state).toBe('open');
  });

  it('rejects invalid options with a ConfigurationError', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(ConfigurationError);
    expect(() => new CircuitBreaker({ failureThreshold: 2.5 })).toThrow(ConfigurationError);
    expect(() => new CircuitBreaker({ resetTimeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => new CircuitBreaker({ resetTimeoutMs: Number.NaN })).toThrow(ConfigurationError);
  });
});

describe('guardStoreCall', () => {
  it('returns what the store answered', async () => {
    await expect(guardStoreCall(undefined, async () => true, { store: 'memory' })).resolves.toBe(
      true,
    );
  });

  it('turns an error thrown by the store into StoreUnavailableError keeping the cause', async () => {
    const cause = new Error('ECONNREFUSED');
    const error = await guardStoreCall(
      new CircuitBreaker(),
      async () => {
        throw cause;
      },
      { store: 'redis' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ store: 'redis', status: 503, cause });
    expect(unavailableReason(error as StoreUnavailableError)).toBe('store_unavailable');
  });

  it('turns a synchronous throw into StoreUnavailableError too', async () => {
    const fn = (): Promise<boolean> => {
      throw new TypeError('client not connected');
    };
    await expect(guardStoreCall(undefined, fn, { store: 'redis' })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('passes other AuthErrors through without counting them as store failures', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const decision = new InvalidTokenError('Token revoked', 'revoked');
    await expect(
      guardStoreCall(
        breaker,
        async () => {
          throw decision;
        },
        { store: 'redis' },
      ),
    ).rejects.toBe(decision);
    expect(breaker.state).toBe('closed');
  });

  it('bounds a hung store: one timeout per call, then immediate refusals while open, then recovery', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 5000,
      clock: clock.now,
    });
    let calls = 0;
    let hung = true;
    const store = async (): Promise<string> => {
      calls += 1;
      return hung ? never<string>() : 'answer';
    };
    // Bounds wide enough for a loaded machine (timers fire late), narrow enough to tell one
    // timeout from none (the refusal while open) and from a hang.
    const options = { timeoutMs: 500, store: 'redis' };

    for (let i = 0; i < 2; i += 1) {
      const started = performance.now();
      await expect(guardStoreCall(breaker, store, options)).rejects.toBeInstanceOf(
        StoreTimeoutError,
      );
      expect(performance.now() - started).toBeLessThan(500 + 500);
    }
    expect(breaker.state).toBe('open');

    const started = performance.now();
    const refused = await guardStoreCall(breaker, store, options).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(250); // no timeout waited
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    expect(calls).toBe(2); // the store was not called while open

    hung = false;
    clock.advance(5000);
    await expect(guardStoreCall(breaker, store, options)).resolves.toBe('answer');
    expect(breaker.state).toBe('closed');
    expect(calls).toBe(3);
  });
});
