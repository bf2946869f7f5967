/** `ValidationHooks` that feed the auth metrics (the core only emits hooks). */
import type { InvalidTokenReason } from '../core/errors';
import type { ValidationHooks } from '../security/types';
import { requireMetrics, type Metrics } from './setup';

function refreshResult(reason: InvalidTokenReason): string {
  if (reason === 'revoked' || reason === 'reused') return reason;
  return 'invalid';
}

/**
 * Hooks for `TokenValidator`, `TokenPolicy`, `RefreshTokenPolicy` and `JwksKeyResolver`:
 * access failures by reason, refresh results, reuse detections (session-integrity denials),
 * degraded decisions and modes, breaker state and JWKS fetches. No-ops without the auth group.
 */
export function metricsHooks(metrics: Metrics): ValidationHooks {
  const auth = requireMetrics(metrics).auth;
  if (auth === undefined) return {};
  return {
    onSuccess: ({ tokenType }) => {
      if (tokenType === 'refresh') auth.tokenRefresh.inc({ result: 'success' });
    },
    onFailure: ({ reason, tokenType }) => {
      if (tokenType === 'access') auth.validationFailures.inc({ reason });
      else auth.tokenRefresh.inc({ result: refreshResult(reason) });
      if (reason === 'reused') auth.integrityDenials.inc({ trigger: 'reuse_detected' });
    },
    onDegraded: ({ control, mode, reason, store }) => {
      auth.degradedDecisions.inc({ control, mode, reason });
      auth.degradationMode.set({ control, mode }, 1);
      auth.degradationMode.set(
        { control, mode: mode === 'fail_open' ? 'fail_closed' : 'fail_open' },
        0,
      );
      if (reason !== 'circuit_open')
        auth.revocationFailures.inc({ operation: operationOf(control, store) });
    },
    onBreakerStateChange: ({ store, open }) => {
      auth.breakerOpen.set(open ? 1 : 0);
      auth.storeBreakerOpen.set({ store }, open ? 1 : 0);
    },
    onJwksFetch: ({ result }) => {
      auth.jwksFetches.inc({ result });
    },
    onLogin: ({ result }) => {
      auth.loginAttempts.inc({ result });
    },
    onLogout: () => {
      auth.logouts.inc();
    },
    onRateLimited: ({ flow }) => {
      // A refused login is counted by onLogin (auth_login_attempts_total{result="rate_limited"}).
      if (flow !== 'login') auth.tokenRefresh.inc({ result: 'rate_limited' });
    },
  };
}

function operationOf(control: string, store: string): string {
  if (control === 'access_revocation') return 'access_blacklist';
  if (control === 'refresh_validation') return 'refresh_allowlist';
  return store === 'postgres' || store === 'mysql' ? 'db_session' : control;
}

/** Count a logout (the Python `auth_logout_total`). */
export function recordLogout(metrics: Metrics): void {
  requireMetrics(metrics).auth?.logouts.inc();
}

/** Count a login attempt: success | wrong_credentials | inactive_user | rate_limited. */
export function recordLoginAttempt(metrics: Metrics, result: string): void {
  requireMetrics(metrics).auth?.loginAttempts.inc({ result });
}
