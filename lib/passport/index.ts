/** `auth-sdk-m8/passport`: a Passport strategy over the package's validator and policy. */
export { createJwtStrategy, JwtStrategy } from './jwt-strategy';
export type { JwtStrategyOptions } from './jwt-strategy';
