/**
 * Real memory stores with an injected fault, for degradation tests: `fault = 'throw'` makes
 * every call reject like a dropped connection, `fault = 'hang'` makes every call never settle
 * (a hung server). `calls` counts calls that reached the store.
 */
import type {
  RefreshRevocationOptions,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RevokedRefreshToken,
  RevocationStore,
  StoreRotation,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import { MemoryRefreshTokenStore, MemoryRevocationStore } from '../../stores/memory';

export type Fault = 'none' | 'throw' | 'hang';

class FaultSwitch {
  fault: Fault = 'none';
  calls = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.calls += 1;
    if (this.fault === 'throw') return Promise.reject(new Error('ECONNRESET (injected)'));
    if (this.fault === 'hang') return new Promise<T>(() => undefined);
    return fn();
  }
}

export class FaultyRevocationStore extends FaultSwitch implements RevocationStore {
  readonly inner: MemoryRevocationStore;

  constructor(inner = new MemoryRevocationStore()) {
    super();
    this.inner = inner;
  }

  revoke(jti: string, ttlSeconds: number): Promise<void> {
    return this.run(() => this.inner.revoke(jti, ttlSeconds));
  }

  isRevoked(jti: string): Promise<boolean> {
    return this.run(() => this.inner.isRevoked(jti));
  }

  /** A local answer to inject (none by default, as the memory store gives none). */
  isRevokedLocally: ((jti: string) => boolean | undefined) | undefined;
}

export class FaultyRefreshTokenStore extends FaultSwitch implements RefreshTokenStore {
  readonly inner: MemoryRefreshTokenStore;

  constructor(inner = new MemoryRefreshTokenStore()) {
    super();
    this.inner = inner;
  }

  register(jti: string, registration: RefreshTokenRegistration): Promise<void> {
    return this.run(() => this.inner.register(jti, registration));
  }

  isValid(jti: string, userId: string): Promise<boolean> {
    return this.run(() => this.inner.isValid(jti, userId));
  }

  rotate(
    oldJti: string,
    newJti: string,
    ttlSeconds: number,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    return this.run(() => this.inner.rotate(oldJti, newJti, ttlSeconds, options));
  }

  revoke(jti: string, userId: string): Promise<void> {
    return this.run(() => this.inner.revoke(jti, userId));
  }

  revokeFamily(
    familyId: string,
    userId: string,
    options?: RefreshRevocationOptions,
  ): Promise<RevokedRefreshToken[]> {
    return this.run(() => this.inner.revokeFamily(familyId, userId, options));
  }

  revokeUser(userId: string, options?: RefreshRevocationOptions): Promise<RevokedRefreshToken[]> {
    return this.run(() => this.inner.revokeUser(userId, options));
  }
}

/** A logger that records what it is told (and prints nothing). */
export function recordingLogger() {
  const lines: { level: 'warn' | 'error' | 'info'; message: string }[] = [];
  return {
    lines,
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
    info: (message: string) => lines.push({ level: 'info', message }),
  };
}
