/** A clock the test advances (epoch ms): expiry is tested without sleeping. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
  /** Whole epoch seconds. */
  seconds(): number;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    seconds: () => Math.floor(now / 1000),
  };
}
