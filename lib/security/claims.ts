/**
 * Claim checks with PyJWT's semantics and order (what the Python SDK inherits), so a token
 * gets the same verdict in every service of a fleet. Hand-written rather than joi: this runs
 * on every request.
 */
import type { RoleName, TokenUserData } from '../core/types';
import { claimProblem, claimType, claimValue, missingClaim, shortName } from './failure-detail';

export interface RegisteredClaimOptions {
  /** Current time in seconds (may be fractional). */
  nowSeconds: number;
  leewaySeconds: number;
  /** Claims that must be present and not JSON null. */
  requiredClaims: readonly string[];
  issuer?: string;
  audience?: readonly string[];
  requireIss: boolean;
  requireAud: boolean;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Why the registered claims refuse a token: the verdict, and the detail for logs and hooks. */
export interface ClaimFailure {
  reason: 'expired' | 'invalid';
  /** `missing_claim:<name>`, `claim_type:<name>`, `iat_future`, `not_before`, `expired`, … */
  detail: string;
}

/**
 * Checks the registered claims in PyJWT's order: required → iat → nbf → exp → iss → aud →
 * sub/jti types. Returns the refusal (`expired` or `invalid`, with its detail) or `undefined`
 * (all good).
 * - a claim is missing when absent or JSON null (an empty string is present);
 * - `iat` in the future (beyond leeway) is refused, as PyJWT does (jsonwebtoken does not);
 * - `exp <= now - leeway` is expired (boundary inclusive), `nbf > now + leeway` is invalid;
 * - NumericDates must be JSON numbers (PyJWT also took numeric strings: RFC 7519 says number).
 */
export function registeredClaimsFailure(
  payload: Record<string, unknown>,
  options: RegisteredClaimOptions,
): ClaimFailure | undefined {
  for (const claim of options.requiredClaims) {
    const value = payload[claim];
    if (value === undefined || value === null) return invalid(missingClaim(claim));
  }
  const { nowSeconds, leewaySeconds } = options;
  const { iat, nbf, exp } = payload;
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return invalid(claimType('iat'));
    if (iat > nowSeconds + leewaySeconds) return invalid('iat_future');
  }
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return invalid(claimType('nbf'));
    if (nbf > nowSeconds + leewaySeconds) return invalid('not_before');
  }
  if (exp !== undefined) {
    if (!isNumericDate(exp)) return invalid(claimType('exp'));
    if (exp <= nowSeconds - leewaySeconds) return { reason: 'expired', detail: 'expired' };
  }
  if (options.requireIss) {
    if (typeof payload.iss !== 'string' || payload.iss !== options.issuer) {
      return invalid('iss_mismatch');
    }
  }
  if (options.requireAud && !audienceMatches(payload.aud, options.audience ?? [])) {
    return invalid('aud_mismatch');
  }
  if (payload.sub !== undefined && typeof payload.sub !== 'string')
    return invalid(claimType('sub'));
  if (payload.jti !== undefined && typeof payload.jti !== 'string')
    return invalid(claimType('jti'));
  return undefined;
}

function invalid(detail: string): ClaimFailure {
  return { reason: 'invalid', detail };
}

function audienceMatches(aud: unknown, expected: readonly string[]): boolean {
  if (typeof aud === 'string') return expected.includes(aud);
  if (!Array.isArray(aud) || aud.length === 0) return false;
  let match = false;
  for (const entry of aud) {
    if (typeof entry !== 'string') return false;
    if (expected.includes(entry)) match = true;
  }
  return match;
}

const ROLES: ReadonlySet<string> = new Set<RoleName>([
  'superadmin',
  'admin',
  'writer',
  'reader',
  'user',
]);

// Special-use names the Python SDK's email-validator refuses (RFC 6761 & co).
const SPECIAL_USE_TLDS: ReadonlySet<string> = new Set([
  'arpa',
  'invalid',
  'local',
  'localhost',
  'onion',
  'test',
]);
// One anchored pattern: RFC 5322 dot-atoms @ LDH labels ending in an alphabetic (or IDNA) TLD.
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

// The same users come back all day: remember addresses already found valid (bounded).
const VALID_EMAILS_MAX = 10_000;
const validEmails = new Set<string>();

