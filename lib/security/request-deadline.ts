/**
 * One time budget per request. The flows run each request inside `withRequestDeadline`, and
 * every guarded store call of that request (the limiter, the rotation, the session writes, the
 * revocations) gets what is left of it instead of its own full timeout, so a hung store costs
 * a request one timeout, not one per call: a store that timed out once in the request is not
 * asked again (its calls fail at once, then the caller's failure mode decides), and once the
 * budget is spent another store still gets a short last chance (a tenth of the budget), so a
 * healthy store behind a hung one still answers. Carried by `AsyncLocalStorage`: the policies
 * and stores need no extra parameter.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestBudget {
  /** Epoch ms (wall clock: timeouts are real time, whatever clock the policies are given). */
  readonly at: number;
  /** What a store call gets at least, once the budget is spent. */
  readonly lastChanceMs: number;
  /** Stores (by name) that timed out in this request. */
  readonly timedOut: Set<string>;
}

const current = new AsyncLocalStorage<RequestBudget>();

/**
 * Runs `work` with a budget of `budgetMs` for all its store calls. Inside another request's
 * budget the outer one holds (a flow calling another flow does not extend its own deadline).
 */
export function withRequestDeadline<T>(budgetMs: number, work: () => Promise<T>): Promise<T> {
  if (current.getStore() !== undefined || budgetMs === Number.POSITIVE_INFINITY) return work();
  const budget = {
    at: Date.now() + budgetMs,
    lastChanceMs: budgetMs / 10,
    timedOut: new Set<string>(),
  };
  return current.run(budget, work);
}

/**
 * The time a call to `store` may take in the current request: `timeoutMs`, or less when the
 * request's budget says so; 0 when `store` already timed out in this request.
 */
export function callAllowanceMs(store: string, timeoutMs: number): number {
  const budget = current.getStore();
  if (budget === undefined) return timeoutMs;
  if (budget.timedOut.has(store)) return 0;
  return Math.min(timeoutMs, Math.max(budget.at - Date.now(), budget.lastChanceMs));
}

/** Records that `store` timed out: the rest of the request does not wait for it again. */
export function noteTimeout(store: string): void {
  current.getStore()?.timedOut.add(store);
}

/** Epoch ms after which a call to `store` started now is no longer waited for. */
export function callDeadline(store: string, timeoutMs: number): number {
  return Date.now() + callAllowanceMs(store, timeoutMs);
}
