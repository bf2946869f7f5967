/**
 * `TokenIssuer`: the issuer side. Signs access tokens (the Python SDK's claims: `sub`, `jti`,
 * `type: "access"`, `email`, `full_name`, `avatar`, `is_active`, `email_verified`,
 * `is_superuser`, `role`, optional `tenant_id`, `iat`, `exp`; `kid` header) and HS256 refresh
 * tokens (UUID `sub`, `jti`, `type: "refresh"`, family id `fid`), and publishes the public
 * half of its keys as a JWKS.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../core/errors';
import { ORDERED_ROLES, isRole } from '../core/roles';
import type { SecretValue } from '../core/settings/secret';
import { revealSecret } from '../core/settings/secret';
import type { AuthSettings } from '../core/settings/types';
import type { RoleName } from '../core/types';
import { isValidEmail, isWholeTime } from './claims';
import { shortName } from './failure-detail';
import { prepareKey, publicKeyOf, signCompact, type PreparedKey } from './jws';
import type { TokenSecret } from './types';
import { UUID_PATTERN } from './user-id';

export interface IssuerKey {
  /** Private key (RS256/ES256) or secret (HS256). */
  secret: TokenSecret;
  /** Key id; default: the RFC 7638 thumbprint of the public key (none for HS256). */
  kid?: string | undefined;
}

export interface TokenIssuerOptions {
  /** Signing keys: the first signs, all asymmetric ones are published (rotation). */
  accessKeys: TokenSecret | IssuerKey | readonly IssuerKey[];
  /** HS256 secret of refresh tokens (env REFRESH_SECRET_KEY). */
  refreshSecret?: string | Buffer | SecretValue | undefined;
  /** `iss` claim (env TOKEN_ISSUER). */
  issuer?: string | undefined;
  /** `aud` claim (env TOKEN_AUDIENCE). */
  audience?: string | readonly string[] | undefined;
  /** Access-token life in seconds. Default 1800 (ACCESS_TOKEN_EXPIRE_MINUTES=30). */
  accessTtlSeconds?: number | undefined;
  /** Refresh-token life in seconds. Default 7200 (REFRESH_TOKEN_EXPIRE_MINUTES=120). */
  refreshTtlSeconds?: number | undefined;
  /**
   * The absolute session lifetime in seconds: a token given `authTime` never expires later than
   * `authTime` + this. Default 2 592 000 (SESSION_MAX_LIFETIME_MINUTES=43200, 30 days).
   */
  sessionLifetimeSeconds?: number | undefined;
  /** Clock in epoch ms. Default `Date.now`. */
  clock?: (() => number) | undefined;
}

/** The user fields an access token carries (Python `TokenAccessData`). */
export interface AccessTokenSubject {
  sub: string;
  email: string;
  role?: RoleName | undefined;
  full_name?: string | null | undefined;
  avatar?: string | null | undefined;
  is_active?: boolean | undefined;
  email_verified?: boolean | undefined;
  is_superuser?: boolean | undefined;
  tenant_id?: string | null | undefined;
}

export interface AccessTokenOptions {
  /** Default a random UUID. */
  jti?: string | undefined;
  /** `iat` (epoch seconds). Default now. */
  issuedAt?: number | undefined;
  /** `sid`: the session the token belongs to. */
  sessionId?: string | undefined;
  /** `auth_time`: when the user last logged in with credentials; also caps `exp` at the session's end. */
  authTime?: number | undefined;
}

export interface RefreshTokenOptions {
  /** `sub`: a UUID. */
  userId: string;
  /** `fid`: the family; a new one starts when absent. */
  familyId?: string | undefined;
  jti?: string | undefined;
  /** `iat` (epoch seconds). Default now: a successor signed again from the same claims is the same token. */
  issuedAt?: number | undefined;
  /** `auth_time`: the login the session started with; caps `exp` at the session's end. */
  authTime?: number | undefined;
}

