/** Rules every rate-limit store applies to what it is given (shared so the backends agree). */

/** Whole seconds of a window, at least 1. */
export function windowSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
}

/** Hits an undo takes back: a whole number ≥ 0 (a negative one would add hits). */
export function takenBack(hits: number): number {
  return Number.isFinite(hits) ? Math.max(0, Math.floor(hits)) : 0;
}
