/**
 * How a SQL rate-limit store counts, one strategy per database behind one interface: the hits
 * of several keys, each key's upsert atomic (a window that has ended restarts), and each
 * key's window after them, on the database's clock.
 */

/** One distinct key of a `hitMany` and how many hits it takes (a key given twice: 2). */
export interface KeyHits {
  key: string;
  hits: number;
  /** Whole seconds of the window the first of these hits opens, if it opens one. */
  windowSeconds: number;
}

/** A key's window after the hits. */
export interface KeyWindow {
  count: number;
  resetInSeconds: number;
}

export interface RateLimitCounter {
  /** Count `rows` (distinct keys, in the order their rows are locked); the windows by key. */
  hit(rows: readonly KeyHits[]): Promise<Map<string, KeyWindow>>;
}

/** The windows of rows read back as `rl_key, hits, reset_in`. */
export function windowsByKey(rows: ReadonlyArray<Record<string, unknown>>): Map<string, KeyWindow> {
  return new Map(
    rows.map((row) => [
      String(row.rl_key),
      { count: Number(row.hits), resetInSeconds: Math.max(1, Number(row.reset_in)) },
    ]),
  );
}
