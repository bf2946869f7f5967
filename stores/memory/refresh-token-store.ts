import type {
  RefreshRevocationOptions,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RevokedRefreshToken,
  StoreRotation,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import { BoundedExpiringMap, expiryFromTtl, type Clock } from './bounded-map';

export interface MemoryRefreshTokenStoreOptions {
  /** Most tokens kept at once, active and retired (default 100 000). When full, expired ones go first, then the oldest. */
  maxEntries?: number | undefined;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: Clock | undefined;
}

type TokenState = 'active' | 'retired' | 'revoked';

interface TokenRecord {
  userId: string;
  familyId: string;
  state: TokenState;
  expiresAt: number;
  /** Epoch seconds. */
  issuedAt: number;
  /** Set by a rotation: the successor's jti and the rotation time (epoch seconds). */
  successor?: string;
  rotatedAt?: number;
}

/**
 * Refresh-token allowlist with rotation, families and theft detection, held in this process.
 * `rotate` and the revocations are atomic by construction: each check and write runs in one
 * synchronous step (no `await` between them), so of N concurrent rotations exactly one wins.
 * Rotated and revoked tokens are kept until their own expiry so that presenting one again is
 * reported as `reused` or `revoked`. Seen only by this process and lost on restart: a fleet
 * needs Redis or SQL.
 */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #tokens: BoundedExpiringMap<TokenRecord>;
  /** Indexes for family/user revocation, kept in step with `#tokens` through `onRemove`. */
  readonly #byFamily = new Map<string, Set<string>>();
  readonly #byUser = new Map<string, Set<string>>();

  constructor(options: MemoryRefreshTokenStoreOptions = {}) {
    this.#tokens = new BoundedExpiringMap<TokenRecord>({
      name: 'MemoryRefreshTokenStore',
      maxEntries: options.maxEntries ?? 100_000,
      clock: options.clock ?? Date.now,
      onRemove: (jti, record) => {
        unindex(this.#byFamily, record.familyId, jti);
        unindex(this.#byUser, record.userId, jti);
      },
    });
  }

  /** Tokens currently held, active and retired (expired ones may linger until read or swept). */
  get size(): number {
    return this.#tokens.size;
  }

  /** Unexpired tokens dropped because the store was full. */
  get evictions(): number {
    return this.#tokens.evictions;
  }

  async register(jti: string, registration: RefreshTokenRegistration): Promise<void> {
    const { userId, familyId, ttlSeconds } = registration;
    const issuedAt = registration.issuedAt ?? this.#nowSeconds();
    this.#activate(jti, { userId, familyId, issuedAt }, ttlSeconds);
  }

  #nowSeconds(): number {
    return Math.floor(this.#tokens.now() / 1000);
  }

  async isValid(jti: string, userId: string): Promise<boolean> {
    return this.#record(jti, userId)?.state === 'active';
  }

  /** The token `jti` of `userId` (another user's jti is no token of this one). */
  #record(jti: string, userId: string): TokenRecord | undefined {
    const record = this.#tokens.get(jti);
    return record?.userId === userId ? record : undefined;
  }

  async rotate(
    oldJti: string,
    newJti: string,
    ttlSeconds: number,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    // Validate before touching state, so a bad ttl cannot leave `oldJti` retired with no successor.
    expiryFromTtl(this.#tokens.now(), ttlSeconds, 'rotate');
    const now = options.nowSeconds ?? this.#nowSeconds();
    const old = this.#record(oldJti, options.userId);
    if (old === undefined) return { status: 'unknown' };
    const { userId, familyId } = old;
    if (old.state === 'revoked') return { status: 'revoked', userId, familyId };
    if (old.state !== 'active') {
      const { successor, rotatedAt } = old;
      const grace = options.graceSeconds ?? 0;
      if (
        successor !== undefined &&
        rotatedAt !== undefined &&
        grace > 0 &&
        now - rotatedAt <= grace &&
        this.#tokens.get(successor)?.state === 'active'
      ) {
        return { status: 'replayed', userId, familyId, jti: successor, issuedAt: rotatedAt };
      }
      return { status: 'reused', userId, familyId };
    }
    old.state = 'retired';
    old.successor = newJti;
    old.rotatedAt = now;
    this.#activate(newJti, { userId, familyId, issuedAt: now }, ttlSeconds);
    return { status: 'rotated', userId, familyId, issuedAt: now };
  }

  async revoke(jti: string, userId: string): Promise<void> {
    const record = this.#record(jti, userId);
    if (record?.state === 'active') record.state = 'revoked';
  }

  async revokeFamily(
    familyId: string,
    userId: string,
    options: RefreshRevocationOptions = {},
  ): Promise<RevokedRefreshToken[]> {
    return this.#revokeAll(this.#byFamily.get(familyId), userId, options.issuedSince);
  }

  async revokeUser(
    userId: string,
    options: RefreshRevocationOptions = {},
  ): Promise<RevokedRefreshToken[]> {
    return this.#revokeAll(this.#byUser.get(userId), userId, options.issuedSince);
  }

  #activate(
    jti: string,
    { userId, familyId, issuedAt }: Pick<TokenRecord, 'userId' | 'familyId' | 'issuedAt'>,
    ttlSeconds: number,
  ): void {
    const expiresAt = expiryFromTtl(this.#tokens.now(), ttlSeconds, 'register');
    if (ttlSeconds <= 0) {
      this.#tokens.delete(jti); // born expired: nothing to keep
      return;
    }
    // A literal, not a spread: V8 then sizes the record to its fields (a spread costs ~250 bytes).
    this.#tokens.set(jti, { userId, familyId, state: 'active', expiresAt, issuedAt });
    index(this.#byFamily, familyId, jti);
    index(this.#byUser, userId, jti);
  }

  /** Marks every live token of `userId` among `jtis` revoked; lists those issued since `since`. */
  #revokeAll(
    jtis: Set<string> | undefined,
    userId: string,
    since: number | undefined,
  ): RevokedRefreshToken[] {
    if (jtis === undefined) return [];
    const listed: RevokedRefreshToken[] = [];
    // Copy first: reading an expired entry removes it from the set being iterated.
    for (const jti of [...jtis]) {
      const record = this.#record(jti, userId);
      if (record === undefined) continue;
      record.state = 'revoked';
      if (since === undefined || record.issuedAt >= since) {
        listed.push({ jti, issuedAt: record.issuedAt });
      }
    }
    return listed;
  }
}

function index(map: Map<string, Set<string>>, key: string, jti: string): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(jti);
}

function unindex(map: Map<string, Set<string>>, key: string, jti: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(jti);
  if (set.size === 0) map.delete(key);
}
