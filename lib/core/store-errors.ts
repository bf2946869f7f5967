/**
 * Why a store could not answer, as typed errors (`StoreUnavailableError` and its two
 * refinements), and the time bound every store call runs under. Core: stores and policies
 * both speak these, neither owns them.
 */
import { AuthError, StoreUnavailableError } from './errors';

/** Why a store call could not be decided (the `reason` of `onDegraded`). */
export type UnavailableReason = 'timeout' | 'circuit_open' | 'store_unavailable';

/** The store did not answer within the allotted time. */
export class StoreTimeoutError extends StoreUnavailableError {
  readonly reason = 'timeout' as const;
  readonly timeoutMs: number;

  constructor(store: string, timeoutMs: number, options: { budgetSpent?: boolean } = {}) {
    super(
      options.budgetSpent === true
        ? `The request's time budget was spent before the ${store} store could be asked`
        : `The ${store} store did not answer within ${timeoutMs} ms`,
      store,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The breaker is open: the store was not called at all. */
export class CircuitOpenError extends StoreUnavailableError {
  readonly reason = 'circuit_open' as const;

  constructor(store: string, retryAfterSeconds: number) {
    super(`The ${store} store is failing; calls are suspended (circuit open)`, store, {
      retryAfterSeconds,
    });
  }
}

/** The degradation reason of any `StoreUnavailableError`. */
export function unavailableReason(error: StoreUnavailableError): UnavailableReason {
  if (error instanceof StoreTimeoutError) return 'timeout';
  if (error instanceof CircuitOpenError) return 'circuit_open';
  return 'store_unavailable';
}

/**
 * Settles like `promise`, or rejects with `StoreTimeoutError` after `ms` milliseconds.
 * `Infinity` disables the timeout. The timer is always cleared, and a late rejection of
 * `promise` is absorbed (never an unhandled rejection).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, store: string): Promise<T> {
  if (ms === Number.POSITIVE_INFINITY) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(store, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The driver's error as `StoreUnavailableError`, saying why in its message (the driver's code
 * and first line, e.g. `42501 must be owner of table …`, `ECONNREFUSED`) for logs and hooks;
 * URLs lose their credentials and `password=` values are masked. `AuthError`s pass through.
 * The HTTP answer never shows this message (a 503 has a fixed body).
 */
export function storeFailure(store: string, err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  const detail = driverDetail(err);
  return new StoreUnavailableError(
    `The ${store} store is unavailable${detail === '' ? '' : `: ${detail}`}`,
    store,
    { cause: err },
  );
}

/** `code message` of a driver error, one line, at most 300 characters, secrets masked. */
export function driverDetail(err: unknown): string {
  if (err === null || typeof err !== 'object') return redact(String(err ?? ''));
  const { code, message, errno } = err as { code?: unknown; message?: unknown; errno?: unknown };
  let text = typeof message === 'string' ? message : '';
  // AggregateError (e.g. ECONNREFUSED on ::1 and 127.0.0.1) has an empty message.
  if (text === '' && Array.isArray((err as { errors?: unknown }).errors)) {
    text = (err as { errors: unknown[] }).errors.map((e) => driverDetail(e)).join('; ');
  }
  const id = typeof code === 'string' || typeof code === 'number' ? String(code) : '';
  const prefix = id !== '' && !text.includes(id) ? `${id} ` : '';
  const line = `${prefix}${text}`.split('\n')[0]!.trim();
  const numbered = line === '' && typeof errno === 'number' ? `errno ${errno}` : line;
  return redact(numbered).slice(0, 300);
}

function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@')
    .replace(/(password\s*[=:]\s*)\S+/gi, '$1***');
}
