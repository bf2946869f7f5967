/**
 * `effectiveFailureMode(settings, control)` from the root entry, Python's
 * `settings.effective_failure_mode(control)`: each control reads its own `*_FAILURE_MODE`
 * setting, and `AUTH_STRICT_MODE=true` closes every control. Settings are loaded from
 * environment variables, as a service loads them.
 */
import {
  ConfigurationError,
  effectiveFailureMode,
  loadSettings,
  type FailureControl,
  type FailureMode,
} from 'auth-sdk-m8';

const VALID_KEY = 'Abcdef-1234_XYZ-abcdef-ghijkl-mnopqr-stuvwx';

function settingsFrom(env: Record<string, string>) {
  return loadSettings({
    env: { ACCESS_SECRET_KEY: VALID_KEY, ...env },
    envFile: false,
    secretsDir: false,
  });
}

const CONTROLS: Array<[FailureControl, string, FailureMode]> = [
  ['access_revocation', 'ACCESS_REVOCATION_FAILURE_MODE', 'fail_closed'],
  ['refresh_validation', 'REFRESH_VALIDATION_FAILURE_MODE', 'fail_closed'],
  ['session_write', 'SESSION_WRITE_FAILURE_MODE', 'fail_closed'],
  ['rate_limit', 'RATE_LIMIT_FAILURE_MODE', 'fail_open'],
];
const flipped = (mode: FailureMode): FailureMode =>
  mode === 'fail_open' ? 'fail_closed' : 'fail_open';

describe('effectiveFailureMode (root entry)', () => {
  it.each(CONTROLS)('%s defaults to the default of %s (%s)', (control, _name, mode) => {
    expect(effectiveFailureMode(settingsFrom({}), control)).toBe(mode);
  });

  it.each(CONTROLS)('%s follows %s, and only that setting', (control, name, defaultMode) => {
    const settings = settingsFrom({ [name]: flipped(defaultMode) });
    for (const [other, , otherDefault] of CONTROLS) {
      expect(effectiveFailureMode(settings, other)).toBe(
        other === control ? flipped(defaultMode) : otherDefault,
      );
    }
  });

  it('AUTH_STRICT_MODE=true closes every control, even one set to fail_open', () => {
    const allOpen = Object.fromEntries(CONTROLS.map(([, name]) => [name, 'fail_open']));
    const open = settingsFrom({ ...allOpen, AUTH_STRICT_MODE: 'false' });
    const strict = settingsFrom({ ...allOpen, AUTH_STRICT_MODE: 'true' });
    for (const [control] of CONTROLS) {
      expect(effectiveFailureMode(open, control)).toBe('fail_open');
      expect(effectiveFailureMode(strict, control)).toBe('fail_closed');
    }
  });

  it('refuses an unknown control with a ConfigurationError naming the four', () => {
    expect(() => effectiveFailureMode(settingsFrom({}), 'cache' as FailureControl)).toThrow(
      new ConfigurationError(
        'Unknown failure control "cache": use one of refresh_validation, session_write, rate_limit, access_revocation.',
      ),
    );
  });
});
