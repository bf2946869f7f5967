/** Compile-time assertions: `expectType<Equal<A, B>>(true)` fails to compile unless A is B. */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export function expectType<T extends boolean>(_value: T): void {}

/** The optional keys of T. */
export type OptionalKeys<T> = {
  [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K> ? K : never;
}[keyof T];

/**
 * The optional keys of T that refuse an explicit `undefined` under
 * `exactOptionalPropertyTypes` (`never` when every one accepts it).
 */
export type RefusesUndefined<T> = T extends unknown
  ? {
      [K in OptionalKeys<T>]-?: { [P in K]: undefined } extends Pick<T, K> ? never : K;
    }[OptionalKeys<T>]
  : never;
