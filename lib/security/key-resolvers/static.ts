import type { KeyResolver, TokenSecret } from '../types';

/**
 * A fixed key, or a fixed `kid` → key map (several keys during a rotation). With one key any
 * `kid` (or none) gets it, as the Python SDK's static secret did; with a map an unknown `kid`
 * resolves to undefined (→ 401 invalid).
 */
export class StaticKeyResolver implements KeyResolver {
  readonly #single: TokenSecret | undefined;
  readonly #byKid: ReadonlyMap<string, TokenSecret>;

  constructor(secretOrMap: TokenSecret | Readonly<Record<string, TokenSecret>>) {
    if (isTokenSecret(secretOrMap)) {
      this.#single = secretOrMap;
      this.#byKid = new Map();
    } else {
      this.#single = undefined;
      this.#byKid = new Map(Object.entries(secretOrMap));
    }
  }

  resolve(kid: string | undefined): TokenSecret | undefined {
    if (this.#single !== undefined) return this.#single;
    return kid === undefined ? undefined : this.#byKid.get(kid);
  }
}

function isTokenSecret(value: object): value is TokenSecret {
  return (
    'algorithm' in value && 'key' in value && typeof (value as TokenSecret).algorithm === 'string'
  );
}
