/** `auth-sdk-m8/passport`: Passport strategies over the package's pipeline and flows. */
export {
  createJwtStrategy,
  JwtStrategy,
  type JwtStrategyOptions,
  type JwtVerify,
  type JwtVerifyWithRequest,
} from './jwt-strategy';
export {
  createRefreshStrategy,
  RefreshStrategy,
  type RefreshStrategyOptions,
  type RefreshVerify,
} from './refresh-strategy';
export type { VerifiedCallback } from './verify';
