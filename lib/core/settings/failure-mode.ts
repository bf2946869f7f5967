import { ConfigurationError } from '../errors';
import type { FailureControl, FailureMode } from '../failure-mode';
import type { AuthSettings } from './types';

/** Which setting drives each control (Python `effective_failure_mode`). */
const CONTROL_SETTING = {
  refresh_validation: 'REFRESH_VALIDATION_FAILURE_MODE',
  session_write: 'SESSION_WRITE_FAILURE_MODE',
  rate_limit: 'RATE_LIMIT_FAILURE_MODE',
  access_revocation: 'ACCESS_REVOCATION_FAILURE_MODE',
} as const satisfies Record<FailureControl, keyof AuthSettings>;

export type FailureModeSettings = Pick<
  AuthSettings,
  'AUTH_STRICT_MODE' | (typeof CONTROL_SETTING)[FailureControl]
>;

/**
 * What `control` does when its store cannot answer: `fail_open` (allow, report degraded) or
 * `fail_closed` (503). `AUTH_STRICT_MODE=true` closes every control. An unknown control is a
 * `ConfigurationError` (Python raised a bare KeyError).
 */
export function effectiveFailureMode(
  settings: FailureModeSettings,
  control: FailureControl,
): FailureMode {
  const setting = (CONTROL_SETTING as Record<string, keyof FailureModeSettings>)[control];
  if (setting === undefined) {
    throw new ConfigurationError(
      `Unknown failure control ${JSON.stringify(control)}: use one of ${Object.keys(CONTROL_SETTING).join(', ')}.`,
    );
  }
  if (settings.AUTH_STRICT_MODE) return 'fail_closed';
  return settings[setting] as FailureMode;
}
