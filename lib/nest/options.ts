/** What `AuthModule` takes, compiled once into the policy, the flows and the guard's pipeline. */
import { ConfigurationError } from '../core/errors';
import { loadSettings } from '../core/settings/load';
import type { AuthSettings } from '../core/settings/types';
import {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
} from '../security/flows/auth-flows';
import {
  createRequestAuthenticator,
  type RequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import { withDefaultOrigins } from '../security/http/csrf';
import type { RefreshTokenPolicy } from '../security/refresh-token-policy';
import type { RevocationStore } from '../security/store-contracts';
import type { TokenIssuer } from '../security/token-issuer';
import { TokenPolicy } from '../security/token-policy';

/**
 * The flows' options (`createAuthFlows`) with what only the flows need made optional, and the
 * verdict source of every adapter: `policy` (a `TokenPolicy`), or `settings` (+
 * `revocationStore`: a policy is built from them once, and the guard's CSRF origins are their
 * `ALLOWED_ORIGINS`), or neither (settings from the environment). `issuer`, `refreshPolicy` and
 * `findUser` together add the flows (and the auth routes).
 */
export interface AuthModuleOptions extends Omit<
  AuthFlowsOptions,
  'issuer' | 'refreshPolicy' | 'findUser' | 'policy'
> {
  policy?: TokenPolicy | undefined;
  settings?: AuthSettings | undefined;
  /** With `settings`: the revocation store of TOKEN_MODE stateful/hybrid. */
  revocationStore?: RevocationStore | undefined;
  issuer?: TokenIssuer | undefined;
  refreshPolicy?: RefreshTokenPolicy | undefined;
  findUser?: AuthFlowsOptions['findUser'] | undefined;
  /**
   * The guard's cookie carrier (`{ name }`), when it is not the flows' (`cookies.accessInCookie`
   * already makes the guard read the access cookie). A token sent two ways is a 400.
   */
  cookie?: RequestAuthOptions['cookie'];
  /** The guard's CSRF check of cookie-borne tokens (see `authenticate()`). */
  csrf?: RequestAuthOptions['csrf'];
}

/** The options, compiled: the policy, the flows when their parts are given, the guard's pipeline. */
export interface CompiledAuth {
  options: AuthModuleOptions;
  policy: TokenPolicy;
  flows: AuthFlows | null;
  authenticate: RequestAuthenticator;
}

const FLOW_PARTS = ['issuer', 'refreshPolicy', 'findUser'] as const;

/** Build once at start-up; throws `ConfigurationError` for options that cannot work. */
export function compileAuthOptions(
  options: AuthModuleOptions,
  needs: { flows: boolean },
): CompiledAuth {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('AuthModule needs its options (an object).');
  }
  const missing = FLOW_PARTS.filter((part) => options[part] === undefined);
  if (missing.length > 0 && (needs.flows || missing.length < FLOW_PARTS.length)) {
    throw new ConfigurationError(
      `AuthModule's auth flows need issuer, refreshPolicy and findUser; missing: ${missing.join(', ')}.`,
    );
  }
  const { policy, settings } = verdictSource(options);
  const flows =
    missing.length === 0 ? createAuthFlows({ ...(options as AuthFlowsOptions), policy }) : null;
  // The guard shares the flows' pipeline (same cookie mode) unless it is given its own carriers.
  const ownPipeline = options.cookie !== undefined || options.csrf !== undefined || flows === null;
  const authenticate = ownPipeline
    ? createRequestAuthenticator({
        policy,
        realm: options.realm,
        cookie: options.cookie,
        csrf: csrfOf(options.csrf, settings),
      })
    : flows.authenticate;
  return { options, policy, flows, authenticate };
}

function verdictSource(options: AuthModuleOptions): {
  policy: TokenPolicy;
  settings: AuthSettings | undefined;
} {
  if (options.policy !== undefined) {
    if (options.settings !== undefined) {
      throw new ConfigurationError("Give AuthModule one of 'policy' or 'settings', not both.");
    }
    if (typeof options.policy.validate !== 'function') {
      throw new ConfigurationError("AuthModule's 'policy' must be a TokenPolicy.");
    }
    return { policy: options.policy, settings: undefined };
  }
  const settings = options.settings ?? loadSettings();
  const policy = TokenPolicy.fromSettings(settings, {
    revocationStore: options.revocationStore,
    hooks: options.hooks,
    logger: options.logger,
  });
  return { policy, settings };
}

/**
 * As `authenticate({ settings, csrf })`: the cookie CSRF check trusts the settings'
 * ALLOWED_ORIGINS unless `csrf` names its own (the pipeline gets the policy, not the settings).
 */
function csrfOf(
  csrf: RequestAuthOptions['csrf'],
  settings: AuthSettings | undefined,
): RequestAuthOptions['csrf'] {
  if (csrf === false || settings === undefined) return csrf;
  return withDefaultOrigins(csrf, settings.ALLOWED_ORIGINS);
}