/**
 * Whether `value` is an email address the Python SDK (pydantic `EmailStr`) accepts: ASCII
 * local part of RFC 5322 atoms (at most 64), a dotted domain with a real top-level label, no
 * special-use domain (`.test`, `.local`, `.localhost`, …), at most 254 characters.
 */
export function isValidEmail(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (validEmails.has(value)) return true;
  if (value.length > 254 || !EMAIL.test(value)) return false;
  const at = value.lastIndexOf('@');
  if (at > 64) return false;
  const tld = value.slice(value.lastIndexOf('.') + 1).toLowerCase();
  if (SPECIAL_USE_TLDS.has(tld)) return false;
  if (validEmails.size >= VALID_EMAILS_MAX) validEmails.clear();
  validEmails.add(value);
  return true;
}

function optionalString(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

function optionalBoolean(value: unknown): value is boolean | undefined {
  return value === undefined || typeof value === 'boolean';
}

/**
 * The access-token payload as the Python `TokenUserData` model reads it: user fields with
 * their defaults, `sub`, a non-empty `jti`, `exp`; other claims dropped. Returns a frozen
 * result, or `undefined` when the payload does not fit (→ reason `invalid_payload`).
 * Equivalent to `tokenUserDataSchema` (joi), which a differential test keeps in step.
 */
export function checkAccessPayload(payload: Record<string, unknown>): TokenUserData | undefined {
  const result = readAccessPayload(payload);
  return typeof result === 'string' ? undefined : result;
}

const OPTIONAL_STRINGS = ['full_name', 'avatar', 'tenant_id'] as const;

/** A session id claim worth keeping: a non-empty string of at most 256 characters. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

/** A whole, non-negative NumericDate (epoch seconds): what `auth_time` must be to count. */
export function isWholeTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
const OPTIONAL_BOOLEANS = ['is_active', 'email_verified', 'is_superuser'] as const;

/**
 * `checkAccessPayload`, returning instead of `undefined` the detail of the first claim that
 * does not fit (`claim_type:sub`, `claim_value:email`, `role_unknown:god`, …).
 */
export function readAccessPayload(payload: Record<string, unknown>): TokenUserData | string {
  const { sub, jti, exp, email, full_name, avatar, is_active, email_verified, is_superuser } =
    payload;
  // Only an absent role defaults to user; JSON null is a wrong type, as in the Python model.
  const role = payload.role === undefined ? 'user' : payload.role;
  const tenantId = payload.tenant_id;
  if (typeof sub !== 'string') return claimProblem('sub', sub);
  // Python accepted jti "" (then revoked `jwt:blacklist:`); an empty id identifies nothing.
  if (typeof jti !== 'string') return claimProblem('jti', jti);
  if (jti.length === 0) return claimValue('jti');
  if (exp !== undefined && exp !== null && !Number.isInteger(exp)) return claimType('exp');
  if (!isValidEmail(email)) {
    return typeof email === 'string' ? claimValue('email') : claimProblem('email', email);
  }
  if (typeof role !== 'string') return claimType('role');
  if (!ROLES.has(role)) return `role_unknown:${shortName(role)}`;
  if (!optionalString(full_name) || !optionalString(avatar) || !optionalString(tenantId)) {
    return claimType(OPTIONAL_STRINGS.find((name) => !optionalString(payload[name])) ?? 'other');
  }
  if (
    !optionalBoolean(is_active) ||
    !optionalBoolean(email_verified) ||
    !optionalBoolean(is_superuser)
  ) {
    return claimType(OPTIONAL_BOOLEANS.find((name) => !optionalBoolean(payload[name])) ?? 'other');
  }
  const result: TokenUserData = {
    sub,
    jti,
    type: 'access',
    exp: (exp as number | null | undefined) ?? null,
    email,
    full_name: full_name ?? null,
    avatar: avatar ?? null,
    is_active: is_active ?? true,
    email_verified: email_verified ?? false,
    is_superuser: is_superuser ?? false,
    role: role as RoleName,
  };
  if (typeof tenantId === 'string') result.tenant_id = tenantId;
  // Session claims: kept when well formed, otherwise ignored, as Python consumers ignore them
  // (a token a Python service accepts is not refused here for a claim neither side needs).
  if (isSessionId(payload.sid)) result.sid = payload.sid;
  if (isWholeTime(payload.auth_time)) result.auth_time = payload.auth_time;
  return Object.freeze(result);
}
