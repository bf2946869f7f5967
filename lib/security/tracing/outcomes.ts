/**
 * What a span says of an outcome: a refusal, a failure, and the hook events, with the names
 * and values the metrics use as labels (`lib/metrics/hooks.ts`), so traces and metrics tell
 * one story. Messages are never recorded: a driver's or a validator's text can quote a value.
 */
import { AuthError, InvalidTokenError, StoreUnavailableError } from '../../core/errors';
import { unavailableReason } from '../../core/store-errors';
import type { ValidationHooks } from '../types';
import { currentSpan, markFailed, type Span } from './api';

/**
 * A refusal (400, 401, 403, 404, 429) is the operation doing its job: the span says why and
 * keeps its status unset (returns true). A 5xx or an unexpected error is an error: status
 * and `error.type` (returns false).
 */
export function recordFailure(span: Span, error: unknown): boolean {
  if (!(error instanceof AuthError) || error.status >= 500) {
    markFailed(span, errorType(error));
    return false;
  }
  if (error instanceof InvalidTokenError) {
    span.setAttribute('auth.failure.reason', error.reason);
    if (error.detail !== undefined) {
      span.setAttribute('auth.failure.detail', safeDetail(error.detail));
    }
  } else {
    span.setAttribute('auth.failure.reason', error.code);
  }
  return true;
}

function errorType(error: unknown): string {
  if (error instanceof StoreUnavailableError) return unavailableReason(error);
  if (error instanceof AuthError) return error.code;
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}

// Details that name a claim, or say which part was malformed, are kept whole; the others
// (`role_unknown:<role>`, `alg_not_allowed:<alg>`) lose what the token said.
const WHOLE_DETAILS = /^(missing_claim|claim_type|claim_value|malformed):/;

function safeDetail(detail: string): string {
  return WHOLE_DETAILS.test(detail) ? detail : detail.split(':', 1)[0]!;
}

type HookName = keyof ValidationHooks;
type HookEvent<N extends HookName> = Parameters<NonNullable<ValidationHooks[N]>>[0];

/** The refresh result as the metrics label it (`auth_token_refresh_total{result}`). */
function refreshResult(reason: string): string {
  return reason === 'revoked' || reason === 'reused' ? reason : 'invalid';
}

/**
 * The hook events on the current span. Events of access tokens need nothing here: their
 * spans read the verdict off the result.
 */
const FROM_HOOKS: { [N in HookName]-?: (span: Span, event: HookEvent<N>) => void } = {
  onSuccess: (span, { tokenType }) => {
    if (tokenType === 'refresh') span.setAttribute('auth.refresh.result', 'success');
  },
  onFailure: (span, { reason, tokenType }) => {
    if (tokenType === 'refresh') span.setAttribute('auth.refresh.result', refreshResult(reason));
  },
  onDegraded: (span, { control, mode, reason, store }) => {
    span.addEvent('auth.degraded', {
      'auth.degraded.control': control,
      'auth.degraded.mode': mode,
      'auth.degraded.reason': reason,
      'auth.store.name': store,
    });
    markFailed(span, reason);
  },
  onBreakerStateChange: (span, { store, open }) => {
    span.addEvent('auth.breaker.state_change', {
      'auth.store.name': store,
      'auth.store.breaker.state': open ? 'open' : 'closed',
    });
  },
  onJwksFetch: (span, { result }) => {
    span.setAttribute('auth.jwks.result', result);
    if (result !== 'success') markFailed(span, result);
  },
  onLogin: (span, { result }) => {
    span.setAttribute('auth.login.result', result);
  },
  onLogout: (span, { sessions }) => {
    span.setAttribute('auth.logout.sessions', sessions);
  },
  onRateLimited: (span, { scope, flow }) => {
    span.setAttribute('auth.rate_limit.scope', scope);
    // A refused login is told by onLogin (result rate_limited), as the metrics count it.
    if (flow !== 'login') span.setAttribute('auth.refresh.result', 'rate_limited');
  },
};

/** Describes one hook event on the current span of this package (`callHook` calls it). */
export function traceHookEvent<N extends HookName>(name: N, event: HookEvent<N>): void {
  const span = currentSpan();
  if (span === undefined) return;
  try {
    (FROM_HOOKS[name] as (span: Span, event: HookEvent<N>) => void)(span, event);
  } catch {
    // Observability never changes a decision.
  }
}
