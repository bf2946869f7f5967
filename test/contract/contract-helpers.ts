/** Small helpers shared by the store contract suites (not a test file itself). */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A clock the suite moves forward by hand (milliseconds since the epoch). */
export interface ContractClock {
  now(): number;
  advance(ms: number): void;
}

export function contractClock(start = Date.now()): ContractClock {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/**
 * Whose clock expires a store's entries: `clock`, the `ContractClock` its factory was given
 * (the suite advances it, no waiting); `server`, the server's own (Redis TTLs, SQL `now()`),
 * which only real time moves.
 */
export type ContractTime = 'clock' | 'server';

/**
 * Lets `ms` pass for a store: advances the clock, or waits them out (plus 100 ms, so a TTL of
 * that length has certainly run out on the server).
 */
export async function letTimePass(
  time: ContractTime,
  clock: ContractClock,
  ms: number,
): Promise<void> {
  if (time === 'clock') clock.advance(ms);
  else await sleep(ms + 100);
}

/** A short prefix unique to this run, so suites sharing one server never collide. */
export function contractPrefix(tag: string): string {
  return `ct-${tag}-${process.pid.toString(36)}${Date.now().toString(36)}${Math.random()
    .toString(36)
    .slice(2, 7)}-`;
}

/** The longest jti the contract requires a store to keep (in characters, here ASCII). */
export const MAX_JTI_LENGTH = 128;

/**
 * Identifiers that trip naive stores: LIKE wildcards (`%`, `_`), quotes, backslashes,
 * spaces, non-ASCII (4-byte UTF-8 too, for MySQL's utf8 vs utf8mb4) and the full 128 chars.
 */
export function weirdIds(prefix: string): string[] {
  return [
    `${prefix}a%b`,
    `${prefix}a_b`,
    `${prefix}it's "quoted" \`tick\``,
    `${prefix}back\\slash`,
    `${prefix}with spaces  and\ttab`,
    `${prefix}ünïcödé-日本語-🔑`,
    `${prefix}semi;colon:colon*star?`,
    `${prefix}`.padEnd(MAX_JTI_LENGTH, 'x'),
  ];
}
