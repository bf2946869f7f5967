/** What the tracking bench and its child processes share: the validator and token ids. */
import { TokenValidator } from '../lib/security/token-validator';
import { createValidationConfig } from '../lib/security/validation-config';
import { AUDIENCE, HS_SECRET, ISSUER } from './keys';

/** HS256, iss and aud required, the verified-token cache on (its default): a real consumer. */
export function benchValidator(): TokenValidator {
  return new TokenValidator({
    secret: { key: HS_SECRET, algorithm: 'HS256' },
    config: createValidationConfig({
      allowedAlgorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requireIss: true,
      requireAud: true,
    }),
  });
}

/** The jti of a compact JWS (no verification: the bench made the token). */
export function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    jti: string;
  };
  return payload.jti;
}

/** Percentile `p` (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