export interface IssuedToken {
  token: string;
  jti: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface IssuedRefreshToken extends IssuedToken {
  familyId: string;
}

export interface PublicJwk {
  kty: string;
  kid?: string;
  alg: string;
  use: 'sig';
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

interface SigningKey {
  prepared: PreparedKey;
  kid: string | undefined;
  jwk: PublicJwk | undefined;
}

export class TokenIssuer {
  readonly issuer: string | undefined;
  readonly audience: string | readonly string[] | undefined;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly sessionLifetimeSeconds: number;
  readonly #keys: readonly SigningKey[];
  readonly #refreshKey: PreparedKey | undefined;
  readonly #clock: () => number;

  constructor(options: TokenIssuerOptions) {
    const list = normaliseKeys(options.accessKeys);
    if (list.length === 0)
      throw new ConfigurationError('TokenIssuer needs at least one access key');
    this.#keys = Object.freeze(list.map(toSigningKey));
    const refresh = revealSecret(options.refreshSecret as SecretValue | string | undefined);
    const refreshRaw = Buffer.isBuffer(options.refreshSecret) ? options.refreshSecret : refresh;
    this.#refreshKey =
      refreshRaw === undefined
        ? undefined
        : prepareKey({ key: refreshRaw, algorithm: 'HS256' }, 'sign');
    this.issuer = options.issuer || undefined;
    this.audience = options.audience || undefined;
    this.accessTtlSeconds = options.accessTtlSeconds ?? 30 * 60;
    this.refreshTtlSeconds = options.refreshTtlSeconds ?? 120 * 60;
    this.sessionLifetimeSeconds = options.sessionLifetimeSeconds ?? 30 * 24 * 3600;
    for (const [name, value] of Object.entries({
      accessTtlSeconds: this.accessTtlSeconds,
      refreshTtlSeconds: this.refreshTtlSeconds,
      sessionLifetimeSeconds: this.sessionLifetimeSeconds,
    })) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new ConfigurationError(`TokenIssuer: ${name} must be a whole number of seconds ≥ 1`);
      }
    }
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * An issuer from settings: ACCESS_PRIVATE_KEY (RS256/ES256, PEM from ACCESS_PRIVATE_KEY_FILE)
   * or ACCESS_SECRET_KEY (HS256), ACCESS_KEY_ID (else the RFC 7638 thumbprint),
   * REFRESH_SECRET_KEY, TOKEN_ISSUER, TOKEN_AUDIENCE, ACCESS_/REFRESH_TOKEN_EXPIRE_MINUTES,
   * SESSION_MAX_LIFETIME_MINUTES.
   */
  static fromSettings(
    settings: Partial<Pick<AuthSettings, 'SESSION_MAX_LIFETIME_MINUTES'>> &
      Pick<
        AuthSettings,
        | 'ACCESS_TOKEN_ALGORITHM'
        | 'ACCESS_PRIVATE_KEY'
        | 'ACCESS_SECRET_KEY'
        | 'ACCESS_KEY_ID'
        | 'REFRESH_SECRET_KEY'
        | 'TOKEN_ISSUER'
        | 'TOKEN_AUDIENCE'
        | 'ACCESS_TOKEN_EXPIRE_MINUTES'
        | 'REFRESH_TOKEN_EXPIRE_MINUTES'
      >,
    options: { clock?: () => number } = {},
  ): TokenIssuer {
    const algorithm = settings.ACCESS_TOKEN_ALGORITHM;
    const key =
      algorithm === 'HS256'
        ? revealSecret(settings.ACCESS_SECRET_KEY)
        : revealSecret(settings.ACCESS_PRIVATE_KEY);
    if (key === undefined) {
      throw new ConfigurationError(
        algorithm === 'HS256'
          ? 'ACCESS_SECRET_KEY is required to issue HS256 tokens'
          : `ACCESS_PRIVATE_KEY_FILE is required to issue ${algorithm} tokens`,
      );
    }
    return new TokenIssuer({
      accessKeys: [{ secret: { key, algorithm }, kid: settings.ACCESS_KEY_ID || undefined }],
      refreshSecret: settings.REFRESH_SECRET_KEY,
      issuer: settings.TOKEN_ISSUER,
      audience: settings.TOKEN_AUDIENCE,
      accessTtlSeconds: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
      refreshTtlSeconds: settings.REFRESH_TOKEN_EXPIRE_MINUTES * 60,
      sessionLifetimeSeconds:
        settings.SESSION_MAX_LIFETIME_MINUTES === undefined
          ? undefined
          : settings.SESSION_MAX_LIFETIME_MINUTES * 60,
      clock: options.clock,
    });
  }

  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA or EC public key. */
  static thumbprint(publicKey: KeyObject): string {
    const jwk = publicKey.export({ format: 'jwk' });
    const members =
      jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { e: jwk.e, kty: jwk.kty, n: jwk.n };
    return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  }

