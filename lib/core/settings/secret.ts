import { inspect } from 'node:util';

const MASK = '**********';

/**
 * A secret setting (Python `SecretStr`). Its value never shows in `String()`, template
 * strings, `JSON.stringify`, `util.inspect` or `console.log`; call `reveal()` where the raw
 * value is really needed (signing, connecting).
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `SecretValue(${MASK})`;
  }
}

/** The raw value of a secret-or-string, for code that accepts both. */
export function revealSecret(value: SecretValue | string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : value.reveal();
}
