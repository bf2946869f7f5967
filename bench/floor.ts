/**
 * The floor: the minimum any validator must do, on node:crypto only — base64url decode and
 * JSON.parse of header and payload, the signature check with a key imported once (ES256 in
 * ieee-p1363), the `exp` check.
 */
import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { Alg } from './keys';

export function floorVerifier(
  alg: Alg,
  key: KeyObject,
): (token: string) => Record<string, unknown> {
  const secret = alg === 'HS256' ? key.export() : undefined;
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
    const payload = JSON.parse(
      Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'),
    );
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    const input = token.slice(0, second);
    let ok: boolean;
    if (alg === 'HS256') {
      const mac = createHmac('sha256', secret as Buffer)
        .update(input)
        .digest();
      ok = mac.length === signature.length && timingSafeEqual(mac, signature);
    } else if (alg === 'ES256') {
      ok = verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
    } else {
      ok = verify('sha256', Buffer.from(input), key, signature);
    }
    if (!ok || header.alg !== alg || !(payload.exp > Date.now() / 1000))
      throw new Error('invalid token');
    return payload;
  };
}
