/**
 * The pieces every flows test builds the same way: an HS256 issuer, an access policy over a
 * revocation store and a refresh policy over a refresh store (real classes, test keys).
 */
import {
  RefreshTokenPolicy,
  TokenIssuer,
  TokenPolicy,
  TokenValidator,
  createValidationConfig,
  type RefreshTokenPolicyOptions,
} from 'auth-sdk-m8';
import { MemoryRefreshTokenStore, MemoryRevocationStore } from 'auth-sdk-m8/stores/memory';
import type { RefreshTokenStore, RevocationStore } from '../../lib/security/store-contracts';
import { HS_SECRET, REFRESH_SECRET } from './keys';

export const quietLogger = { warn: () => undefined, error: () => undefined };

export interface FlowPartsOptions {
  revocationStore?: RevocationStore;
  refreshStore?: RefreshTokenStore;
  /** Options of the refresh policy (grace, clock, …). */
  refresh?: Partial<RefreshTokenPolicyOptions>;
}

export function hsFlowParts(options: FlowPartsOptions = {}) {
  const issuer = new TokenIssuer({
    accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
    refreshSecret: REFRESH_SECRET,
  });
  const policy = new TokenPolicy({
    validator: new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
    }),
    revocationStore: options.revocationStore ?? new MemoryRevocationStore(),
    tokenMode: 'stateful',
    logger: quietLogger,
  });
  const refreshPolicy = new RefreshTokenPolicy({
    secret: REFRESH_SECRET,
    store: options.refreshStore ?? new MemoryRefreshTokenStore(),
    logger: quietLogger,
    ...options.refresh,
  });
  return { issuer, policy, refreshPolicy };
}