  /** The algorithm access tokens are signed with. */
  get algorithm(): TokenSecret['algorithm'] {
    return this.#keys[0].prepared.algorithm;
  }

  /** The `kid` of the current signing key. */
  get kid(): string | undefined {
    return this.#keys[0].kid;
  }

  /**
   * Sign an access token for `user` (`type: "access"`, random `jti`, `iat`, `exp`). Refuses
   * with a `TypeError` naming the claim what `TokenValidator` would refuse: an empty `sub` or
   * `jti`, an email the validator does not accept (`isValidEmail`), a role that is not one of
   * `Roles`, an optional field of the wrong type.
   */
  issueAccessToken(user: AccessTokenSubject, options: AccessTokenOptions = {}): IssuedToken {
    assertAccessSubject(user);
    if (options.jti !== undefined && (typeof options.jti !== 'string' || options.jti === '')) {
      throw new TypeError('issueAccessToken: claim "jti" must be a non-empty string');
    }
    const now = issuedAtOf(options.issuedAt, this.#clock);
    const jti = options.jti ?? randomUUID();
    const expiresAt = this.#expiry(now, this.accessTtlSeconds, options.authTime);
    const payload: Record<string, unknown> = {
      sub: user.sub,
      jti,
      type: 'access',
      email: user.email,
      full_name: user.full_name ?? null,
      avatar: user.avatar ?? null,
      is_active: user.is_active ?? true,
      email_verified: user.email_verified ?? false,
      is_superuser: user.is_superuser ?? false,
      role: user.role ?? 'user',
      iat: now,
      exp: expiresAt,
    };
    if (user.tenant_id != null) payload.tenant_id = user.tenant_id;
    if (options.sessionId !== undefined) payload.sid = options.sessionId;
    if (options.authTime !== undefined) payload.auth_time = options.authTime;
    if (this.issuer !== undefined) payload.iss = this.issuer;
    if (this.audience !== undefined) payload.aud = this.audience;
    const [current] = this.#keys;
    return { token: signCompact(payload, current.prepared, { kid: current.kid }), jti, expiresAt };
  }

  /**
   * Sign an HS256 refresh token for `userId` (a UUID). A new family starts unless `familyId`
   * is given (rotation keeps the family of the token it replaces). `issuedAt` (epoch seconds,
   * default now) pins `iat`/`exp`: a rotation's successor signed again from the same claims
   * is the same token.
   */
  issueRefreshToken(options: RefreshTokenOptions): IssuedRefreshToken {
    if (this.#refreshKey === undefined) {
      throw new ConfigurationError('TokenIssuer has no refreshSecret (REFRESH_SECRET_KEY)');
    }
    if (typeof options.userId !== 'string' || !UUID_PATTERN.test(options.userId)) {
      throw new TypeError(
        'issueRefreshToken: claim "sub" (userId) must be a UUID (the Python SDK requires it)',
      );
    }
    if (options.jti !== undefined && (typeof options.jti !== 'string' || options.jti === '')) {
      throw new TypeError('issueRefreshToken: claim "jti" must be a non-empty string');
    }
    const now = issuedAtOf(options.issuedAt, this.#clock);
    const jti = options.jti ?? randomUUID();
    const familyId = options.familyId ?? randomUUID();
    const expiresAt = this.#expiry(now, this.refreshTtlSeconds, options.authTime);
    const payload: Record<string, unknown> = {
      sub: options.userId,
      jti,
      type: 'refresh',
      fid: familyId,
      iat: now,
      exp: expiresAt,
    };
    if (options.authTime !== undefined) payload.auth_time = options.authTime;
    return { token: signCompact(payload, this.#refreshKey), jti, familyId, expiresAt };
  }

  /**
   * `issuedAt` + `ttl`, but never past the session's end (`authTime` + the session lifetime).
   * A session already over is a `TypeError`: its tokens must not be signed at all.
   */
  #expiry(issuedAt: number, ttl: number, authTime: number | undefined): number {
    if (authTime === undefined) return issuedAt + ttl;
    if (!isWholeTime(authTime)) {
      throw new TypeError('authTime must be whole epoch seconds');
    }
    const end = authTime + this.sessionLifetimeSeconds;
    if (end <= issuedAt) throw new TypeError('the session has reached its maximum lifetime');
    return Math.min(issuedAt + ttl, end);
  }

  /** The public JWKS (`{ keys }`): public parts only; never a private or HS256 key. */
  jwks(): { keys: PublicJwk[] } {
    const keys: PublicJwk[] = [];
    for (const key of this.#keys) if (key.jwk !== undefined) keys.push({ ...key.jwk });
    return { keys };
  }
}

const OPTIONAL_STRING_CLAIMS = ['full_name', 'avatar', 'tenant_id'] as const;
const OPTIONAL_BOOLEAN_CLAIMS = ['is_active', 'email_verified', 'is_superuser'] as const;

/** Refuse, naming the claim, a subject whose token `TokenValidator` would refuse. */
function assertAccessSubject(user: AccessTokenSubject): void {
  const fail = (claim: string, rule: string): never => {
    throw new TypeError(`issueAccessToken: claim "${claim}" ${rule}`);
  };
  if (typeof user !== 'object' || user === null) fail('sub', 'must be a non-empty string');
  if (typeof user.sub !== 'string' || user.sub === '') fail('sub', 'must be a non-empty string');
  if (!isValidEmail(user.email)) {
    // The address itself is not repeated: error messages end up in logs.
    fail(
      'email',
      'is not an address the validator accepts (ASCII local part, a real top-level domain, no special-use domain such as .test or .local, at most 254 characters)',
    );
  }
  if (user.role !== undefined && !isRole(user.role)) {
    fail('role', `must be one of ${ORDERED_ROLES.join(', ')}; got ${shortName(user.role)}`);
  }
  for (const claim of OPTIONAL_STRING_CLAIMS) {
    const value = user[claim];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      fail(claim, 'must be a string or null');
    }
  }
  for (const claim of OPTIONAL_BOOLEAN_CLAIMS) {
    const value = user[claim];
    if (value !== undefined && typeof value !== 'boolean') fail(claim, 'must be a boolean');
  }
}

/** Whole epoch seconds: the given time, or the clock's now. */
function issuedAtOf(issuedAt: number | undefined, clock: () => number): number {
  if (issuedAt === undefined) return Math.floor(clock() / 1000);
  if (!Number.isFinite(issuedAt) || issuedAt <= 0) {
    throw new TypeError('issuedAt must be a positive number of epoch seconds');
  }
  return Math.floor(issuedAt);
}

function normaliseKeys(keys: TokenIssuerOptions['accessKeys']): IssuerKey[] {
  if (Array.isArray(keys)) return [...(keys as readonly IssuerKey[])];
  const single = keys as TokenSecret | IssuerKey;
  return 'secret' in single ? [single] : [{ secret: single }];
}

function toSigningKey(entry: IssuerKey): SigningKey {
  const prepared = prepareKey(entry.secret, 'sign');
  const publicKey = publicKeyOf(prepared);
  if (publicKey === undefined) return { prepared, kid: entry.kid, jwk: undefined };
  const kid = entry.kid ?? TokenIssuer.thumbprint(publicKey);
  const exported = publicKey.export({ format: 'jwk' });
  const jwk: PublicJwk =
    exported.kty === 'EC'
      ? {
          kty: 'EC',
          crv: exported.crv,
          x: exported.x,
          y: exported.y,
          kid,
          alg: prepared.algorithm,
          use: 'sig',
        }
      : { kty: 'RSA', n: exported.n, e: exported.e, kid, alg: prepared.algorithm, use: 'sig' };
  return { prepared, kid, jwk: Object.freeze(jwk) };
}
