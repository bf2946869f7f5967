/** Small helpers shared by the store contract suites (not a test file itself). */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
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
 * Lets `ms` pass for entries a store wrote by `since` (`Date.now()` once the writes resolved):
 * advances the clock, or waits until `since + ms` plus 100 ms, so a TTL of that length has
 * certainly run out on the server. Time already spent since the writes is not waited again.
 */
export async function letTimePass(
  time: ContractTime,
  clock: ContractClock,
  ms: number,
  since: number = Date.now(),
): Promise<void> {
  if (time === 'clock') clock.advance(ms);
  else await waitPast(since, ms);
}

/** Waits until `ms` plus 100 ms have passed since `since` (`Date.now()` after the writes). */
export function waitPast(since: number, ms: number): Promise<void> {
  return sleep(since + ms + 100 - Date.now());
}

/**
 * Where a suite writes the entries its expiry test later finds expired. By default in that
 * test, which then waits out their TTL. A test file whose stores expire on their server's clock
 * passes one `expiryFirst()` to all its suites: each writes its expiring entries in the file's
 * setup, before any test runs, so the waits overlap each other and the other tests instead of
 * adding up (the first expiry check waits what is left; later ones mostly not at all).
 */
export interface ExpiryFirst {
  /** Runs `arrange` in the setup of the block `expiryFirst()` was called in. */
  add(arrange: () => Promise<unknown>, cleanup: () => Promise<void>): void;
}

/**
 * Call in the describe block (or file) that holds the suites, before they are declared. A
 * failing arrangement fails only its own suite's expiry test (which awaits it again); every
 * store opened for one is closed after the block, even when its suite's tests were filtered out.
 */
export function expiryFirst(): ExpiryFirst {
  const steps: Array<() => Promise<unknown>> = [];
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    for (const step of steps) await step().catch(() => undefined);
  }, 60_000);
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  return {
    add: (arrange, cleanup) => {
      steps.push(arrange);
      cleanups.push(cleanup);
    },
  };
}

/**
 * A suite's store, opened once (by its own setup, or earlier by an `ExpiryFirst` arrangement)
 * and closed once, and its expiry arrangement: run once, in the file's setup when `first` is
 * given, else when the expiry test asks for it.
 */
export function suiteStore<Handle extends { cleanup(): Promise<void> }, Arranged>(
  factory: () => Promise<Handle>,
  arrange: (handle: Handle) => Promise<Arranged>,
  first: ExpiryFirst | undefined,
): { open(): Promise<Handle>; close(): Promise<void>; arranged(): Promise<Arranged> } {
  let opened: Promise<Handle> | undefined;
  let closed: Promise<void> | undefined;
  let arranged: Promise<Arranged> | undefined;
  const open = (): Promise<Handle> => (opened ??= factory());
  const close = (): Promise<void> =>
    (closed ??=
      opened === undefined
        ? Promise.resolve()
        : opened.then(
            (h) => h.cleanup(),
            () => undefined, // never opened: nothing to close (its setup failed the suite)
          ));
  const arrangedOnce = (): Promise<Arranged> => (arranged ??= open().then(arrange));
  first?.add(arrangedOnce, close);
  return { open, close, arranged: arrangedOnce };
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
